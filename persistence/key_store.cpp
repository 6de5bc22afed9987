#include "persistence/key_store.hpp"

#include <pqxx/pqxx>

#include "persistence/sql_text.hpp"
#include "persistence/tenant_scope.hpp"

namespace parley::persistence {

namespace {

const std::string key_columns =
    "k.id, k.tenant_id, k.prefix, k.key_hash, k.role, k.name, " + iso("k.created_at") + ", " +
    iso("k.expires_at") + ", " + iso("k.revoked_at") +
    ", (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND "
    "t.status = 'active')";

api_key_row to_key(const pqxx::row& r) {
  api_key_row k;
  k.id = str(r[0]);
  k.tenant_id = str(r[1]);
  k.prefix = str(r[2]);
  k.key_hash = str(r[3]);
  k.role = str(r[4]);
  k.name = str(r[5]);
  k.created_at = str(r[6]);
  k.expires_at = str(r[7]);
  k.revoked_at = str(r[8]);
  k.usable = r[9].as<bool>();
  return k;
}

}  // namespace

api_key_row create_key(pqxx::connection& c, const std::string& tenant_id, const std::string& prefix,
                       const std::string& key_hash, const std::string& role,
                       const std::string& name) {
  scoped_work tx{c, tenant_id};
  auto id = tx.exec_params1(
      "INSERT INTO api_keys (tenant_id, prefix, key_hash, role, name) VALUES ($1, $2, $3, $4, $5) "
      "RETURNING id",
      tenant_id, prefix, key_hash, role, name)[0];
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'credentials.generated', "
      "jsonb_build_object('key_id', $2::text, 'prefix', $3::text, 'role', $4::text))",
      tenant_id, str(id), prefix, role);
  auto k = to_key(tx.exec_params1("SELECT " + key_columns +
                                      " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
                                      "WHERE k.id = $1",
                                  str(id)));
  tx.commit();
  return k;
}

std::optional<api_key_row> find_key_by_prefix(pqxx::connection& c, const std::string& prefix) {
  scoped_read tx{c, platform};
  auto rs = tx.exec_params("SELECT " + key_columns +
                               " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
                               "WHERE k.prefix = $1",
                           prefix);
  if (rs.empty()) return std::nullopt;
  return to_key(rs[0]);
}

std::vector<api_key_row> tenant_keys(pqxx::connection& c, const std::string& tenant_id) {
  scoped_read tx{c, tenant_id};
  std::vector<api_key_row> out;
  for (const auto& r : tx.exec_params("SELECT " + key_columns +
                                          " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
                                          "WHERE k.tenant_id = $1 ORDER BY k.created_at",
                                      tenant_id))
    out.push_back(to_key(r));
  return out;
}

int expire_keys(pqxx::connection& c, const std::string& tenant_id, int64_t grace_seconds,
                const std::string& except_key_id) {
  scoped_work tx{c, tenant_id};
  auto rs = tx.exec_params(
      "UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), "
      "now() + make_interval(secs => $2)) WHERE tenant_id = $1 AND revoked_at IS NULL "
      "AND (expires_at IS NULL OR expires_at > now()) AND id::text <> $3 RETURNING id",
      tenant_id, static_cast<double>(grace_seconds), except_key_id);
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'credentials.rotated', "
      "jsonb_build_object('new_key_id', $2::text, 'expiring', $3::int, 'grace_seconds', "
      "$4::bigint))",
      tenant_id, except_key_id, static_cast<int>(rs.size()), grace_seconds);
  tx.commit();
  return static_cast<int>(rs.size());
}

bool revoke_key(pqxx::connection& c, const std::string& tenant_id, const std::string& key_id) {
  scoped_work tx{c, tenant_id};
  auto rs = tx.exec_params(
      "UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id::text = $2 "
      "AND revoked_at IS NULL RETURNING id",
      tenant_id, key_id);
  if (!rs.empty())
    tx.exec_params(
        "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'credentials.revoked', "
        "jsonb_build_object('key_id', $2::text))",
        tenant_id, key_id);
  tx.commit();
  return !rs.empty();
}

void touch_key(pqxx::connection& c, const std::string& tenant_id, const std::string& key_id) {
  scoped_work tx{c, tenant_id};
  tx.exec_params("UPDATE api_keys SET last_used_at = now() WHERE id::text = $1", key_id);
  tx.commit();
}

void append_audit(pqxx::connection& c, const audit_entry& e) {
  scoped_work tx{c, e.tenant_id.empty() ? platform : e.tenant_id};
  tx.exec_params(
      "INSERT INTO audit_log (tenant_id, actor, action, target, outcome, remote, details) "
      "VALUES (NULLIF($1, '')::uuid, $2, $3, $4, $5, $6, $7::jsonb)",
      e.tenant_id, e.actor, e.action, e.target, e.outcome, e.remote, e.details_json);
  tx.commit();
}

std::vector<audit_entry> list_audit(pqxx::connection& c, const std::string& scope,
                                    const std::string& tenant_filter, const std::string& since,
                                    const std::string& until, int limit) {
  scoped_read tx{c, scope};
  std::vector<audit_entry> out;
  for (const auto& r : tx.exec_params(
           "SELECT coalesce(tenant_id::text, ''), actor, action, target, outcome, remote, "
           "details::text, id, " +
               iso("created_at") +
               " FROM audit_log WHERE ($1 = '' OR tenant_id::text = $1) "
               "AND ($2 = '' OR created_at >= $2::timestamptz) "
               "AND ($3 = '' OR created_at < $3::timestamptz) ORDER BY id LIMIT $4",
           tenant_filter, since, until, limit)) {
    audit_entry e;
    e.tenant_id = str(r[0]);
    e.actor = str(r[1]);
    e.action = str(r[2]);
    e.target = str(r[3]);
    e.outcome = str(r[4]);
    e.remote = str(r[5]);
    e.details_json = str(r[6]);
    e.id = r[7].as<int64_t>();
    e.created_at = str(r[8]);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace parley::persistence
