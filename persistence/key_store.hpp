#pragma once
// Tenant API keys (stored as salted hashes; the key itself is shown once and never stored) and
// the audit trail. Each function is its own transaction; throws on database errors.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct api_key_row {
  std::string id;
  std::string tenant_id;
  std::string prefix;
  std::string key_hash;
  std::string role;
  std::string name;
  std::string created_at;
  std::string expires_at;  ///< empty: no end
  std::string revoked_at;  ///< empty: not revoked
  bool usable = false;     ///< not revoked, not expired, tenant active (computed by the query)
};

api_key_row create_key(pqxx::connection& c, const std::string& tenant_id, const std::string& prefix,
                       const std::string& key_hash, const std::string& role,
                       const std::string& name);
/// Platform-wide: token exchange knows only the key.
std::optional<api_key_row> find_key_by_prefix(pqxx::connection& c, const std::string& prefix);
std::vector<api_key_row> tenant_keys(pqxx::connection& c, const std::string& tenant_id);
/// Every usable key of the tenant expires after `grace_seconds`; returns how many.
int expire_keys(pqxx::connection& c, const std::string& tenant_id, int64_t grace_seconds,
                const std::string& except_key_id);
bool revoke_key(pqxx::connection& c, const std::string& tenant_id, const std::string& key_id);
void touch_key(pqxx::connection& c, const std::string& tenant_id, const std::string& key_id);

struct audit_entry {
  std::string tenant_id;  ///< empty: a platform action
  std::string actor;
  std::string action;
  std::string target;
  std::string outcome = "ok";  ///< ok, denied, failed
  std::string remote;
  std::string details_json = "{}";
  int64_t id = 0;
  std::string created_at;
};

void append_audit(pqxx::connection& c, const audit_entry& e);
/// `scope`: a tenant (its rows only) or `platform`; `tenant_filter` empty = all visible.
/// `since`/`until`: ISO timestamps or empty.
std::vector<audit_entry> list_audit(pqxx::connection& c, const std::string& scope,
                                    const std::string& tenant_filter, const std::string& since,
                                    const std::string& until, int limit);

}  // namespace parley::persistence
