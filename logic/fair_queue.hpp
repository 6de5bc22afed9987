#pragma once
// A FIFO per key, served round robin: pop() takes the oldest item of the next key in turn, so a
// key with a thousand items waiting delays another key's item by one turn, not a thousand.
// Parley keys its work queues by tenant (the writers' batches, the outbox's sends): a tenant
// that bursts cannot hold back the others' replies.
//
// Plain data structure, no locking: its owner (a writer under its mutex, the outbox actor)
// serializes access. Pure; tested in tests/unit/logic/fair_queue_test.cpp.
#include <cstddef>
#include <deque>
#include <unordered_map>
#include <utility>

namespace parley::logic {

template <class Key, class T>
class fair_queue {
 public:
  void push(const Key& key, T item) {
    auto& q = queues_[key];
    if (q.empty()) turn_.push_back(key);
    q.push_back(std::move(item));
    ++size_;
  }

  /// Precondition: !empty().
  T pop() {
    auto key = std::move(turn_.front());
    turn_.pop_front();
    auto it = queues_.find(key);
    T item = std::move(it->second.front());
    it->second.pop_front();
    --size_;
    if (it->second.empty())
      queues_.erase(it);
    else
      turn_.push_back(std::move(key));
    return item;
  }

  /// The item pop() would return next. Precondition: !empty().
  [[nodiscard]] const T& front() const { return queues_.at(turn_.front()).front(); }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t keys() const { return turn_.size(); }

 private:
  std::unordered_map<Key, std::deque<T>> queues_;
  std::deque<Key> turn_;  // keys with items, in the order they are served
  std::size_t size_ = 0;
};

}  // namespace parley::logic
