#pragma once
// The outbox's decisions, without CAF, sockets or a database: which bubble leaves next.
//
// - Bubbles of one conversation leave strictly in order, one at a time (its head is "in
//   flight" until it is sent, fails for good, or waits for a retry).
// - At most `max_in_flight` sends run at once over all conversations; a head waiting for its
//   retry keeps its conversation busy but frees its slot.
// - Conversations with a bubble to send are served round robin by tenant, so a tenant that
//   bursts does not hold back the others' replies.
// - A bubble id is queued once; ids finished lately (whose "sent" mark may not be committed
//   yet) are refused when a sweep offers them again.
//
// Owned by the outbox actor; single-threaded.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "logic/fair_queue.hpp"
#include "logic/outbound_bubble.hpp"

namespace parley::logic {

class outbox_queue {
 public:
  explicit outbox_queue(std::size_t max_in_flight, std::size_t finished_memory = 8192);

  /// Queues bubbles (in order per conversation). Ids queued already are skipped; with
  /// `from_sweep`, ids finished lately too.
  void add(std::vector<outbound_bubble> batch, bool from_sweep);

  /// The conversations whose head must be sent now; each takes a slot and becomes busy.
  [[nodiscard]] std::vector<std::string> take_sends();

  /// The bubble a send of `conv` concerns (its head), or null.
  [[nodiscard]] outbound_bubble* head(const std::string& conv);

  /// The head of `conv`, bubble `id`, is done (sent, or failed for good): it leaves the queue
  /// and its slot is freed. False when `id` is not that head (a stale answer: nothing changes).
  bool finish(const std::string& conv, int64_t id);

  /// The head of `conv` failed and will be tried again later: its slot is freed, the
  /// conversation stays busy (nothing behind it may overtake). False when stale.
  bool defer(const std::string& conv, int64_t id);

  /// A deferred head's time came: true when it may be sent at once (it took a slot again);
  /// false when it waits for a slot (then take_sends() returns it) or the queue is gone.
  bool retry_due(const std::string& conv);

  /// Drops the queued bubbles of `conv` that are not in flight (a handed-off conversation).
  /// Returns how many were dropped.
  std::size_t cancel(const std::string& conv);

  [[nodiscard]] std::size_t pending() const { return known_.size(); }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }
  [[nodiscard]] std::size_t conversations() const { return queues_.size(); }
  [[nodiscard]] bool finished_lately(int64_t id) const;

 private:
  void make_ready(const std::string& conv);

  std::size_t max_in_flight_;
  std::unordered_map<std::string, std::deque<outbound_bubble>> queues_;  // by conversation
  std::unordered_set<std::string> busy_;  // head in flight or waiting for its retry
  std::unordered_set<int64_t> known_;     // queued or in flight
  // A ring allocated once: per-bubble nodes would pin heap pages that malloc_trim must give
  // back after a mass passivation.
  std::vector<int64_t> finished_;
  std::size_t finished_next_ = 0;
  fair_queue<std::string, std::string> ready_;  // conversations, by tenant
  std::size_t in_flight_ = 0;
};

}  // namespace parley::logic
