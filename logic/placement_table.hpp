#pragma once
// The tenants router's placement decisions in a cluster, without CAF, a database or a clock:
// which tenants run on this node, which are being taken or given up, and what happens to the
// messages that arrive for them meanwhile.
//
// - A tenant runs here only while this node holds its lease. Until the lease is taken
//   (acquiring) and while it is given back (releasing), the tenant's messages are held; they are
//   routed again once the tenant is no longer placed here. A tenant that starts to run drops
//   them: it replays its inbox, which holds them all.
// - One lease request per tenant at a time. A refused one (another node still holds the lease,
//   or the database did not answer) is asked again shortly; a lease taken for a tenant no
//   longer wanted is given back.
// - Leases are renewed together, one renewal at a time. A renewed lease counts from when the
//   renewal was sent: the database counts from when it ran it, which is later, so the lease
//   never ends here after it ended there. A running tenant stops a tenth of the lifetime before
//   that end, which leaves room for the stop to land before another node may take it.
// - Forwards to other nodes that failed are routed again together, in id (acknowledgement)
//   order, so a retry does not fall behind later messages of its conversation.
// - On a view change, the tenants that now belong elsewhere are given up: running ones stop
//   (their lease is released once their actors are gone), ones still waiting for a lease
//   answer are decided by that answer.
// Time comes in as arguments (when a request was sent, now) and is never read here, so the
// decisions replay the same in tests.
//
// `Msg` is the held message; it has an `int64_t id` that grows in acknowledgement order.
// Owned by the tenants router actor (actors/placement.cpp carries out the actions); one thread.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parley::logic {

enum class placement_phase { acquiring, running, releasing };

/// "acquiring", "running" or "releasing" (as reported by GET /v1/cluster).
[[nodiscard]] const char* phase_name(placement_phase p);

/// How long failed forwards wait before they are routed again, when the one that failed had
/// failed `attempt` times before: 50 ms, doubling, 800 ms at most.
[[nodiscard]] std::chrono::milliseconds forward_retry_delay(int32_t attempt);

/// A tenant as placed here, for reports.
struct placed_lease {
  std::string tenant_id;
  placement_phase phase = placement_phase::acquiring;
  int64_t epoch = 0;  ///< the lease's fencing token; 0 while acquiring or once lapsed
};

/// A running tenant whose lease may have lapsed by our clock: it stops now, nothing to release.
struct lapsed_lease {
  std::string tenant_id;
  int64_t epoch = 0;  ///< the lease it ran under
};

/// A tenant's actors ended: its lease is to be released (`epoch` 0: it lapsed, there is
/// nothing to release, but the release is still answered).
struct tenant_ended {
  bool was_running = false;
  int64_t epoch = 0;
};

/// What unanswered work found in the database for a tenant this node owns asks for.
enum class found_work {
  none,     ///< its lease is being taken or given up: that decides
  acquire,  ///< not placed here: take its lease now
  sweep,    ///< it runs here: it looks for work stranded between storing and queueing
};

template <class Msg>
class placement_table {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// What giving a tenant up asks of the actor.
  struct handover {
    enum kind {
      none,      ///< not placed here, already releasing, or a lease answer is awaited
      stop,      ///< it ran here: stop its actors, then release `epoch` (at once if none run)
      unplaced,  ///< it waited for a lease: it is forgotten, `reroute` goes out again
    } what = none;
    int64_t epoch = 0;
    std::vector<Msg> reroute;  ///< in arrival order
  };

  /// What the answer to a lease request asks of the actor.
  struct lease_answer {
    bool run = false;          ///< the tenant runs here now, under the epoch taken: spawn it
    bool retry = false;        ///< not taken: ask again shortly (lease_due)
    int64_t give_back = 0;     ///< > 0: a lease taken but no longer wanted, release it
    std::vector<Msg> reroute;  ///< the tenant is no longer placed here: route these again
  };

  /// The retry timer of a refused lease request came due.
  struct lease_retry {
    bool acquire = false;  ///< ask for the lease again now
    handover given_up;     ///< or the tenant belongs elsewhere by now
  };

  struct forward_failure {
    bool given_up = false;  ///< too many attempts: dropped (the owner's sweep finds it)
    std::optional<std::chrono::milliseconds> timer;  ///< call retry_due() after this
  };

  using retry = std::pair<Msg, int32_t>;  ///< a message and its failed attempts so far

  struct view_change {
    std::vector<Msg> unjoined;   ///< held until the node joined, in arrival order: route them
    bool changed = false;        ///< a new placement set: the rest applies
    std::vector<retry> retries;  ///< failed forwards, in id order: route them before the rest
    std::vector<std::pair<std::string, handover>> given_up;  ///< tenants now owned elsewhere
  };

  explicit placement_table(std::chrono::milliseconds lease_ttl = std::chrono::milliseconds{1500},
                           std::size_t max_held = 10000, int32_t max_forward_attempts = 30)
      : ttl_(lease_ttl), max_held_(max_held), max_forward_attempts_(max_forward_attempts) {}

  // --- Routing -----------------------------------------------------------------------------

  /// The node does not know its peers yet: `m` waits for the first joined view. Beyond
  /// `max_held`, messages are dropped (left to the owner's inbox replay), here and in hold().
  void hold_unjoined(Msg&& m) {
    if (unjoined_.size() < max_held_) unjoined_.push_back(std::move(m));
  }

  /// The lease epoch to deliver a message of `tenant` under, when it runs here.
  [[nodiscard]] std::optional<int64_t> running_epoch(const std::string& tenant) const {
    auto it = placed_.find(tenant);
    if (it == placed_.end() || it->second.phase != placement_phase::running) return std::nullopt;
    return it->second.epoch;
  }

  /// `m` is for a tenant this node owns that does not run here (running_epoch() is null): it
  /// waits for the tenant's lease. True when the tenant was not placed: take its lease now.
  [[nodiscard]] bool hold(const std::string& tenant, Msg&& m) {
    auto [it, fresh] = placed_.try_emplace(tenant);
    auto& e = it->second;
    if (e.held.size() < max_held_) e.held.push_back(std::move(m));
    if (fresh) e.acquire_in_flight = true;
    return fresh;
  }

  /// The database has unanswered work for `tenant`, which this node owns.
  [[nodiscard]] found_work work_found(const std::string& tenant) {
    auto [it, fresh] = placed_.try_emplace(tenant);
    if (fresh) {
      it->second.acquire_in_flight = true;
      return found_work::acquire;
    }
    return it->second.phase == placement_phase::running ? found_work::sweep : found_work::none;
  }

  // --- Leases ------------------------------------------------------------------------------

  /// A lease request for `tenant` sent at `sent` was answered: `epoch` > 0 taken, otherwise
  /// refused or failed. `mine`: this node owns the tenant by the current view.
  [[nodiscard]] lease_answer lease_answered(const std::string& tenant, int64_t epoch, bool mine,
                                            time_point sent) {
    lease_answer a;
    auto it = placed_.find(tenant);
    bool wanted = it != placed_.end() && it->second.phase == placement_phase::acquiring;
    if (!wanted || !mine) {
      if (epoch > 0) a.give_back = epoch;
      if (wanted) a.reroute = unplace(it);
      return a;
    }
    auto& e = it->second;
    e.acquire_in_flight = false;
    if (epoch <= 0) {
      a.retry = true;
      return a;
    }
    e.phase = placement_phase::running;
    e.epoch = epoch;
    e.valid_until = sent + ttl_;
    e.held.clear();  // the tenant replays its inbox, which holds all of them
    a.run = true;
    return a;
  }

  /// The retry timer of a refused lease request for `tenant` came due.
  [[nodiscard]] lease_retry lease_due(const std::string& tenant, bool mine) {
    lease_retry r;
    auto it = placed_.find(tenant);
    if (it == placed_.end() || it->second.phase != placement_phase::acquiring) return r;
    if (!mine) {
      r.given_up = give_up(tenant);
      return r;
    }
    if (!it->second.acquire_in_flight) r.acquire = it->second.acquire_in_flight = true;
    return r;
  }

  /// The actors of `tenant` ended (stopped, killed or crashed): its lease is released now.
  /// Null when the tenant is not placed here.
  [[nodiscard]] std::optional<tenant_ended> tenant_down(const std::string& tenant) {
    auto it = placed_.find(tenant);
    if (it == placed_.end()) return std::nullopt;
    auto& e = it->second;
    tenant_ended ended{e.phase == placement_phase::running, e.epoch};
    e.phase = placement_phase::releasing;
    return ended;
  }

  /// The lease of `tenant` was released (or could not be: it lapses by itself). Returns what
  /// it held, to route again; nothing when it was not being released.
  [[nodiscard]] std::vector<Msg> released(const std::string& tenant) {
    auto it = placed_.find(tenant);
    if (it == placed_.end() || it->second.phase != placement_phase::releasing) return {};
    return unplace(it);
  }

  // --- Renewals ----------------------------------------------------------------------------

  /// The renewal timer: the running tenants whose leases to renew now, sorted. Empty when none
  /// runs or a renewal is still awaited; otherwise a renewal is awaited from now on.
  [[nodiscard]] std::vector<std::string> renewal_due() {
    std::vector<std::string> ids;
    for (auto& [id, e] : placed_)
      if (e.phase == placement_phase::running) ids.push_back(id);
    if (ids.empty() || renew_in_flight_) return {};
    renew_in_flight_ = true;
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  /// The renewal sent at `sent` was answered. `renewed` holds the leases the database extended
  /// (items with `tenant_id` and `epoch`; empty when it failed); those still running under
  /// that epoch are valid for a lease lifetime from `sent`.
  template <class Leases>
  void renewal_answered(const Leases& renewed, time_point sent) {
    renew_in_flight_ = false;
    for (auto& r : renewed) {
      auto it = placed_.find(r.tenant_id);
      if (it != placed_.end() && it->second.phase == placement_phase::running &&
          it->second.epoch == r.epoch)
        it->second.valid_until = sent + ttl_;
    }
  }

  /// The running tenants whose lease may have lapsed by `now`: they are releasing (with
  /// nothing to release) and must stop now, the database would refuse their replies anyway.
  [[nodiscard]] std::vector<lapsed_lease> expire(time_point now) {
    auto margin = ttl_ / 10;
    std::vector<lapsed_lease> out;
    for (auto& [id, e] : placed_) {
      if (e.phase != placement_phase::running || now < e.valid_until - margin) continue;
      out.push_back(lapsed_lease{id, e.epoch});
      e.phase = placement_phase::releasing;
      e.epoch = 0;
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.tenant_id < b.tenant_id; });
    return out;
  }

  // --- Forward retries ---------------------------------------------------------------------

  /// A forward of `m` failed after `attempt` earlier failures. Unless given up (then `m` is
  /// left untouched), it waits with the others for the retry timer, which is to be started
  /// when none runs.
  [[nodiscard]] forward_failure forward_failed(Msg&& m, int32_t attempt) {
    forward_failure f;
    if (attempt + 1 >= max_forward_attempts_) {
      f.given_up = true;
      return f;
    }
    retrying_.emplace_back(std::move(m), attempt + 1);
    if (!retry_scheduled_) {
      retry_scheduled_ = true;
      f.timer = forward_retry_delay(attempt);
    }
    return f;
  }

  /// The retry timer fired: the failed forwards to route again, in id order.
  [[nodiscard]] std::vector<retry> retry_due() {
    retry_scheduled_ = false;
    return take_retries();
  }

  // --- Views -------------------------------------------------------------------------------

  /// The node's view says it has joined, with placement set `generation`. `mine(tenant)`: this
  /// node owns the tenant by that view. The running timer of failed forwards stays: it finds
  /// them routed already.
  template <class Mine>
  [[nodiscard]] view_change joined_view(uint64_t generation, Mine&& mine) {
    view_change v;
    v.unjoined = std::move(unjoined_);
    unjoined_.clear();
    if (generation == generation_) return v;
    generation_ = generation;
    v.changed = true;
    // Failed forwards go first: they are older than what tenants moving away held meanwhile.
    v.retries = take_retries();
    std::vector<std::string> moving;
    for (auto& [id, e] : placed_)
      if (!mine(id)) moving.push_back(id);
    std::sort(moving.begin(), moving.end());
    for (auto& id : moving) {
      auto h = give_up(id);
      if (h.what != handover::none) v.given_up.emplace_back(std::move(id), std::move(h));
    }
    return v;
  }

  // --- Introspection -----------------------------------------------------------------------

  /// The tenants placed here, sorted by id.
  [[nodiscard]] std::vector<placed_lease> report() const {
    std::vector<placed_lease> out;
    for (auto& [id, e] : placed_) out.push_back(placed_lease{id, e.phase, e.epoch});
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.tenant_id < b.tenant_id; });
    return out;
  }
  [[nodiscard]] std::size_t size() const { return placed_.size(); }
  [[nodiscard]] bool empty() const { return placed_.empty(); }
  /// Messages held for `tenant` (0 when not placed).
  [[nodiscard]] std::size_t held(const std::string& tenant) const {
    auto it = placed_.find(tenant);
    return it == placed_.end() ? 0 : it->second.held.size();
  }
  [[nodiscard]] std::size_t unjoined() const { return unjoined_.size(); }
  [[nodiscard]] std::size_t retrying() const { return retrying_.size(); }

 private:
  struct entry {
    placement_phase phase = placement_phase::acquiring;
    int64_t epoch = 0;       ///< the lease's fencing token while running
    time_point valid_until;  ///< by our clock; the tenant stops before this
    std::vector<Msg> held;   ///< while acquiring or releasing
    bool acquire_in_flight = false;
  };
  using entries = std::unordered_map<std::string, entry>;

  // The tenant is no longer placed here: forgotten, what it held goes out again.
  std::vector<Msg> unplace(typename entries::iterator it) {
    auto held = std::move(it->second.held);
    placed_.erase(it);
    return held;
  }

  // Handover: the tenant now belongs elsewhere. A running one stops; its lease is released
  // once its actors are gone, and the new owner replays what they left unanswered.
  handover give_up(const std::string& tenant) {
    handover h;
    auto it = placed_.find(tenant);
    if (it == placed_.end()) return h;
    auto& e = it->second;
    if (e.phase == placement_phase::acquiring && !e.acquire_in_flight) {
      h.what = handover::unplaced;
      h.reroute = unplace(it);
    } else if (e.phase == placement_phase::running) {
      e.phase = placement_phase::releasing;
      h.what = handover::stop;
      h.epoch = e.epoch;
    }
    return h;
  }

  std::vector<retry> take_retries() {
    auto again = std::move(retrying_);
    retrying_.clear();
    std::stable_sort(again.begin(), again.end(),
                     [](const retry& a, const retry& b) { return a.first.id < b.first.id; });
    return again;
  }

  std::chrono::milliseconds ttl_;
  std::size_t max_held_;
  int32_t max_forward_attempts_;
  entries placed_;
  std::vector<Msg> unjoined_;  // arrived before this node knew its peers
  uint64_t generation_ = 0;    // of the view last acted on
  bool renew_in_flight_ = false;
  std::vector<retry> retrying_;
  bool retry_scheduled_ = false;
};

}  // namespace parley::logic
