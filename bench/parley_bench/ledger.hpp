#pragma once
// The record of every message one run sends: when it was meant to go out, when it was
// acknowledged, when (and how often) its reply reached the fake Graph API. The final accounting
// (end-to-end latency, lost, duplicated, out-of-order replies) is computed from it.
//
// Load-driver threads call allocate/sent/acked, fake-Graph threads call on_reply, the progress
// thread reads the counters, all at once: entries live in fixed chunks that never move, and
// every field is atomic. account() runs on the main thread after the run, when nothing records.
//
// A message's wamid carries the run tag and its sequence number, so a reply is matched to its
// message by decoding context.message_id, without a shared map.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "bench/parley_bench/histogram.hpp"

namespace parley::bench {

/// Customer `global` (tenant * customers + index) as a WhatsApp wa_id.
[[nodiscard]] std::string customer_wa_id(uint64_t global);

struct accounting {
  uint64_t expected = 0;  ///< acknowledged, stored messages: each should get a reply
  uint64_t answered = 0;  ///< of those, with at least one reply
  uint64_t lost = 0;      ///< acknowledged, no reply (not merged into a later turn, not handed off)
  /// Unanswered because a person took the conversation over (the bot is silent by design).
  uint64_t handed_off = 0;
  uint64_t handed_off_conversations = 0;
  uint64_t merged = 0;           ///< --allow-merge: answered through a later message's reply
  uint64_t duplicated = 0;       ///< messages with more than one reply
  uint64_t extra_replies = 0;    ///< replies beyond the first, summed
  uint64_t out_of_order = 0;     ///< replies that overtook the reply of an earlier-acked message
  uint64_t unacked_replies = 0;  ///< replies to messages never acknowledged (e.g. timed out)
  histogram_snapshot e2e;        ///< intended send -> reply, messages sent in the window
};

class message_ledger {
 public:
  using clock = std::chrono::steady_clock;

  /// `tag` tells this run's wamids from any other's.
  explicit message_ledger(uint32_t tag);
  ~message_ledger();
  message_ledger(const message_ledger&) = delete;
  message_ledger& operator=(const message_ledger&) = delete;

  /// Nanoseconds since the ledger's epoch (always > 0).
  [[nodiscard]] int64_t now_ns() const;
  [[nodiscard]] clock::time_point at(int64_t ns) const;

  /// Reserves n consecutive sequence numbers; returns the first.
  uint64_t allocate(uint32_t n);
  [[nodiscard]] std::string wamid(uint64_t seq, uint64_t customer) const;
  void sent(uint64_t seq, uint64_t customer, int64_t intended_ns);
  /// The message was stored and acknowledged: a reply is due.
  void acked(uint64_t seq, int64_t ack_ns);

  enum class match { ok, unknown, misrouted };
  /// A reply with this context.message_id and `to` arrived at `now_ns`.
  match on_reply(std::string_view context_wamid, std::string_view to, int64_t now_ns);

  [[nodiscard]] uint64_t expected() const { return expected_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t answered() const { return answered_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t replies() const { return replies_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t unknown_replies() const {
    return unknown_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t misrouted() const { return misrouted_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t allocated() const { return next_.load(std::memory_order_relaxed); }

  /// End-to-end figures over messages meant to be sent in [window_begin, window_end).
  /// Unanswered messages of `handed_off` customers count as handed off, not lost.
  [[nodiscard]] accounting account(int64_t window_begin_ns, int64_t window_end_ns, bool allow_merge,
                                   const std::unordered_set<uint64_t>& handed_off = {}) const;

 private:
  struct entry {
    std::atomic<int64_t> intended_ns{0};
    std::atomic<int64_t> ack_ns{0};
    std::atomic<int64_t> reply_ns{0};  // first reply
    std::atomic<uint64_t> customer{0};
    std::atomic<uint32_t> replies{0};
    std::atomic<uint32_t> flags{0};  // acked_bit | replied_bit
  };
  static constexpr uint32_t acked_bit = 1, replied_bit = 2;
  static constexpr int chunk_bits = 16;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  static constexpr std::size_t max_chunks = 1 << 14;  // 2^30 messages per run

  entry* find(uint64_t seq) const;
  entry& at_seq(uint64_t seq) const;
  // Counts a message as answered exactly once, whichever of ack and reply lands second.
  void settle(entry& e, uint32_t bit);

  uint32_t tag_;
  clock::time_point epoch_;
  std::atomic<uint64_t> next_{0};
  std::mutex grow_;
  std::unique_ptr<std::array<std::atomic<entry*>, max_chunks>> chunks_;
  std::atomic<uint64_t> expected_{0}, answered_{0}, replies_{0}, unknown_{0}, misrouted_{0};
};

}  // namespace parley::bench
