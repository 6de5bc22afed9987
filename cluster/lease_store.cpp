// Tenant ownership leases with fencing epochs (see lease_store.hpp). Runs on pool threads.
#include "cluster/lease_store.hpp"

#include <pqxx/pqxx>

#include "persistence/admin_store.hpp"
#include "persistence/sql_text.hpp"

namespace parley::cluster {

using persistence::is_uuid;

namespace {

const std::string lease_columns =
    "tenant_id::text, node, epoch, "
    "(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint, " +
    persistence::iso("acquired_at") + ", " + persistence::iso("expires_at");

lease to_lease(const pqxx::row& r) {
  return lease{r[0].c_str(),       r[1].c_str(), r[2].as<int64_t>(),
               r[3].as<int64_t>(), r[4].c_str(), r[5].c_str()};
}

}  // namespace

std::optional<int64_t> acquire_lease(pqxx::connection& c, const std::string& tenant_id,
                                     const std::string& node, int64_t ttl_ms) {
  auto taken = take_lease(c, tenant_id, node, ttl_ms);
  if (!taken) return std::nullopt;
  return taken->epoch;
}

std::optional<taken_lease> take_lease(pqxx::connection& c, const std::string& tenant_id,
                                      const std::string& node, int64_t ttl_ms) {
  if (!is_uuid(tenant_id)) return std::nullopt;
  pqxx::work tx{c};
  // The holder before the statement: a CTE sees the snapshot, not the row being written.
  // The row is locked by ON CONFLICT while its WHERE is evaluated: a racing acquirer waits
  // and then sees the winner's live lease, so it gets no row back.
  auto rs = tx.exec_params(
      "WITH before AS (SELECT node FROM tenant_leases WHERE tenant_id = $1) "
      "INSERT INTO tenant_leases AS l (tenant_id, node, epoch, expires_at, acquired_at) "
      "VALUES ($1, $2, 1, clock_timestamp() + $3::double precision * interval '1 millisecond', "
      "clock_timestamp()) "
      "ON CONFLICT (tenant_id) DO UPDATE SET "
      "  epoch = CASE WHEN l.node = EXCLUDED.node AND l.expires_at > clock_timestamp() "
      "               THEN l.epoch ELSE l.epoch + 1 END, "
      "  acquired_at = CASE WHEN l.node = EXCLUDED.node AND l.expires_at > clock_timestamp() "
      "                     THEN l.acquired_at ELSE EXCLUDED.acquired_at END, "
      "  node = EXCLUDED.node, "
      "  expires_at = EXCLUDED.expires_at "
      "WHERE l.node = EXCLUDED.node OR l.expires_at <= clock_timestamp() "
      "RETURNING epoch, coalesce((SELECT node FROM before), '')",
      tenant_id, node, static_cast<double>(ttl_ms));
  tx.commit();
  if (rs.empty()) return std::nullopt;
  return taken_lease{rs[0][0].as<int64_t>(), rs[0][1].c_str()};
}

std::vector<std::pair<std::string, int64_t>> renew_leases(
    pqxx::connection& c, const std::string& node, const std::vector<std::string>& tenant_ids,
    int64_t ttl_ms) {
  std::string ids = "{";
  for (const auto& t : tenant_ids) {
    if (!is_uuid(t)) continue;
    if (ids.size() > 1) ids += ',';
    ids += t;
  }
  ids += '}';
  pqxx::work tx{c};
  auto rs = tx.exec_params(
      "UPDATE tenant_leases SET expires_at = clock_timestamp() + $2::double precision * interval "
      "'1 millisecond' WHERE node = $1 AND tenant_id = ANY($3::uuid[]) "
      "AND expires_at > clock_timestamp() RETURNING tenant_id::text, epoch",
      node, static_cast<double>(ttl_ms), ids);
  tx.commit();
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& r : rs) out.emplace_back(r[0].c_str(), r[1].as<int64_t>());
  return out;
}

bool renew_lease(pqxx::connection& c, const std::string& tenant_id, const std::string& node,
                 int64_t epoch, int64_t ttl_ms) {
  if (!is_uuid(tenant_id)) return false;
  pqxx::work tx{c};
  auto rs = tx.exec_params(
      "UPDATE tenant_leases SET expires_at = clock_timestamp() + $4::double precision * interval "
      "'1 millisecond' "
      "WHERE tenant_id = $1 AND node = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
      tenant_id, node, epoch, static_cast<double>(ttl_ms));
  tx.commit();
  return rs.affected_rows() == 1;
}

bool release_lease(pqxx::connection& c, const std::string& tenant_id, const std::string& node,
                   int64_t epoch) {
  if (!is_uuid(tenant_id)) return false;
  pqxx::work tx{c};
  auto rs = tx.exec_params(
      "UPDATE tenant_leases SET expires_at = clock_timestamp() "
      "WHERE tenant_id = $1 AND node = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
      tenant_id, node, epoch);
  tx.commit();
  return rs.affected_rows() == 1;
}

int release_all_leases(pqxx::connection& c, const std::string& node) {
  pqxx::work tx{c};
  auto rs = tx.exec_params(
      "UPDATE tenant_leases SET expires_at = clock_timestamp() "
      "WHERE node = $1 AND expires_at > clock_timestamp()",
      node);
  tx.commit();
  return static_cast<int>(rs.affected_rows());
}

bool lease_valid(pqxx::transaction_base& tx, const std::string& tenant_id, const std::string& node,
                 int64_t epoch) {
  if (!is_uuid(tenant_id)) return false;
  return !tx.exec_params(lease_valid_sql, tenant_id, node, epoch).empty();
}

bool lease_valid(pqxx::connection& c, const std::string& tenant_id, const std::string& node,
                 int64_t epoch) {
  pqxx::work tx{c};
  auto ok = lease_valid(tx, tenant_id, node, epoch);
  tx.commit();
  return ok;
}

std::vector<lease> leases_of(pqxx::connection& c, const std::string& node) {
  pqxx::nontransaction tx{c};
  std::vector<lease> out;
  for (const auto& r : tx.exec_params(std::string{"SELECT "} + lease_columns +
                                          " FROM tenant_leases WHERE node = $1 ORDER BY tenant_id",
                                      node))
    out.push_back(to_lease(r));
  return out;
}

std::optional<lease> find_lease(pqxx::connection& c, const std::string& tenant_id) {
  if (!is_uuid(tenant_id)) return std::nullopt;
  pqxx::nontransaction tx{c};
  auto rs = tx.exec_params(
      std::string{"SELECT "} + lease_columns + " FROM tenant_leases WHERE tenant_id = $1",
      tenant_id);
  if (rs.empty()) return std::nullopt;
  return to_lease(rs[0]);
}

}  // namespace parley::cluster
