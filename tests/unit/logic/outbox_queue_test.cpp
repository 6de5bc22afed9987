// The outbox's decisions: order per conversation, the in-flight cap, retries that keep the
// conversation's place, fairness between tenants, sweeps that offer finished bubbles again,
// and cancellation behind the bubble in flight.
#include "logic/outbox_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using parley::logic::outbound_bubble;
using parley::logic::outbox_queue;

namespace {
outbound_bubble bubble(int64_t id, std::string conv, std::string tenant = "t1") {
  outbound_bubble b;
  b.id = id;
  b.conversation_id = std::move(conv);
  b.tenant_id = std::move(tenant);
  return b;
}
using convs = std::vector<std::string>;
}  // namespace

TEST(outbox_queue, one_bubble_of_a_conversation_at_a_time_in_order) {
  outbox_queue q{8};
  q.add({bubble(1, "a"), bubble(2, "a"), bubble(3, "a")}, false);
  EXPECT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 1);
  EXPECT_TRUE(q.take_sends().empty());  // 2 waits for 1
  ASSERT_TRUE(q.finish("a", 1));
  EXPECT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 2);
  ASSERT_TRUE(q.finish("a", 2));
  EXPECT_EQ(q.take_sends(), convs{"a"});
  ASSERT_TRUE(q.finish("a", 3));
  EXPECT_EQ(q.pending(), 0u);
  EXPECT_EQ(q.conversations(), 0u);
  EXPECT_EQ(q.in_flight(), 0u);
}

TEST(outbox_queue, the_cap_bounds_sends_across_conversations) {
  outbox_queue q{2};
  q.add({bubble(1, "a"), bubble(2, "b"), bubble(3, "c")}, false);
  EXPECT_EQ(q.take_sends().size(), 2u);
  EXPECT_TRUE(q.take_sends().empty());
  ASSERT_TRUE(q.finish("a", 1));
  EXPECT_EQ(q.take_sends(), convs{"c"});
}

TEST(outbox_queue, a_stale_answer_changes_nothing) {
  outbox_queue q{4};
  q.add({bubble(1, "a"), bubble(2, "a")}, false);
  ASSERT_EQ(q.take_sends(), convs{"a"});
  EXPECT_FALSE(q.finish("a", 2));  // not the head
  EXPECT_FALSE(q.finish("b", 1));  // no such conversation
  EXPECT_FALSE(q.defer("a", 2));
  EXPECT_EQ(q.head("a")->id, 1);
  EXPECT_EQ(q.in_flight(), 1u);
}

TEST(outbox_queue, a_deferred_head_frees_its_slot_but_nothing_overtakes_it) {
  outbox_queue q{1};
  q.add({bubble(1, "a"), bubble(2, "a"), bubble(3, "b")}, false);
  EXPECT_EQ(q.take_sends(), convs{"a"});
  ASSERT_TRUE(q.defer("a", 1));
  EXPECT_EQ(q.in_flight(), 0u);
  EXPECT_EQ(q.take_sends(), convs{"b"});  // the free slot goes to another conversation
  EXPECT_FALSE(q.retry_due("a"));         // no slot: it waits for one
  ASSERT_TRUE(q.finish("b", 3));
  EXPECT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 1);  // the same bubble again, not bubble 2
}

TEST(outbox_queue, a_retry_due_with_a_free_slot_sends_at_once) {
  outbox_queue q{2};
  q.add({bubble(1, "a")}, false);
  ASSERT_EQ(q.take_sends(), convs{"a"});
  ASSERT_TRUE(q.defer("a", 1));
  EXPECT_TRUE(q.retry_due("a"));
  EXPECT_EQ(q.in_flight(), 1u);
  EXPECT_TRUE(q.take_sends().empty());  // not twice
}

TEST(outbox_queue, tenants_take_turns_for_free_slots) {
  outbox_queue q{1};
  std::vector<outbound_bubble> burst;
  for (int i = 0; i < 50; ++i) burst.push_back(bubble(100 + i, "hot" + std::to_string(i), "hot"));
  q.add(burst, false);
  q.add({bubble(1, "quiet", "calm")}, false);
  auto first = q.take_sends();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(q.finish(first[0], q.head(first[0])->id));
  // The quiet tenant's conversation is served within one turn, not after the 50 of the burst.
  auto second = q.take_sends();
  auto third = (q.finish(second[0], q.head(second[0])->id), q.take_sends());
  EXPECT_TRUE(first[0] == "quiet" || second[0] == "quiet" || third[0] == "quiet");
}

TEST(outbox_queue, ids_are_queued_once_and_a_sweep_cannot_bring_back_a_finished_one) {
  outbox_queue q{4};
  q.add({bubble(1, "a"), bubble(2, "a")}, false);
  q.add({bubble(1, "a")}, false);  // the same bubble again (recovery overlap)
  EXPECT_EQ(q.pending(), 2u);
  ASSERT_EQ(q.take_sends(), convs{"a"});
  ASSERT_TRUE(q.finish("a", 1));
  // Its "sent" mark may not be committed: a sweep reading it as pending must not resend it.
  q.add({bubble(1, "a")}, true);
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 2);
}

TEST(outbox_queue, cancel_drops_what_waits_but_not_what_is_in_flight) {
  outbox_queue q{4};
  q.add({bubble(1, "a"), bubble(2, "a"), bubble(3, "a")}, false);
  ASSERT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.cancel("a"), 2u);
  EXPECT_EQ(q.head("a")->id, 1);
  ASSERT_TRUE(q.finish("a", 1));
  EXPECT_EQ(q.conversations(), 0u);
  // Not in flight: everything goes.
  q.add({bubble(4, "b"), bubble(5, "b")}, false);
  EXPECT_EQ(q.cancel("b"), 2u);
  EXPECT_TRUE(q.take_sends().empty());
  EXPECT_EQ(q.pending(), 0u);
}
