#include "logic/fair_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using parley::logic::fair_queue;

namespace {

std::vector<std::string> drain(fair_queue<std::string, std::string>& q) {
  std::vector<std::string> out;
  while (!q.empty()) out.push_back(q.pop());
  return out;
}

}  // namespace

TEST(fair_queue, a_bursting_key_delays_another_by_one_turn_not_by_its_backlog) {
  fair_queue<std::string, std::string> q;
  for (int i = 0; i < 1000; ++i) q.push("burst", "b" + std::to_string(i));
  q.push("quiet", "q0");
  EXPECT_EQ(q.size(), 1001u);
  EXPECT_EQ(q.keys(), 2u);
  EXPECT_EQ(q.pop(), "b0");
  EXPECT_EQ(q.pop(), "q0");  // second, not 1001st
  EXPECT_EQ(q.pop(), "b1");
  EXPECT_EQ(q.keys(), 1u);
}

TEST(fair_queue, each_key_keeps_its_own_order_and_keys_take_turns) {
  fair_queue<std::string, std::string> q;
  q.push("a", "a1");
  q.push("a", "a2");
  q.push("b", "b1");
  q.push("a", "a3");
  q.push("c", "c1");
  q.push("b", "b2");
  EXPECT_EQ(q.front(), "a1");
  EXPECT_EQ(drain(q), (std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3"}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.keys(), 0u);
}

TEST(fair_queue, a_key_that_ran_dry_queues_again_behind_the_others) {
  fair_queue<std::string, std::string> q;
  q.push("a", "a1");
  q.push("b", "b1");
  q.push("b", "b2");
  EXPECT_EQ(q.pop(), "a1");
  q.push("a", "a2");  // 'a' had left the rotation: it comes back after 'b'
  EXPECT_EQ(drain(q), (std::vector<std::string>{"b1", "a2", "b2"}));
}
