#include "logic/conversation_logic.hpp"

#include <algorithm>
#include <iterator>

namespace parley::logic {

reply_choice answer_or_handoff(bool escalate, const std::string& handoff_message,
                               const std::string& answer) {
  // A tenant without a handoff message has nobody to hand over to: the answer stands.
  if (escalate && !handoff_message.empty()) return {true, &handoff_message};
  return {false, &answer};
}

conversation_logic::conversation_logic(conversation_settings s, std::vector<int64_t> poison,
                                       int64_t now_ms)
    : settings_(s), last_activity_ms_(now_ms), poison_(std::move(poison)) {
  std::sort(poison_.begin(), poison_.end());
}

idle_verdict conversation_logic::on_idle_check(int64_t now_ms, int64_t idle_ms) const {
  auto quiet = now_ms - last_activity_ms_;
  if (quiet >= idle_ms && !busy_ && pending_.empty() && !draining_) return {true, 0};
  return {false, std::max<int64_t>(idle_ms - quiet, 10)};
}

conversation_action conversation_logic::on_loaded(int64_t override_until_ms,
                                                  std::vector<context_line> context,
                                                  int64_t now_ms) {
  loaded_ = true;
  override_until_ms_ = override_until_ms;
  for (auto& line : context) remember(std::move(line));
  return schedule(now_ms);
}

conversation_action conversation_logic::on_message(incoming m, int64_t now_ms) {
  last_activity_ms_ = now_ms;
  if (std::binary_search(poison_.begin(), poison_.end(), m.id)) {
    conversation_action a;
    a.dead_letter = true;
    return a;
  }
  conversation_action ignored;
  ignored.ignored = true;
  if (taken(m.id)) return ignored;  // answered already (a replay or a duplicate route)
  auto pos = std::lower_bound(pending_.begin(), pending_.end(), m.id,
                              [](const incoming& x, int64_t id) { return x.id < id; });
  if (pos != pending_.end() && pos->id == m.id) return ignored;  // queued already
  pending_.insert(pos, std::move(m));
  return schedule(now_ms);
}

conversation_action conversation_logic::on_timer(uint64_t token, int64_t now_ms) {
  if (token != token_ || busy_ || !loaded_ || pending_.empty()) return {};
  if (now_ms < deadline_ms_) {
    conversation_action a;
    a.what = conversation_action::arm_timer;
    a.timer_at_ms = deadline_ms_;
    a.timer_token = token_;
    return a;
  }
  return begin_turn(now_ms);
}

conversation_action conversation_logic::on_turn_done(const std::vector<std::string>& replies,
                                                     int64_t now_ms) {
  if (!busy_) return {};
  busy_ = false;
  last_activity_ms_ = now_ms;
  for (const auto& m : current_.messages)
    if (!m.text.empty()) remember(context_line{true, m.text});
  for (const auto& r : replies) remember(context_line{false, r});
  current_ = turn{};
  return schedule(now_ms);
}

conversation_action conversation_logic::on_turn_failed(int64_t now_ms) {
  if (!busy_) return {};
  busy_ = false;
  // Put the turn back in front, in order, and let it be taken again.
  for (const auto& m : current_.messages)
    taken_.erase(std::remove(taken_.begin(), taken_.end(), m.id), taken_.end());
  pending_.insert(pending_.begin(), std::make_move_iterator(current_.messages.begin()),
                  std::make_move_iterator(current_.messages.end()));
  current_ = turn{};
  return schedule(now_ms);
}

bool conversation_logic::taken(int64_t id) const {
  return std::find(taken_.rbegin(), taken_.rend(), id) != taken_.rend();
}

conversation_action conversation_logic::schedule(int64_t now_ms) {
  if (!loaded_ || busy_ || pending_.empty()) return {};
  auto window = settings_.buffer_window.count();
  if (window <= 0) return begin_turn(now_ms);
  int64_t first = pending_.front().arrived_ms;
  int64_t last = pending_.back().arrived_ms;
  deadline_ms_ = std::min(last + window, first + 3 * window);
  if (now_ms >= deadline_ms_) return begin_turn(now_ms);
  conversation_action a;
  a.what = conversation_action::arm_timer;
  a.timer_at_ms = deadline_ms_;
  a.timer_token = ++token_;
  return a;
}

conversation_action conversation_logic::begin_turn(int64_t now_ms) {
  busy_ = true;
  ++token_;  // any armed timer is now stale
  current_ = turn{};
  current_.silent = locked(now_ms);
  // With merging disabled every message is its own turn, even when several queued up.
  auto take = settings_.buffer_window.count() <= 0 ? std::size_t{1} : pending_.size();
  for (std::size_t i = 0; i < take; ++i) {
    auto& m = pending_[i];
    if (!m.text.empty()) {
      if (!current_.text.empty()) current_.text += '\n';
      current_.text += m.text;
    }
    current_.messages.push_back(std::move(m));
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(take));
  for (const auto& m : current_.messages) taken_.push_back(m.id);
  // Keep the latest 512 to 1,024 ids: trimmed in halves, not one id per turn.
  if (taken_.size() > 1024) taken_.erase(taken_.begin(), taken_.end() - 512);
  conversation_action a;
  a.what = conversation_action::start_turn;
  a.next = current_;
  return a;
}

void conversation_logic::remember(context_line line) {
  context_.push_back(std::move(line));
  if (context_.size() > settings_.context_size)
    context_.erase(context_.begin(),
                   context_.end() - static_cast<std::ptrdiff_t>(settings_.context_size));
}

}  // namespace parley::logic
