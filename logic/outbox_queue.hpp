#pragma once
// The outbox's decisions, without CAF, sockets or a database: which bubble leaves next.
//
// - Bubbles of one conversation leave strictly in order of their ids (the order they were
//   stored in), one at a time (its head is "in flight" until it is sent, fails for good, or
//   waits for a retry). An older bubble learnt late (stranded by another process) goes before
//   the newer ones still queued; one learnt after a newer one left is counted (overtaken()).
// - A bubble stored by another process (its `sender`) may have been accepted by the channel
//   API already: the outbox must settle it (uncertain()) before sending it.
// - At most `max_in_flight` sends run at once over all conversations; a head waiting for its
//   retry keeps its conversation busy but frees its slot.
// - Conversations with a bubble to send are served round robin by tenant, so a tenant that
//   bursts does not hold back the others' replies.
// - A bubble id is queued once; ids finished lately (whose "sent" mark may not be committed
//   yet) are refused when offered again (a sweep, or the pending bubbles a newer one brings).
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
  /// `self_sender`: this process's incarnation (0: every bubble is this process's own).
  explicit outbox_queue(std::size_t max_in_flight, std::size_t finished_memory = 8192,
                        int64_t self_sender = 0);

  /// Queues bubbles, each in id order within its conversation. Ids queued or finished lately
  /// are skipped.
  void add(std::vector<outbound_bubble> batch);

  /// Stored by another process that may have sent it: settle it (wait for its status, then
  /// claim it) before sending.
  [[nodiscard]] bool uncertain(const outbound_bubble& b) const;

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

  /// A deferred head, bubble `id`, needs no send after all (another process sent or claimed
  /// it): it leaves the queue and the conversation goes on. False when stale.
  bool settle(const std::string& conv, int64_t id);

  /// Drops the queued bubbles of `conv` that are not in flight (a handed-off conversation).
  /// Returns how many were dropped.
  std::size_t cancel(const std::string& conv);

  [[nodiscard]] std::size_t pending() const { return known_.size(); }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }
  [[nodiscard]] std::size_t conversations() const { return queues_.size(); }
  [[nodiscard]] bool finished_lately(int64_t id) const;
  /// Bubbles learnt after a newer one of their conversation had left (order already lost).
  [[nodiscard]] uint64_t overtaken() const { return overtaken_; }

 private:
  void make_ready(const std::string& conv);
  void leave(const std::string& conv, int64_t id);  // the head leaves; the conversation is free

  std::size_t max_in_flight_;
  std::unordered_map<std::string, std::deque<outbound_bubble>> queues_;  // by conversation
  std::unordered_set<std::string> busy_;  // head in flight or waiting for its retry
  std::unordered_set<int64_t> known_;     // queued or in flight
  // A ring allocated once: per-bubble nodes would pin heap pages that malloc_trim must give
  // back after a mass passivation.
  std::vector<int64_t> finished_;
  int64_t max_finished_ = 0;
  std::size_t finished_next_ = 0;
  fair_queue<std::string, std::string> ready_;  // conversations, by tenant
  std::size_t in_flight_ = 0;
  int64_t self_sender_ = 0;
  uint64_t overtaken_ = 0;
  std::unordered_map<std::string, int64_t> last_left_;  // newest id that left, by conversation
};

}  // namespace parley::logic
