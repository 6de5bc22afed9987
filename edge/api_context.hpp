#pragma once
// What every /v1 route needs, and the authenticated caller ("principal"). Built once by the
// node; routes share it read-only from the Asio threads.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edge/router.hpp"
#include "logic/outbound_bubble.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {
class db_pool;
using outbound_item = logic::outbound_bubble;
}  // namespace parley::persistence
namespace parley::common::security {
class secret_box;
}

namespace parley::channels {
class channel_directory;
}
namespace parley::common {
class metrics_registry;
}

namespace parley::channels {
}
namespace parley::common {
}

namespace parley::edge {

class origin_directory;

struct api_context {
  std::string admin_token;
  std::string signing_key;  ///< HS256 key of tenant access tokens (derived from the master key)
  persistence::db_pool* db = nullptr;
  channels::channel_directory* channels = nullptr;
  origin_directory* origins = nullptr;
  const common::security::secret_box* secrets = nullptr;
  common::metrics_registry* metrics = nullptr;
  int token_ttl_s = 900;
  int64_t default_grace_s = 86400;
  /// The tenant's knowledge or settings changed (its actors reload), or it was deleted.
  std::function<void(const std::string& tenant_id)> knowledge_changed;
  std::function<void(const std::string& tenant_id)> tenant_changed;
  /// Rate limit of a tenant's API calls, enforced by its tenant actor: calls back (any thread)
  /// with 0 when allowed, else the seconds to wait.
  std::function<void(const std::string& tenant_id, std::function<void(double)>)> admit_api;
  /// Hands stored bubbles (a person's reply) to the outbox.
  std::function<void(std::vector<persistence::outbound_item>)> send_outbound;
  /// A conversation was handed off: the outbox drops its queued bot bubbles.
  std::function<void(const std::string& conversation_id)> cancel_outbound;
};

using api_ptr = std::shared_ptr<const api_context>;

struct principal {
  bool platform = false;  ///< the platform admin token
  std::string tenant_id;  ///< for tenant tokens
  std::string role;
  std::vector<std::string> permissions;
  std::string origin;  ///< the token's origin claim, may be empty
  std::string actor;   ///< for the audit trail: "admin" or "token:<jti>"
  /// The scope for database work: the tenant, or "*" for the platform admin.
  [[nodiscard]] std::string scope() const { return platform ? std::string{"*"} : tenant_id; }
  [[nodiscard]] bool may_access(const std::string& tenant) const {
    return platform || tenant == tenant_id;
  }
};

using guarded_handler =
    std::function<void(http_request&&, const path_params&, const principal&, respond_fn)>;

/// Wraps a /v1 handler: authenticates (admin token or tenant access token), checks the
/// permission, that a {tenant_id} in the path is the caller's own, the token's origin claim,
/// the tenant's API rate limit, and adds CORS headers. Denials are answered 401/403/429 and
/// audited.
router::handler guarded(api_ptr api, std::string permission, guarded_handler h);

/// Appends an audit row (fire and forget; a failure is logged, never blocks the request).
void audit(const api_context& api, const std::string& tenant_id, const std::string& actor,
           const std::string& action, const std::string& target, const std::string& outcome,
           const std::string& remote, const std::string& details_json = "{}");

/// OPTIONS preflight for /v1 routes (CORS), installed on the router.
void add_cors_preflight(router& r, api_ptr api);

/// Runs `work` on the pool; a database failure answers 503.
void on_db(const api_context& api, respond_fn respond,
           std::function<http_response(pqxx::connection&)> work);

}  // namespace parley::edge
