// A tenant's intake: backpressure by messages held, per conversation and in all; the rate
// budget and its wake-up; replays in pages from where intake paused; rewinds; and the crash
// strikes that make a message poison.
#include "logic/tenant_intake.hpp"

#include <gtest/gtest.h>

#include "logic/crash_strikes.hpp"

using parley::logic::crash_strikes;
using parley::logic::tenant_intake;
using step = tenant_intake::resume_step;

namespace {
// Admits and delivers, as the tenant actor does.
bool offer(tenant_intake& in, int64_t id, const std::string& conv, double now = 0) {
  auto a = in.admit(id, conv, now);
  if (a.deliver) in.delivered(conv);
  return a.deliver;
}
}  // namespace

TEST(tenant_intake, delivers_until_the_tenant_holds_too_much_then_pauses_from_that_id) {
  tenant_intake in{4, 100};
  for (int64_t id = 1; id <= 4; ++id) EXPECT_TRUE(offer(in, id, "c" + std::to_string(id)));
  EXPECT_EQ(in.in_flight(), 4u);
  auto a = in.admit(5, "c5", 0);
  EXPECT_FALSE(a.deliver);
  EXPECT_TRUE(a.paused_now);
  EXPECT_TRUE(in.paused());
  // Paused: later messages stay in the inbox too, and pausing is reported once.
  a = in.admit(6, "c1", 0);
  EXPECT_FALSE(a.deliver);
  EXPECT_FALSE(a.paused_now);
  // Not yet resumable: the conversations still hold more than half.
  EXPECT_EQ(in.maybe_resume(0).what, step::none);
  in.holds("c1", 0);
  in.ended("c2");
  auto s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 4);  // from id 5, where it paused
  EXPECT_EQ(s.limit, 3);
  EXPECT_EQ(in.in_flight(), 2u);
}

TEST(tenant_intake, one_conversation_holding_its_maximum_pauses_intake) {
  tenant_intake in{100, 2};
  EXPECT_TRUE(offer(in, 1, "a"));
  EXPECT_TRUE(offer(in, 2, "a"));
  EXPECT_FALSE(offer(in, 3, "a"));
  EXPECT_TRUE(in.paused());
  EXPECT_EQ(in.held_by("a"), 2u);
}

TEST(tenant_intake, a_replay_reads_pages_in_order_until_it_has_caught_up) {
  tenant_intake in{4, 100};
  for (int64_t id = 1; id <= 4; ++id) offer(in, id, "c");
  EXPECT_FALSE(offer(in, 5, "c"));
  in.holds("c", 0);
  auto s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  // While the page is read, arrivals stay in the inbox and the page is read again after.
  EXPECT_FALSE(offer(in, 9, "c"));
  EXPECT_EQ(in.maybe_resume(0).what, step::none);  // one read at a time
  in.page_started(2, s.limit);                     // ids 5 and 6 (a short page)
  for (int64_t id : {5, 6}) {
    in.replayed(id);
    EXPECT_TRUE(offer(in, id, "c"));
  }
  ASSERT_TRUE(in.page_done());  // an arrival was kept in the inbox meanwhile: read again
  EXPECT_TRUE(in.paused());
  s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 6);
  in.page_started(1, s.limit);
  in.replayed(9);
  EXPECT_TRUE(offer(in, 9, "c"));
  EXPECT_FALSE(in.page_done());  // short page, nothing dropped: caught up
  EXPECT_FALSE(in.paused());
  EXPECT_TRUE(offer(in, 10, "c"));
}

TEST(tenant_intake, a_replay_that_fills_up_again_stops_where_it_was) {
  tenant_intake in{4, 100};
  for (int64_t id = 1; id <= 4; ++id) offer(in, id, "c");
  EXPECT_FALSE(offer(in, 5, "c"));
  in.holds("c", 1);
  auto s = in.maybe_resume(0);
  in.page_started(3, s.limit);
  int delivered = 0;
  for (int64_t id : {5, 6, 7, 8}) {
    in.replayed(id);
    if (!offer(in, id, "c")) break;
    ++delivered;
  }
  EXPECT_EQ(delivered, 3);  // 1 + 3 = 4 held: the fourth pauses
  EXPECT_FALSE(in.page_done());
  EXPECT_TRUE(in.paused());
  in.holds("c", 0);
  s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 7);  // id 8 comes again
}

TEST(tenant_intake, a_failed_page_read_is_tried_again) {
  tenant_intake in{2, 100};
  offer(in, 1, "c");
  offer(in, 2, "c");
  EXPECT_FALSE(offer(in, 3, "c"));
  in.ended("c");
  ASSERT_EQ(in.maybe_resume(0).what, step::read_page);
  in.page_failed();
  auto s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 2);
}

TEST(tenant_intake, over_budget_messages_wait_in_the_inbox_with_one_wake_up) {
  tenant_intake in{100, 100};
  in.set_budget(60);  // 1 per second, bursts of 10
  for (int64_t id = 1; id <= 10; ++id) EXPECT_TRUE(offer(in, id, "c", 0));
  auto a = in.admit(11, "c", 0);
  EXPECT_FALSE(a.deliver);
  EXPECT_TRUE(a.throttled);
  EXPECT_TRUE(a.paused_now);
  ASSERT_TRUE(a.wake_in_s.has_value());
  EXPECT_NEAR(*a.wake_in_s, 1.0, 1e-6);
  // No second wake-up while one is pending; none at all while out of budget.
  EXPECT_EQ(in.maybe_resume(0.5).what, step::none);
  in.woke();
  auto s = in.maybe_resume(0.5);
  ASSERT_EQ(s.what, step::wake);
  EXPECT_NEAR(s.wake_in_s, 0.5, 1e-6);
  in.woke();
  s = in.maybe_resume(1.0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 10);
}

TEST(tenant_intake, a_sweep_replays_from_the_start_now_or_after_the_running_replay) {
  tenant_intake in{100, 100};
  ASSERT_TRUE(in.replay_from_start());
  auto s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 0);
  in.page_started(1, s.limit);
  in.replayed(7);
  offer(in, 7, "c");
  EXPECT_FALSE(in.page_done());
  // A sweep during a read rewinds once that read is done.
  ASSERT_TRUE(in.replay_from_start());
  ASSERT_EQ(in.maybe_resume(0).what, step::read_page);
  EXPECT_FALSE(in.replay_from_start());
  in.page_started(0, s.limit);
  ASSERT_TRUE(in.page_done());
  s = in.maybe_resume(0);
  ASSERT_EQ(s.what, step::read_page);
  EXPECT_EQ(s.after, 0);
}

TEST(crash_strikes, messages_of_a_turn_that_crashes_often_enough_are_poison) {
  crash_strikes s;
  s.turn_started({4, 5});
  s.crashed();
  s.restarted();
  EXPECT_TRUE(s.idle());
  s.turn_started({4, 5});
  s.crashed();
  EXPECT_TRUE(s.poisoned(3).empty());
  s.turn_started({5});
  s.crashed();
  EXPECT_EQ(s.poisoned(3), std::vector<int64_t>{5});
  // A turn that ended does not count.
  s.turn_started({4});
  s.turn_ended();
  s.crashed();
  EXPECT_EQ(s.poisoned(3), std::vector<int64_t>{5});
}
