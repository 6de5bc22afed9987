#pragma once
// A tenant's intake, without CAF or a database: whether an acknowledged message goes to its
// conversation now or stays in the inbox table, and when the inbox is replayed.
//
// - Backpressure: when the tenant's conversations hold `max_in_flight` messages (or one holds
//   `conversation_max_queued`), intake pauses; the inbox keeps what arrives. Intake resumes
//   when they hold half as much, by replaying the inbox in pages from where it paused.
// - Rate budget: messages over the tenant's per-minute budget pause intake too, and a wake-up
//   is asked for when the budget has a token again (nothing else would resume it).
// - While a replay runs, new arrivals stay in the inbox (the replay finds them), so messages
//   reach their conversations in inbox order.
// - A sweep (work stranded by another node) or a lease just taken replays from the start;
//   conversations skip what they already hold or answered.
//
// Time comes in as seconds on any monotonic clock. Owned by one tenant actor; not thread-safe.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "logic/token_bucket.hpp"

namespace parley::logic {

class tenant_intake {
 public:
  tenant_intake(std::size_t max_in_flight, std::size_t conversation_max_queued);

  /// What to do with one message (live or from a replay page).
  struct admission {
    bool deliver = false;             ///< hand it to its conversation (then call delivered())
    bool throttled = false;           ///< over the message budget
    bool paused_now = false;          ///< intake paused because of it (count and log it)
    std::optional<double> wake_in_s;  ///< ask for a wake-up (call woke()) this much later
  };
  [[nodiscard]] admission admit(int64_t id, const std::string& conv, double now_s);
  /// The message admitted for `conv` reached its conversation (one more held there).
  void delivered(const std::string& conv);
  /// `conv` reports how many messages it holds now (queued plus its current turn).
  void holds(const std::string& conv, std::size_t n);
  /// `conv` stopped: it holds nothing.
  void ended(const std::string& conv);

  /// What resuming needs: nothing, a page of the inbox read, or a wake-up when budget returns.
  struct resume_step {
    enum kind { none, read_page, wake } what = none;
    int64_t after = 0;  ///< read_page: inbox ids above this
    int limit = 0;      ///< read_page: at most this many
    double wake_in_s = 0;
  };
  /// Called whenever the conversations hold less (or a wake-up came).
  [[nodiscard]] resume_step maybe_resume(double now_s);
  /// The wake-up asked for by admit() or maybe_resume() arrived.
  void woke() { wake_scheduled_ = false; }

  /// A page read for a replay arrived with `count` messages of `limit` asked. Feed each to
  /// replayed() then admit(), stopping when paused(); then call page_done().
  void page_started(std::size_t count, int limit);
  void replayed(int64_t id);
  /// True when another page must be read (call maybe_resume()).
  [[nodiscard]] bool page_done();
  /// The page could not be read (database unavailable): try again later via maybe_resume().
  void page_failed() { replaying_ = false; }

  /// Replay the inbox from its start (a sweep, or a lease just taken). True when the caller
  /// must call maybe_resume() now; false when a replay runs and will rewind when it ends.
  [[nodiscard]] bool replay_from_start();

  /// The tenant's message budget per minute (bursts of a sixth of it; starts full).
  void set_budget(int per_minute);

  [[nodiscard]] bool paused() const { return paused_; }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }
  [[nodiscard]] std::size_t held_by(const std::string& conv) const;

 private:
  bool pause(int64_t from_id);
  std::optional<double> ask_wake(double now_s);

  std::size_t max_in_flight_;
  std::size_t conversation_max_queued_;
  std::unordered_map<std::string, std::size_t> held_;  // per conversation; absent: 0
  std::size_t in_flight_ = 0;                          // sum of held_
  bool paused_ = false;
  bool replaying_ = false;
  bool dropped_while_replaying_ = false;  // a page may have missed arrivals: read another
  bool rewind_ = false;                   // replay from the start once this replay ends
  bool more_ = false;                     // the current page was full
  int64_t replay_after_ = 0;
  bool wake_scheduled_ = false;
  token_bucket budget_{10, 600};
};

}  // namespace parley::logic
