#include "logic/restart_policy.hpp"

#include <algorithm>

namespace parley::logic {

std::string to_string(decision::kind k) {
  switch (k) {
    case decision::ignore:
      return "ignore";
    case decision::restart:
      return "restart";
    case decision::escalate:
      return "escalate";
  }
  return "?";
}

std::string to_string(strategy s) {
  switch (s) {
    case strategy::one_for_one:
      return "one_for_one";
    case strategy::one_for_all:
      return "one_for_all";
    case strategy::rest_for_one:
      return "rest_for_one";
  }
  return "?";
}

restart_policy::restart_policy(strategy s, intensity i, backoff b, uint64_t seed)
    : strategy_(s), intensity_(i), backoff_(b), rng_(seed) {}

decision restart_policy::on_child_exit(std::size_t index, std::size_t count, restart_type type,
                                       bool abnormal, clock::time_point now) {
  decision d;
  if (type == restart_type::temporary || (type == restart_type::transient && !abnormal))
    return d;  // ignore: the child is simply gone
  while (!restarts_.empty() && now - restarts_.front() > intensity_.period) restarts_.pop_front();
  if (static_cast<int>(restarts_.size()) >= intensity_.max_restarts) {
    d.what = decision::escalate;
    return d;
  }
  restarts_.push_back(now);
  if (last_failure_ != clock::time_point{} && now - last_failure_ > intensity_.period) level_ = 0;
  last_failure_ = now;
  d.what = decision::restart;
  d.delay = next_delay();
  switch (strategy_) {
    case strategy::one_for_one:
      d.restart_children = {index};
      break;
    case strategy::one_for_all:
      for (std::size_t i = 0; i < count; ++i) d.restart_children.push_back(i);
      break;
    case strategy::rest_for_one:
      for (std::size_t i = index; i < count; ++i) d.restart_children.push_back(i);
      break;
  }
  return d;
}

void restart_policy::on_stable(clock::time_point now) {
  if (now - last_failure_ > intensity_.period) level_ = 0;
}

std::chrono::milliseconds restart_policy::next_delay() {
  auto raw = backoff_.base.count() * (int64_t{1} << std::min(level_, 20));
  raw = std::min<int64_t>(raw, backoff_.max.count());
  level_ = std::min(level_ + 1, 20);
  if (backoff_.jitter > 0) {
    std::uniform_real_distribution<double> dist{1.0 - backoff_.jitter, 1.0 + backoff_.jitter};
    raw = static_cast<int64_t>(static_cast<double>(raw) * dist(rng_));
  }
  return std::chrono::milliseconds{std::max<int64_t>(raw, 0)};
}

}  // namespace parley::logic
