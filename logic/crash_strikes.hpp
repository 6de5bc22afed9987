#pragma once
// Which messages keep crashing their conversation. A conversation tells its supervisor which
// inbound messages its current turn holds; when it crashes, each of them gets a strike, and a
// message with `limit` strikes is poison: the next instance dead-letters it instead of taking
// it into a turn again. Owned by the tenant actor, one per conversation; not thread-safe.
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parley::logic {

class crash_strikes {
 public:
  /// The conversation started a turn with these inbound ids.
  void turn_started(std::vector<int64_t> ids) { current_ = std::move(ids); }
  /// The turn ended (the conversation reported its load after it).
  void turn_ended() { current_.clear(); }
  /// The conversation crashed: the messages of its turn in progress take a strike each.
  void crashed() {
    for (auto id : current_) ++strikes_[id];
  }
  /// It crashed without holding a turn (at start, loading): strikes cannot help.
  [[nodiscard]] bool idle() const { return current_.empty(); }
  /// A new instance starts: no turn in progress yet.
  void restarted() { current_.clear(); }
  [[nodiscard]] std::vector<int64_t> poisoned(int limit) const {
    std::vector<int64_t> out;
    for (auto& [id, n] : strikes_)
      if (n >= limit) out.push_back(id);
    return out;
  }

 private:
  std::vector<int64_t> current_;
  std::unordered_map<int64_t, int> strikes_;
};

}  // namespace parley::logic
