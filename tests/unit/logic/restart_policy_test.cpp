#include "logic/restart_policy.hpp"

#include <gtest/gtest.h>

using namespace parley::logic;
using namespace std::chrono_literals;

namespace {
restart_policy make(strategy s, int max = 3, backoff b = {10ms, 1000ms, 0.0}) {
  return restart_policy{s, intensity{max, 1000ms}, b};
}
}  // namespace

TEST(restart_policy, one_for_one_restarts_only_the_failed_child) {
  auto p = make(strategy::one_for_one);
  auto d = p.on_child_exit(1, 3, restart_type::permanent, true, clock::now());
  EXPECT_EQ(d.what, decision::restart);
  EXPECT_EQ(d.restart_children, (std::vector<std::size_t>{1}));
}

TEST(restart_policy, one_for_all_and_rest_for_one) {
  auto all = make(strategy::one_for_all);
  EXPECT_EQ(all.on_child_exit(1, 3, restart_type::permanent, true, clock::now()).restart_children,
            (std::vector<std::size_t>{0, 1, 2}));
  auto rest = make(strategy::rest_for_one);
  EXPECT_EQ(rest.on_child_exit(1, 3, restart_type::permanent, true, clock::now()).restart_children,
            (std::vector<std::size_t>{1, 2}));
}

TEST(restart_policy, restart_types) {
  auto p = make(strategy::one_for_one);
  auto now = clock::now();
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::temporary, true, now).what, decision::ignore);
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::transient, false, now).what, decision::ignore);
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::transient, true, now).what, decision::restart);
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::permanent, false, now).what, decision::restart);
}

TEST(restart_policy, gives_up_after_max_restarts_in_the_period) {
  auto p = make(strategy::one_for_one, 3);
  auto t = clock::now();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(p.on_child_exit(0, 1, restart_type::permanent, true, t + i * 10ms).what,
              decision::restart);
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::permanent, true, t + 40ms).what,
            decision::escalate);
}

TEST(restart_policy, old_restarts_leave_the_window) {
  auto p = make(strategy::one_for_one, 2);
  auto t = clock::now();
  p.on_child_exit(0, 1, restart_type::permanent, true, t);
  p.on_child_exit(0, 1, restart_type::permanent, true, t + 10ms);
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::permanent, true, t + 1500ms).what,
            decision::restart);
}

TEST(restart_policy, backoff_doubles_up_to_the_cap_and_resets_when_stable) {
  auto p = make(strategy::one_for_one, 100, backoff{10ms, 50ms, 0.0});
  auto t = clock::now();
  std::vector<long> delays;
  for (int i = 0; i < 5; ++i)
    delays.push_back(
        p.on_child_exit(0, 1, restart_type::permanent, true, t + i * 1ms).delay.count());
  EXPECT_EQ(delays, (std::vector<long>{10, 20, 40, 50, 50}));
  auto later = t + 5s;
  EXPECT_EQ(p.on_child_exit(0, 1, restart_type::permanent, true, later).delay, 10ms);
}

TEST(restart_policy, jitter_stays_within_bounds) {
  auto p = make(strategy::one_for_one, 1000, backoff{100ms, 100ms, 0.2});
  auto t = clock::now();
  for (int i = 0; i < 50; ++i) {
    auto d = p.on_child_exit(0, 1, restart_type::permanent, true, t).delay;
    EXPECT_GE(d, 80ms);
    EXPECT_LE(d, 120ms);
  }
}
