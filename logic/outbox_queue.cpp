#include "logic/outbox_queue.hpp"

#include <algorithm>

namespace parley::logic {

outbox_queue::outbox_queue(std::size_t max_in_flight, std::size_t finished_memory,
                           int64_t self_sender)
    : max_in_flight_(max_in_flight),
      finished_(std::max<std::size_t>(finished_memory, 1), 0),
      self_sender_(self_sender) {}

bool outbox_queue::uncertain(const outbound_bubble& b) const {
  return self_sender_ != 0 && b.sender != 0 && b.sender != self_sender_;
}

bool outbox_queue::finished_lately(int64_t id) const {
  // Checked on every add: a new bubble's id is above every finished one, so no scan for it.
  return id <= max_finished_ &&
         std::find(finished_.begin(), finished_.end(), id) != finished_.end();
}

void outbox_queue::make_ready(const std::string& conv) {
  auto it = queues_.find(conv);
  if (it != queues_.end() && !it->second.empty()) ready_.push(it->second.front().tenant_id, conv);
}

void outbox_queue::add(std::vector<outbound_bubble> batch) {
  for (auto& m : batch) {
    // Read as 'pending': one finished lately may only lack its committed mark.
    if (finished_lately(m.id)) continue;
    if (!known_.insert(m.id).second) continue;  // queued already (recovery overlap)
    auto conv = m.conversation_id;
    auto left = last_left_.find(conv);
    if (left != last_left_.end() && left->second > m.id) ++overtaken_;
    auto& q = queues_[conv];
    // After the busy head (it is being sent), before the first newer bubble.
    auto from = q.begin() + (busy_.count(conv) != 0 && !q.empty() ? 1 : 0);
    auto at = std::find_if(from, q.end(), [&](const outbound_bubble& b) { return b.id > m.id; });
    q.insert(at, std::move(m));
    if (q.size() == 1 && busy_.count(conv) == 0) make_ready(conv);
  }
}

std::vector<std::string> outbox_queue::take_sends() {
  std::vector<std::string> out;
  while (in_flight_ < max_in_flight_ && !ready_.empty()) {
    auto conv = ready_.pop();
    auto it = queues_.find(conv);
    if (busy_.count(conv) != 0 || it == queues_.end() || it->second.empty()) continue;
    busy_.insert(conv);
    ++in_flight_;
    out.push_back(std::move(conv));
  }
  return out;
}

outbound_bubble* outbox_queue::head(const std::string& conv) {
  auto it = queues_.find(conv);
  return it == queues_.end() || it->second.empty() ? nullptr : &it->second.front();
}

bool outbox_queue::finish(const std::string& conv, int64_t id) {
  auto* h = head(conv);
  if (h == nullptr || h->id != id || busy_.count(conv) == 0) return false;
  --in_flight_;
  leave(conv, id);
  return true;
}

void outbox_queue::leave(const std::string& conv, int64_t id) {
  auto& q = queues_[conv];
  known_.erase(id);
  finished_[finished_next_++ % finished_.size()] = id;
  max_finished_ = std::max(max_finished_, id);
  auto& left = last_left_[conv];
  left = std::max(left, id);
  q.pop_front();
  busy_.erase(conv);
  if (q.empty()) {
    queues_.erase(conv);
    // Kept while the conversation may still offer older bubbles; bounded like finished_.
    if (last_left_.size() > finished_.size()) last_left_.clear();
  } else {
    make_ready(conv);
  }
}

bool outbox_queue::settle(const std::string& conv, int64_t id) {
  auto* h = head(conv);
  if (h == nullptr || h->id != id || busy_.count(conv) == 0) return false;
  leave(conv, id);  // deferred: it held no slot
  return true;
}

bool outbox_queue::defer(const std::string& conv, int64_t id) {
  auto* h = head(conv);
  if (h == nullptr || h->id != id || busy_.count(conv) == 0) return false;
  --in_flight_;  // the slot is free while it waits; the conversation stays busy
  return true;
}

bool outbox_queue::retry_due(const std::string& conv) {
  busy_.erase(conv);
  if (head(conv) == nullptr) return false;
  if (in_flight_ < max_in_flight_) {
    busy_.insert(conv);
    ++in_flight_;
    return true;
  }
  make_ready(conv);
  return false;
}

std::size_t outbox_queue::cancel(const std::string& conv) {
  auto it = queues_.find(conv);
  if (it == queues_.end()) return 0;
  auto& q = it->second;
  bool head_in_flight = busy_.count(conv) != 0;
  std::size_t dropped = 0;
  for (auto b = q.begin() + (head_in_flight ? 1 : 0); b != q.end();) {
    known_.erase(b->id);
    b = q.erase(b);
    ++dropped;
  }
  if (q.empty()) queues_.erase(it);
  return dropped;
}

}  // namespace parley::logic
