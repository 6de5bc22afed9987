#pragma once
// What a supervisor does when a child ends: pure rules, no CAF, unit-tested.
//
// Owned by one supervisor actor and used only from it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace parley::logic {

using clock = std::chrono::steady_clock;

enum class restart_type {
  permanent,  ///< always restarted
  transient,  ///< restarted only after an abnormal exit
  temporary,  ///< never restarted
};

enum class strategy {
  one_for_one,   ///< restart the child that ended
  one_for_all,   ///< restart every child
  rest_for_one,  ///< restart the child that ended and those started after it
};

struct intensity {
  int max_restarts = 5;  ///< more than this within `period`: give up
  std::chrono::milliseconds period{10000};
};

struct backoff {
  std::chrono::milliseconds base{10};
  std::chrono::milliseconds max{5000};
  double jitter = 0.2;  ///< +/- this fraction, so siblings do not restart in lockstep
};

struct decision {
  enum kind { ignore, restart, escalate } what = ignore;
  std::vector<std::size_t> restart_children;  ///< indexes, in start order
  std::chrono::milliseconds delay{0};
};

std::string to_string(decision::kind k);
std::string to_string(strategy s);

class restart_policy {
 public:
  restart_policy(strategy s, intensity i, backoff b, uint64_t seed = 0x5eed);

  /// Child `index` (in start order) of `count` children ended, abnormally or not.
  decision on_child_exit(std::size_t index, std::size_t count, restart_type type, bool abnormal,
                         clock::time_point now);

  /// A child has run this long without failing: its backoff starts over.
  void on_stable(clock::time_point now);

  [[nodiscard]] std::size_t recent_restarts() const { return restarts_.size(); }

 private:
  std::chrono::milliseconds next_delay();

  strategy strategy_;
  intensity intensity_;
  backoff backoff_;
  std::deque<clock::time_point> restarts_;
  int level_ = 0;
  clock::time_point last_failure_{};
  std::mt19937_64 rng_;
};

}  // namespace parley::logic
