#pragma once
// Channels by id, in memory, for the webhook's hot path: filled at start and on creation, with
// a database lookup on a miss (a channel created through another node). Thread-safe.
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "persistence/records.hpp"

namespace parley::persistence {
class db_pool;
}

namespace parley::io {

class channel_directory {
 public:
  explicit channel_directory(persistence::db_pool* db) : db_(db) {}

  void put(const persistence::channel_row& ch);
  [[nodiscard]] std::optional<persistence::channel_row> cached(const std::string& id) const;
  /// Calls `done` (on this thread when cached, else on a pool thread) with the channel or
  /// nullopt; `failed` when the database cannot be asked.
  void find(const std::string& id,
            std::function<void(std::optional<persistence::channel_row>)> done,
            std::function<void(const std::string&)> failed);
  /// Loads every channel (at start; blocking the caller's thread on a pool job).
  void load_all();

 private:
  persistence::db_pool* db_;
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, persistence::channel_row> by_id_;
};

}  // namespace parley::io
