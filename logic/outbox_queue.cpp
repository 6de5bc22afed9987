#include "logic/outbox_queue.hpp"

#include <algorithm>

namespace parley::logic {

outbox_queue::outbox_queue(std::size_t max_in_flight, std::size_t finished_memory)
    : max_in_flight_(max_in_flight), finished_(std::max<std::size_t>(finished_memory, 1), 0) {}

bool outbox_queue::finished_lately(int64_t id) const {
  return std::find(finished_.begin(), finished_.end(), id) != finished_.end();
}

void outbox_queue::make_ready(const std::string& conv) {
  auto it = queues_.find(conv);
  if (it != queues_.end() && !it->second.empty()) ready_.push(it->second.front().tenant_id, conv);
}

void outbox_queue::add(std::vector<outbound_bubble> batch, bool from_sweep) {
  for (auto& m : batch) {
    // A sweep reads 'pending' rows: one finished lately may only lack its committed mark.
    if (from_sweep && finished_lately(m.id)) continue;
    if (!known_.insert(m.id).second) continue;  // queued already (recovery overlap)
    auto conv = m.conversation_id;
    auto& q = queues_[conv];
    q.push_back(std::move(m));
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
  auto& q = queues_[conv];
  known_.erase(id);
  finished_[finished_next_++ % finished_.size()] = id;
  q.pop_front();
  busy_.erase(conv);
  --in_flight_;
  if (q.empty())
    queues_.erase(conv);
  else
    make_ready(conv);
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
