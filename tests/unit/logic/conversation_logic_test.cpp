#include "logic/conversation_logic.hpp"

#include <gtest/gtest.h>

using namespace parley::logic;
using namespace std::chrono_literals;

namespace {
incoming msg(int64_t id, std::string text, int64_t at) {
  return incoming{id, "text", std::move(text), "wamid." + std::to_string(id), at};
}
conversation_logic ready(std::chrono::milliseconds window = 1000ms) {
  conversation_logic l{conversation_settings{window, 20}};
  l.on_loaded(0, {}, 0);
  return l;
}
}  // namespace

TEST(conversation_logic, without_window_each_message_starts_a_turn_in_order) {
  auto l = ready(0ms);
  auto a = l.on_message(msg(1, "hola", 0), 0);
  ASSERT_EQ(a.what, conversation_action::start_turn);
  EXPECT_EQ(a.next.text, "hola");
  // The second waits while the first turn is busy...
  EXPECT_EQ(l.on_message(msg(2, "¿hay envíos?", 1), 1).what, conversation_action::none);
  // ...and starts when the first is done.
  auto b = l.on_turn_done({"¡Hola!"}, 2);
  ASSERT_EQ(b.what, conversation_action::start_turn);
  EXPECT_EQ(b.next.messages.size(), 1u);
  EXPECT_EQ(b.next.messages[0].id, 2);
}

TEST(conversation_logic, a_burst_inside_the_window_is_one_turn) {
  auto l = ready(1000ms);
  auto a = l.on_message(msg(1, "hola", 0), 0);
  ASSERT_EQ(a.what, conversation_action::arm_timer);
  EXPECT_EQ(a.timer_at_ms, 1000);
  auto b = l.on_message(msg(2, "quiero saber", 300), 300);
  ASSERT_EQ(b.what, conversation_action::arm_timer);
  EXPECT_EQ(b.timer_at_ms, 1300);  // debounced from the last message
  EXPECT_EQ(l.on_timer(a.timer_token, 1000).what, conversation_action::none);  // stale timer
  auto t = l.on_timer(b.timer_token, 1300);
  ASSERT_EQ(t.what, conversation_action::start_turn);
  EXPECT_EQ(t.next.text, "hola\nquiero saber");
  EXPECT_EQ(t.next.last_id(), 2);
  EXPECT_EQ(t.next.last_wamid(), "wamid.2");
}

TEST(conversation_logic, a_customer_who_keeps_typing_is_answered_after_three_windows) {
  auto l = ready(1000ms);
  int64_t started_at = -1;
  std::size_t merged = 0;
  for (int i = 0; i < 10; ++i) {
    auto a = l.on_message(msg(i + 1, "m", i * 500), i * 500);
    if (a.what == conversation_action::start_turn && started_at < 0) {
      started_at = i * 500;
      merged = a.next.messages.size();
    }
  }
  // The first message came at 0: the turn starts at 3000 although messages keep coming.
  EXPECT_EQ(started_at, 3000);
  EXPECT_EQ(merged, 7u);
  EXPECT_EQ(l.queued(), 3u);
}

TEST(conversation_logic, duplicates_and_replays_are_ignored_and_order_is_by_id) {
  auto l = ready(1000ms);
  l.on_message(msg(3, "c", 0), 0);
  l.on_message(msg(1, "a", 0), 0);
  l.on_message(msg(3, "c", 0), 0);
  auto a = l.on_message(msg(2, "b", 0), 0);
  auto t = l.on_timer(a.timer_token, 5000);
  ASSERT_EQ(t.what, conversation_action::start_turn);
  EXPECT_EQ(t.next.text, "a\nb\nc");
  l.on_turn_done({"ok"}, 5000);
  EXPECT_EQ(l.on_message(msg(2, "b", 6000), 6000).what,
            conversation_action::none);  // answered already
  EXPECT_EQ(l.queued(), 0u);
}

TEST(conversation_logic, a_late_message_below_answered_ones_is_still_answered) {
  // In a cluster a message can come by a slower route (a forward retried after a partition)
  // after a later one was answered: it is answered too, not taken for a replay.
  auto l = ready(0ms);
  ASSERT_EQ(l.on_message(msg(5, "later", 0), 0).what, conversation_action::start_turn);
  l.on_turn_done({"ok"}, 10);
  auto late = l.on_message(msg(3, "earlier", 20), 20);
  ASSERT_EQ(late.what, conversation_action::start_turn);
  EXPECT_EQ(late.next.text, "earlier");
  EXPECT_TRUE(l.on_message(msg(3, "earlier", 30), 30).ignored);  // its turn is running
  l.on_turn_done({"ok"}, 40);
  EXPECT_TRUE(l.on_message(msg(5, "later", 50), 50).ignored);
  EXPECT_TRUE(l.on_message(msg(3, "earlier", 50), 50).ignored);
}

TEST(conversation_logic, a_failed_turn_can_be_taken_again_after_a_replay) {
  auto l = ready(0ms);
  ASSERT_EQ(l.on_message(msg(1, "a", 0), 0).what, conversation_action::start_turn);
  l.on_turn_failed(10);  // back in the queue and taken again at once (no window)
  EXPECT_TRUE(l.on_message(msg(1, "a", 20), 20).ignored);  // the replay finds it held
  EXPECT_EQ(l.held(), 1u);
}

TEST(conversation_logic, messages_queue_until_the_state_is_loaded) {
  conversation_logic l{conversation_settings{0ms, 20}};
  EXPECT_EQ(l.on_message(msg(1, "hola", 0), 0).what, conversation_action::none);
  auto a = l.on_loaded(0, {{true, "older"}, {false, "reply"}}, 10);
  ASSERT_EQ(a.what, conversation_action::start_turn);
  EXPECT_EQ(a.next.text, "hola");
  EXPECT_EQ(l.context().size(), 2u);
}

TEST(conversation_logic, a_locked_conversation_takes_turns_silently) {
  conversation_logic l{conversation_settings{0ms, 20}};
  l.on_loaded(100000, {}, 0);
  auto a = l.on_message(msg(1, "hola", 50), 50);
  ASSERT_EQ(a.what, conversation_action::start_turn);
  EXPECT_TRUE(a.next.silent);
  l.on_turn_done({}, 60);
  auto b = l.on_message(msg(2, "hola?", 200000), 200000);  // lockout over
  EXPECT_FALSE(b.next.silent);
}

TEST(conversation_logic, without_window_queued_messages_stay_separate_turns) {
  auto l = ready(0ms);
  l.on_message(msg(1, "a", 0), 0);
  l.on_message(msg(2, "b", 1), 1);
  l.on_message(msg(3, "c", 2), 2);
  auto t2 = l.on_turn_done({"ra"}, 3);
  ASSERT_EQ(t2.what, conversation_action::start_turn);
  EXPECT_EQ(t2.next.text, "b");
  auto t3 = l.on_turn_done({"rb"}, 4);
  EXPECT_EQ(t3.next.text, "c");
}

TEST(conversation_logic, a_failed_turn_is_retried_first_and_whole) {
  auto l = ready(1000ms);
  auto armed = l.on_message(msg(1, "a", 0), 0);
  ASSERT_EQ(l.on_timer(armed.timer_token, 1000).what, conversation_action::start_turn);
  l.on_message(msg(2, "b", 1001), 1001);  // waits behind the busy turn
  auto retry = l.on_turn_failed(5000);
  ASSERT_EQ(retry.what, conversation_action::start_turn);
  ASSERT_EQ(retry.next.messages.size(), 2u);
  EXPECT_EQ(retry.next.messages[0].id, 1);
  EXPECT_EQ(retry.next.messages[1].id, 2);
}

TEST(conversation_logic, context_keeps_the_last_twenty_lines) {
  auto l = ready(0ms);
  for (int i = 1; i <= 15; ++i) {
    l.on_message(msg(i, "q" + std::to_string(i), i), i);
    l.on_turn_done({"a" + std::to_string(i)}, i);
  }
  ASSERT_EQ(l.context().size(), 20u);
  EXPECT_EQ(l.context().front().text, "q6");
  EXPECT_EQ(l.context().back().text, "a15");
}

TEST(conversation_logic, poison_messages_are_dead_lettered_and_the_rest_answered) {
  conversation_logic l{conversation_settings{0ms, 20}, {7, 3}};
  l.on_loaded(0, {}, 0);
  auto a = l.on_message(msg(3, "crashes us", 1), 1);
  EXPECT_TRUE(a.dead_letter);
  EXPECT_EQ(a.what, conversation_action::none);
  EXPECT_EQ(l.held(), 0u);
  auto b = l.on_message(msg(4, "hola", 2), 2);
  EXPECT_FALSE(b.dead_letter);
  ASSERT_EQ(b.what, conversation_action::start_turn);
  EXPECT_EQ(b.next.messages.front().id, 4);
  // Queued before the state loaded, a poison message is still refused.
  conversation_logic unloaded{conversation_settings{0ms, 20}, {7}};
  EXPECT_TRUE(unloaded.on_message(msg(7, "x", 1), 1).dead_letter);
  EXPECT_EQ(unloaded.queued(), 0u);
}

TEST(conversation_logic, a_handoff_replaces_the_answer_only_when_the_tenant_has_a_message) {
  std::string handoff = "Te paso con una persona.";
  std::string answer = "Abrimos a las 9.";
  auto r = answer_or_handoff(true, handoff, answer);
  EXPECT_TRUE(r.handoff);
  EXPECT_EQ(*r.text, handoff);
  r = answer_or_handoff(false, handoff, answer);
  EXPECT_FALSE(r.handoff);
  EXPECT_EQ(*r.text, answer);
  std::string none;
  r = answer_or_handoff(true, none, answer);  // nobody to hand over to
  EXPECT_FALSE(r.handoff);
  EXPECT_EQ(*r.text, answer);
}

TEST(conversation_logic, a_quiet_conversation_asks_to_be_passivated_and_only_then) {
  conversation_logic l{conversation_settings{0ms, 20}, {}, 1000};
  l.on_loaded(0, {}, 1000);
  auto v = l.on_idle_check(1400, 1000);
  EXPECT_FALSE(v.passivate);
  EXPECT_EQ(v.check_again_in_ms, 600);
  EXPECT_TRUE(l.on_idle_check(2000, 1000).passivate);
  // A customer message (and the turn it starts) keeps it alive.
  ASSERT_EQ(l.on_message(msg(1, "hola", 2100), 2100).what, conversation_action::start_turn);
  EXPECT_FALSE(l.on_idle_check(5000, 1000).passivate);  // busy with a turn
  l.on_turn_done({"buenas"}, 2500);
  v = l.on_idle_check(3000, 1000);
  EXPECT_FALSE(v.passivate);
  EXPECT_EQ(v.check_again_in_ms, 500);
  EXPECT_TRUE(l.on_idle_check(3500, 1000).passivate);
  // Never less than 10 ms between checks.
  EXPECT_EQ(l.on_idle_check(3499, 1000).check_again_in_ms, 10);
}

TEST(conversation_logic, draining_stops_once_the_queue_and_the_turn_are_done) {
  auto l = ready(0ms);
  ASSERT_EQ(l.on_message(msg(1, "a", 1), 1).what, conversation_action::start_turn);
  l.on_message(msg(2, "b", 2), 2);
  l.drain();
  EXPECT_TRUE(l.draining());
  EXPECT_FALSE(l.finished());
  EXPECT_FALSE(l.on_idle_check(1'000'000, 10).passivate);  // draining already
  auto next = l.on_turn_done({}, 3);
  ASSERT_EQ(next.what, conversation_action::start_turn);
  EXPECT_FALSE(l.finished());
  l.on_turn_done({}, 4);
  EXPECT_TRUE(l.finished());
}
