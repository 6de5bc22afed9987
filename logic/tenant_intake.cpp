#include "logic/tenant_intake.hpp"

#include <algorithm>

namespace parley::logic {

tenant_intake::tenant_intake(std::size_t max_in_flight, std::size_t conversation_max_queued)
    : max_in_flight_(max_in_flight), conversation_max_queued_(conversation_max_queued) {}

std::size_t tenant_intake::held_by(const std::string& conv) const {
  auto it = held_.find(conv);
  return it == held_.end() ? 0 : it->second;
}

// From `from_id` on, messages stay in the inbox; the replay starts there.
bool tenant_intake::pause(int64_t from_id) {
  bool now = !paused_;
  if (now) {
    paused_ = true;
    replay_after_ = from_id - 1;
  }
  if (replaying_) dropped_while_replaying_ = true;
  return now;
}

std::optional<double> tenant_intake::ask_wake(double now_s) {
  if (wake_scheduled_) return std::nullopt;
  wake_scheduled_ = true;
  return std::max(0.01, budget_.retry_after(now_s));
}

tenant_intake::admission tenant_intake::admit(int64_t id, const std::string& conv, double now_s) {
  admission a;
  if (paused_ || in_flight_ >= max_in_flight_) {
    a.paused_now = pause(id);
    return a;
  }
  if (!budget_.try_take(now_s)) {
    a.throttled = true;
    a.paused_now = pause(id);
    a.wake_in_s = ask_wake(now_s);
    return a;
  }
  if (held_by(conv) >= conversation_max_queued_) {
    a.paused_now = pause(id);
    return a;
  }
  a.deliver = true;
  return a;
}

void tenant_intake::holds(const std::string& conv, std::size_t n) {
  auto& h = held_[conv];
  in_flight_ = in_flight_ - std::min(in_flight_, h) + n;
  h = n;
}

void tenant_intake::delivered(const std::string& conv) {
  holds(conv, held_by(conv) + 1);
}

void tenant_intake::ended(const std::string& conv) {
  holds(conv, 0);
  held_.erase(conv);
}

tenant_intake::resume_step tenant_intake::maybe_resume(double now_s) {
  resume_step step;
  if (!paused_ || replaying_ || in_flight_ > max_in_flight_ / 2) return step;
  if (budget_.available(now_s) < 1) {
    if (auto wait = ask_wake(now_s)) {
      step.what = resume_step::wake;
      step.wake_in_s = *wait;
    }
    return step;
  }
  replaying_ = true;
  dropped_while_replaying_ = false;
  step.what = resume_step::read_page;
  step.after = replay_after_;
  step.limit = static_cast<int>(max_in_flight_ / 2 + 1);
  return step;
}

void tenant_intake::page_started(std::size_t count, int limit) {
  replaying_ = false;
  paused_ = false;
  more_ = static_cast<int>(count) == limit || dropped_while_replaying_;
}

void tenant_intake::replayed(int64_t id) {
  replay_after_ = std::max(replay_after_, id);
}

bool tenant_intake::page_done() {
  if (rewind_) {
    rewind_ = false;
    replay_after_ = 0;
    more_ = true;
  }
  if (paused_ || !more_) return false;
  paused_ = true;  // new arrivals stay in the inbox until the replay has caught up
  return true;
}

bool tenant_intake::replay_from_start() {
  if (replaying_) {
    rewind_ = true;
    return false;
  }
  paused_ = true;
  replay_after_ = 0;
  return true;
}

void tenant_intake::set_budget(int per_minute) {
  budget_ = token_bucket{per_minute / 60.0, std::max(1.0, per_minute / 6.0)};
}

}  // namespace parley::logic
