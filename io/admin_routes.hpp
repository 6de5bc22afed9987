#pragma once
// The admin API under /v1 (platform admin bearer token): tenants, channels, knowledge,
// conversations and their messages. Handlers validate on the Asio thread and run database
// work on the pool; channel secrets and tokens are never returned.
#include <functional>
#include <string>

namespace parley::persistence {
class db_pool;
}

namespace parley::io {

class router;
class channel_directory;

struct admin_deps {
  std::string admin_token;
  persistence::db_pool* db = nullptr;
  channel_directory* channels = nullptr;
  /// The tenant's knowledge changed: its support agent reloads.
  std::function<void(const std::string& tenant_id)> knowledge_changed;
};

void add_admin_routes(router& r, admin_deps deps);

/// Constant-time check of "Bearer <token>" against the expected token (empty never matches).
bool bearer_matches(std::string_view authorization, std::string_view expected);

}  // namespace parley::io
