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
  q.add({bubble(1, "a"), bubble(2, "a"), bubble(3, "a")});
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
  q.add({bubble(1, "a"), bubble(2, "b"), bubble(3, "c")});
  EXPECT_EQ(q.take_sends().size(), 2u);
  EXPECT_TRUE(q.take_sends().empty());
  ASSERT_TRUE(q.finish("a", 1));
  EXPECT_EQ(q.take_sends(), convs{"c"});
}

TEST(outbox_queue, a_stale_answer_changes_nothing) {
  outbox_queue q{4};
  q.add({bubble(1, "a"), bubble(2, "a")});
  ASSERT_EQ(q.take_sends(), convs{"a"});
  EXPECT_FALSE(q.finish("a", 2));  // not the head
  EXPECT_FALSE(q.finish("b", 1));  // no such conversation
  EXPECT_FALSE(q.defer("a", 2));
  EXPECT_EQ(q.head("a")->id, 1);
  EXPECT_EQ(q.in_flight(), 1u);
}

TEST(outbox_queue, a_deferred_head_frees_its_slot_but_nothing_overtakes_it) {
  outbox_queue q{1};
  q.add({bubble(1, "a"), bubble(2, "a"), bubble(3, "b")});
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
  q.add({bubble(1, "a")});
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
  q.add(burst);
  q.add({bubble(1, "quiet", "calm")});
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
  q.add({bubble(1, "a"), bubble(2, "a")});
  q.add({bubble(1, "a")});  // the same bubble again (recovery overlap)
  EXPECT_EQ(q.pending(), 2u);
  ASSERT_EQ(q.take_sends(), convs{"a"});
  ASSERT_TRUE(q.finish("a", 1));
  // Its "sent" mark may not be committed: a sweep reading it as pending must not resend it.
  q.add({bubble(1, "a")});
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 2);
}

TEST(outbox_queue, cancel_drops_what_waits_but_not_what_is_in_flight) {
  outbox_queue q{4};
  q.add({bubble(1, "a"), bubble(2, "a"), bubble(3, "a")});
  ASSERT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.cancel("a"), 2u);
  EXPECT_EQ(q.head("a")->id, 1);
  ASSERT_TRUE(q.finish("a", 1));
  EXPECT_EQ(q.conversations(), 0u);
  // Not in flight: everything goes.
  q.add({bubble(4, "b"), bubble(5, "b")});
  EXPECT_EQ(q.cancel("b"), 2u);
  EXPECT_TRUE(q.take_sends().empty());
  EXPECT_EQ(q.pending(), 0u);
}

TEST(outbox_queue, an_older_bubble_learnt_late_leaves_before_the_newer_ones_still_queued) {
  outbox_queue q{4};
  q.add({bubble(10, "a"), bubble(12, "a")});
  ASSERT_EQ(q.take_sends(), convs{"a"});  // 10 is in flight
  // Stranded by another process, read when 12 was stored: before 12, after the one in flight.
  q.add({bubble(11, "a")});
  ASSERT_TRUE(q.finish("a", 10));
  ASSERT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 11);
  ASSERT_TRUE(q.finish("a", 11));
  ASSERT_EQ(q.take_sends(), convs{"a"});
  EXPECT_EQ(q.head("a")->id, 12);
  EXPECT_EQ(q.overtaken(), 0u);
}

TEST(outbox_queue, a_bubble_older_than_one_that_left_is_counted_as_overtaken) {
  outbox_queue q{4};
  q.add({bubble(12, "a")});
  ASSERT_EQ(q.take_sends(), convs{"a"});
  ASSERT_TRUE(q.finish("a", 12));
  q.add({bubble(11, "a")});
  EXPECT_EQ(q.overtaken(), 1u);
  q.add({bubble(13, "a")});
  EXPECT_EQ(q.overtaken(), 1u);
}

TEST(outbox_queue, another_process_bubble_is_uncertain_and_can_be_settled_without_a_send) {
  outbox_queue q{1, 16, /*self_sender=*/7};
  auto mine = bubble(1, "a");
  mine.sender = 7;
  auto theirs = bubble(2, "b");
  theirs.sender = 5;
  auto released = bubble(3, "c");
  EXPECT_FALSE(q.uncertain(mine));
  EXPECT_TRUE(q.uncertain(theirs));
  EXPECT_FALSE(q.uncertain(released));  // sender 0: released, anyone may send it
  q.add({theirs, bubble(4, "b")});
  ASSERT_EQ(q.take_sends(), convs{"b"});
  ASSERT_TRUE(q.defer("b", 2));  // waiting for its status: no slot held, nothing overtakes
  q.add({bubble(5, "c")});
  EXPECT_EQ(q.take_sends(), convs{"c"});  // the slot is free for other conversations
  ASSERT_TRUE(q.finish("c", 5));
  EXPECT_TRUE(q.settle("b", 2));  // its status came: it was sent, no send here
  EXPECT_FALSE(q.settle("b", 2));
  EXPECT_EQ(q.take_sends(), convs{"b"});
  EXPECT_EQ(q.head("b")->id, 4);
  // The ring remembers it: offered again as pending, it is not queued.
  q.add({theirs});
  EXPECT_EQ(q.pending(), 1u);
}
