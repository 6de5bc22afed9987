// The placement decisions of the tenants router: taking a lease (held messages, one request at
// a time, refusals asked again, leases no longer wanted given back), running, releasing (held
// messages routed again in order), renewals and expiry with injected times, failed forwards
// routed again in id order, and what a view change gives up.
#include "logic/placement_table.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using parley::logic::found_work;
using parley::logic::placement_phase;

namespace {

using namespace std::chrono_literals;

struct msg {
  int64_t id = 0;
  std::string tenant_id;
};

struct lease {
  std::string tenant_id;
  int64_t epoch = 0;
};

using table = parley::logic::placement_table<msg>;
using ids = std::vector<int64_t>;
using names = std::vector<std::string>;

const table::time_point t0 = table::time_point{} + 1h;

msg m(int64_t id, std::string tenant = "t1") {
  return msg{id, std::move(tenant)};
}

ids ids_of(const std::vector<msg>& ms) {
  ids out;
  for (auto& x : ms) out.push_back(x.id);
  return out;
}

placement_phase phase_of(const table& t, const std::string& tenant) {
  for (auto& p : t.report())
    if (p.tenant_id == tenant) return p.phase;
  ADD_FAILURE() << tenant << " is not placed";
  return placement_phase::acquiring;
}

// `tenant` runs under `epoch`, its lease taken by a request sent at `sent`.
void run(table& t, const std::string& tenant, int64_t epoch, table::time_point sent = t0) {
  if (t.work_found(tenant) != found_work::acquire) ADD_FAILURE() << tenant << " placed already";
  ASSERT_TRUE(t.lease_answered(tenant, epoch, true, sent).run);
}

bool mine_unless_moved(const std::string& id) {
  return id.rfind("moved", 0) != 0;
}

}  // namespace

TEST(placement_table, messages_for_an_unplaced_tenant_are_held_and_its_lease_asked_once) {
  table t;
  EXPECT_FALSE(t.running_epoch("t1"));
  EXPECT_TRUE(t.hold("t1", m(1)));   // not placed: take the lease
  EXPECT_FALSE(t.hold("t1", m(2)));  // the request is in flight already
  EXPECT_EQ(t.held("t1"), 2u);
  EXPECT_EQ(phase_of(t, "t1"), placement_phase::acquiring);
  EXPECT_FALSE(t.running_epoch("t1"));
  EXPECT_FALSE(t.lease_due("t1", true).acquire);  // a stray timer: still in flight
}

TEST(placement_table, a_taken_lease_runs_the_tenant_which_replays_what_was_held) {
  table t;
  ASSERT_TRUE(t.hold("t1", m(1)));
  auto a = t.lease_answered("t1", 7, true, t0);
  EXPECT_TRUE(a.run);
  EXPECT_FALSE(a.retry);
  EXPECT_EQ(a.give_back, 0);
  EXPECT_TRUE(a.reroute.empty());
  EXPECT_EQ(t.running_epoch("t1"), 7);
  EXPECT_EQ(t.held("t1"), 0u);  // the tenant's inbox replay holds them
  ASSERT_EQ(t.report().size(), 1u);
  EXPECT_EQ(t.report()[0].epoch, 7);
  EXPECT_STREQ(parley::logic::phase_name(t.report()[0].phase), "running");
}

TEST(placement_table, a_refused_lease_is_asked_again_when_its_timer_comes) {
  table t;
  ASSERT_TRUE(t.hold("t1", m(1)));
  auto a = t.lease_answered("t1", 0, true, t0);  // another node still holds it
  EXPECT_TRUE(a.retry);
  EXPECT_FALSE(a.run);
  EXPECT_TRUE(a.reroute.empty());
  EXPECT_FALSE(t.hold("t1", m(2)));  // waits for the timer, no second request
  EXPECT_TRUE(t.lease_due("t1", true).acquire);
  EXPECT_FALSE(t.lease_due("t1", true).acquire);            // once
  EXPECT_TRUE(t.lease_answered("t1", -1, true, t0).retry);  // the database failed
  EXPECT_EQ(t.held("t1"), 2u);
}

TEST(placement_table, a_lease_taken_for_a_tenant_no_longer_wanted_is_given_back) {
  table t;
  // Not placed at all (given up meanwhile): give it back, nothing else.
  auto stray = t.lease_answered("t9", 5, true, t0);
  EXPECT_EQ(stray.give_back, 5);
  EXPECT_FALSE(stray.run);
  EXPECT_TRUE(stray.reroute.empty());
  EXPECT_TRUE(t.empty());
  // Wanted, but the view moved it elsewhere while the request ran: give it back, forget the
  // tenant and route what it held again, in arrival order.
  ASSERT_TRUE(t.hold("t1", m(1)));
  ASSERT_FALSE(t.hold("t1", m(2)));
  auto moved = t.lease_answered("t1", 6, false, t0);
  EXPECT_EQ(moved.give_back, 6);
  EXPECT_FALSE(moved.run);
  EXPECT_EQ(ids_of(moved.reroute), (ids{1, 2}));
  EXPECT_TRUE(t.empty());
  // Refused and moved: nothing to give back.
  ASSERT_TRUE(t.hold("t2", m(3, "t2")));
  auto refused = t.lease_answered("t2", 0, false, t0);
  EXPECT_EQ(refused.give_back, 0);
  EXPECT_FALSE(refused.retry);
  EXPECT_EQ(ids_of(refused.reroute), ids{3});
}

TEST(placement_table, a_lease_retry_for_a_tenant_now_elsewhere_gives_it_up) {
  table t;
  ASSERT_TRUE(t.hold("t1", m(1)));
  ASSERT_FALSE(t.hold("t1", m(2)));
  ASSERT_TRUE(t.lease_answered("t1", 0, true, t0).retry);
  auto due = t.lease_due("t1", false);
  EXPECT_FALSE(due.acquire);
  EXPECT_EQ(due.given_up.what, table::handover::unplaced);
  EXPECT_EQ(ids_of(due.given_up.reroute), (ids{1, 2}));
  EXPECT_TRUE(t.empty());
  // A timer for a tenant that is not acquiring does nothing.
  EXPECT_FALSE(t.lease_due("t1", true).acquire);
  run(t, "t2", 3);
  auto late = t.lease_due("t2", false);
  EXPECT_FALSE(late.acquire);
  EXPECT_EQ(late.given_up.what, table::handover::none);
  EXPECT_EQ(t.running_epoch("t2"), 3);
}

TEST(placement_table, a_stopped_tenant_is_released_and_then_routes_what_it_held_in_order) {
  table t;
  run(t, "t1", 4);
  auto ended = t.tenant_down("t1");
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->was_running);
  EXPECT_EQ(ended->epoch, 4);  // the lease to release
  EXPECT_EQ(phase_of(t, "t1"), placement_phase::releasing);
  EXPECT_FALSE(t.running_epoch("t1"));
  EXPECT_FALSE(t.hold("t1", m(11)));  // held, no lease request while releasing
  EXPECT_FALSE(t.hold("t1", m(10)));
  EXPECT_EQ(ids_of(t.released("t1")), (ids{11, 10}));  // arrival order
  EXPECT_TRUE(t.empty());
  // The next message places it again.
  EXPECT_TRUE(t.hold("t1", m(12)));
  // A release answer for a tenant not releasing changes nothing.
  EXPECT_TRUE(t.released("t1").empty());
  EXPECT_EQ(t.held("t1"), 1u);
  EXPECT_FALSE(t.tenant_down("t2"));  // not placed here
}

TEST(placement_table, held_messages_are_capped) {
  table t{1500ms, 2};
  ASSERT_TRUE(t.hold("t1", m(1)));
  ASSERT_FALSE(t.hold("t1", m(2)));
  ASSERT_FALSE(t.hold("t1", m(3)));  // beyond the cap: left to the inbox replay
  EXPECT_EQ(t.held("t1"), 2u);
  for (int i = 0; i < 3; ++i) t.hold_unjoined(m(20 + i));
  EXPECT_EQ(t.unjoined(), 2u);
}

TEST(placement_table, renewals_extend_leases_from_when_they_were_sent_and_lapsed_ones_stop) {
  table t{1000ms};
  run(t, "b", 2, t0);
  run(t, "a", 1, t0);
  ASSERT_TRUE(t.hold("c", m(1, "c")));  // acquiring: not renewed
  EXPECT_EQ(t.renewal_due(), (names{"a", "b"}));
  EXPECT_TRUE(t.renewal_due().empty());  // one renewal at a time
  // Sent at t0 + 500 ms; the database renewed a, and b only under another epoch (not ours).
  t.renewal_answered(std::vector<lease>{{"a", 1}, {"b", 99}}, t0 + 500ms);
  // A tenth of the lifetime before the end: b's lease ends at t0 + 1000 ms, a's at t0 + 1500.
  EXPECT_TRUE(t.expire(t0 + 899ms).empty());
  auto lapsed = t.expire(t0 + 900ms);
  ASSERT_EQ(lapsed.size(), 1u);
  EXPECT_EQ(lapsed[0].tenant_id, "b");
  EXPECT_EQ(lapsed[0].epoch, 2);
  EXPECT_EQ(phase_of(t, "b"), placement_phase::releasing);
  EXPECT_EQ(t.report()[1].epoch, 0);  // b: nothing to release
  EXPECT_TRUE(t.expire(t0 + 1399ms).empty());
  ASSERT_EQ(t.expire(t0 + 1400ms).size(), 1u);
  EXPECT_FALSE(t.running_epoch("a"));
  // The lapsed tenant's actors end: its release has nothing to give back.
  auto ended = t.tenant_down("b");
  ASSERT_TRUE(ended);
  EXPECT_FALSE(ended->was_running);
  EXPECT_EQ(ended->epoch, 0);
}

TEST(placement_table, a_failed_renewal_lets_the_next_one_go_and_leases_run_out) {
  table t{1000ms};
  EXPECT_TRUE(t.renewal_due().empty());  // nothing runs: nothing awaited either
  run(t, "a", 1, t0);
  ASSERT_EQ(t.renewal_due(), names{"a"});
  t.renewal_answered(std::vector<lease>{}, t0 + 200ms);  // failed
  EXPECT_EQ(t.renewal_due(), names{"a"});
  // A renewal answer for a tenant not running (or not placed) extends nothing.
  t.renewal_answered(std::vector<lease>{{"zz", 1}}, t0 + 400ms);
  EXPECT_EQ(t.expire(t0 + 900ms).size(), 1u);
}

TEST(placement_table, failed_forwards_are_routed_again_together_in_id_order) {
  table t;
  auto first = t.forward_failed(m(5), 0);
  EXPECT_FALSE(first.given_up);
  ASSERT_TRUE(first.timer);
  EXPECT_EQ(*first.timer, 50ms);
  EXPECT_FALSE(t.forward_failed(m(3), 2).timer);  // the timer runs already
  EXPECT_FALSE(t.forward_failed(m(4), 0).timer);
  EXPECT_EQ(t.retrying(), 3u);
  auto again = t.retry_due();
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].first.id, 3);
  EXPECT_EQ(again[0].second, 3);  // attempts so far
  EXPECT_EQ(again[1].first.id, 4);
  EXPECT_EQ(again[2].first.id, 5);
  EXPECT_EQ(again[2].second, 1);
  EXPECT_EQ(t.retrying(), 0u);
  auto later = t.forward_failed(m(9), 3);  // a new timer, longer
  ASSERT_TRUE(later.timer);
  EXPECT_EQ(*later.timer, 400ms);
}

TEST(placement_table, the_retry_delay_doubles_up_to_800_ms) {
  using parley::logic::forward_retry_delay;
  EXPECT_EQ(forward_retry_delay(0), 50ms);
  EXPECT_EQ(forward_retry_delay(1), 100ms);
  EXPECT_EQ(forward_retry_delay(2), 200ms);
  EXPECT_EQ(forward_retry_delay(4), 800ms);
  EXPECT_EQ(forward_retry_delay(29), 800ms);
}

TEST(placement_table, a_forward_that_failed_too_often_is_left_to_the_owners_sweep) {
  table t;
  auto x = m(1, "t7");
  auto failure = t.forward_failed(std::move(x), 29);  // its 30th failure
  EXPECT_TRUE(failure.given_up);
  EXPECT_FALSE(failure.timer);
  EXPECT_EQ(x.tenant_id, "t7");  // left untouched, for the log
  EXPECT_EQ(t.retrying(), 0u);
  EXPECT_FALSE(t.forward_failed(m(2), 28).given_up);
  EXPECT_EQ(t.retrying(), 1u);
}

TEST(placement_table, work_found_takes_unplaced_tenants_and_sweeps_running_ones) {
  table t;
  EXPECT_EQ(t.work_found("t1"), found_work::acquire);
  EXPECT_FALSE(t.hold("t1", m(1)));  // the request is in flight
  EXPECT_EQ(t.work_found("t1"), found_work::none);
  ASSERT_TRUE(t.lease_answered("t1", 2, true, t0).run);
  EXPECT_EQ(t.work_found("t1"), found_work::sweep);
  ASSERT_TRUE(t.tenant_down("t1"));
  EXPECT_EQ(t.work_found("t1"), found_work::none);  // releasing
}

TEST(placement_table, messages_before_joining_go_out_with_the_first_joined_view) {
  table t;
  t.hold_unjoined(m(2));
  t.hold_unjoined(m(1));
  auto first = t.joined_view(1, mine_unless_moved);
  EXPECT_EQ(ids_of(first.unjoined), (ids{2, 1}));  // arrival order
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(t.unjoined(), 0u);
  // The same generation again: only what arrived unjoined meanwhile.
  t.hold_unjoined(m(3));
  auto same = t.joined_view(1, mine_unless_moved);
  EXPECT_EQ(ids_of(same.unjoined), ids{3});
  EXPECT_FALSE(same.changed);
}

TEST(placement_table, a_view_change_gives_up_the_tenants_now_owned_elsewhere) {
  table t;
  run(t, "moved-running", 8);
  ASSERT_TRUE(t.hold("moved-waiting", m(1, "moved-waiting")));
  ASSERT_TRUE(t.lease_answered("moved-waiting", 0, true, t0).retry);
  ASSERT_FALSE(t.hold("moved-waiting", m(2, "moved-waiting")));
  ASSERT_TRUE(t.hold("moved-asking", m(3, "moved-asking")));  // request in flight
  run(t, "moved-releasing", 9);
  ASSERT_TRUE(t.tenant_down("moved-releasing"));
  run(t, "kept", 10);
  ASSERT_FALSE(t.forward_failed(m(31), 0).given_up);
  ASSERT_FALSE(t.forward_failed(m(30), 0).given_up);

  auto v = t.joined_view(2, mine_unless_moved);
  ASSERT_TRUE(v.changed);
  ASSERT_EQ(v.retries.size(), 2u);  // routed first, in id order
  EXPECT_EQ(v.retries[0].first.id, 30);
  EXPECT_EQ(v.retries[1].first.id, 31);
  ASSERT_EQ(v.given_up.size(), 2u);  // sorted by tenant
  EXPECT_EQ(v.given_up[0].first, "moved-running");
  EXPECT_EQ(v.given_up[0].second.what, table::handover::stop);
  EXPECT_EQ(v.given_up[0].second.epoch, 8);
  EXPECT_EQ(v.given_up[1].first, "moved-waiting");
  EXPECT_EQ(v.given_up[1].second.what, table::handover::unplaced);
  EXPECT_EQ(ids_of(v.given_up[1].second.reroute), (ids{1, 2}));

  EXPECT_EQ(phase_of(t, "moved-running"), placement_phase::releasing);
  EXPECT_FALSE(t.running_epoch("moved-running"));
  EXPECT_EQ(t.held("moved-waiting"), 0u);
  EXPECT_EQ(t.size(), 4u);  // moved-running, moved-asking, moved-releasing, kept
  EXPECT_EQ(t.running_epoch("kept"), 10);
  // The request in flight decides when it is answered: given back, its messages routed again.
  auto answer = t.lease_answered("moved-asking", 12, false, t0);
  EXPECT_EQ(answer.give_back, 12);
  EXPECT_EQ(ids_of(answer.reroute), ids{3});
  // The stopped tenant's actors end: its lease is released under its epoch.
  auto ended = t.tenant_down("moved-running");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->epoch, 8);
  // The retry timer that was running when the view changed still fires, and finds nothing;
  // until then a new failure starts no second timer.
  EXPECT_FALSE(t.forward_failed(m(40), 0).timer);
  EXPECT_EQ(t.retry_due().size(), 1u);
  EXPECT_TRUE(t.forward_failed(m(41), 0).timer);
}
