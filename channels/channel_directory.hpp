#pragma once
// Channels by id, in memory, for the webhook's hot path: filled at start and on creation, with
// a database lookup on a miss (a channel created through another node). Thread-safe.
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "persistence/db_failure.hpp"
#include "persistence/records.hpp"

namespace parley::persistence {
class db_pool;
}
namespace parley::common::security {
class secret_box;
}

namespace parley::channels {

class channel_directory {
 public:
  /// Rows from the database carry sealed secrets; the directory keeps them opened, in memory.
  channel_directory(persistence::db_pool* db, const common::security::secret_box* secrets)
      : db_(db), secrets_(secrets) {}

  /// Opens a row's sealed secrets; false (and logged) when they cannot be opened.
  [[nodiscard]] bool unseal(persistence::channel_row& ch) const;

  void put(const persistence::channel_row& ch);
  /// A deleted tenant's channels stop receiving at once.
  void forget_tenant(const std::string& tenant_id);
  [[nodiscard]] std::optional<persistence::channel_row> cached(const std::string& id) const;
  /// Calls `done` (on this thread when cached, else on a pool thread) with the channel or
  /// nullopt; `failed` when the database cannot be asked.
  void find(const std::string& id,
            std::function<void(std::optional<persistence::channel_row>)> done,
            std::function<void(const persistence::db_failure&)> failed);
  /// Loads every channel (at start; blocking the caller's thread on a pool job).
  void load_all();

 private:
  persistence::db_pool* db_;
  const common::security::secret_box* secrets_;
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, persistence::channel_row> by_id_;
};

}  // namespace parley::channels
