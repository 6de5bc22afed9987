#pragma once
// Tenant ownership leases with fencing (table tenant_leases, migration 0005).
//
// A node runs a tenant only while it holds the tenant's lease. Every new holding raises the
// epoch (the fencing token); writes made on the tenant's behalf check, inside their own
// transaction, that (node, epoch) still holds a live lease (lease_valid), so a node that lost
// its lease (pause, partition) cannot write after another node took over.
//
// Time is the database's (clock_timestamp()), never a node's clock. A holder must stop the
// tenant's actors before its lease runs out by its own steady clock (e.g. at acquire time +
// ttl - one renew interval); the database only guarantees that no second holder exists.
//
// Each function runs on a pool thread with the connection it is given, in its own transaction
// (lease_valid(tx, ...) runs in the caller's), and throws on database errors. Invalid tenant
// ids are answered as "no lease", never sent to the server.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "persistence/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}  // namespace pqxx

namespace parley::cluster {

struct lease {
  std::string tenant_id;
  std::string node;
  int64_t epoch = 0;
  int64_t expires_in_ms = 0;  ///< at the time of the query; <= 0: expired (or released)
  std::string acquired_at;    ///< ISO-8601 UTC
  std::string expires_at;     ///< ISO-8601 UTC
};

/// Takes or renews the tenant's lease for `node`, for ttl_ms from now. Succeeds when there is
/// no lease, when it has expired (or was released), or when `node` holds it and it is still
/// live (then the epoch stays). A new holding gets epoch + 1 (1 for the first); so does `node`
/// re-taking its own lease after it lapsed, because it had to stop the tenant meanwhile.
/// One atomic INSERT ... ON CONFLICT DO UPDATE: of two nodes racing, exactly one wins.
/// Returns the epoch, or nullopt when another node holds a live lease.
/// Throws (foreign key violation) when the tenant does not exist.
std::optional<int64_t> acquire_lease(pqxx::connection& c, const std::string& tenant_id,
                                     const std::string& node, int64_t ttl_ms);

struct taken_lease {
  int64_t epoch = 0;
  std::string previous_node;  ///< who held the row before ("" for a first holding)
};

/// acquire_lease() that also says who held the lease before, so a node taking a tenant over
/// from a dead one knows to resume its unsent work.
std::optional<taken_lease> take_lease(pqxx::connection& c, const std::string& tenant_id,
                                      const std::string& node, int64_t ttl_ms);

/// Extends the live leases `node` holds on `tenant_ids` to ttl_ms from now, in one statement
/// (the holder's heartbeat to the database). Returns the (tenant, epoch) pairs renewed; a
/// tenant the node runs that is missing has lost its lease and must stop. Leases of tenants
/// not listed are left to expire.
std::vector<std::pair<std::string, int64_t>> renew_leases(
    pqxx::connection& c, const std::string& node, const std::vector<std::string>& tenant_ids,
    int64_t ttl_ms);

/// Extends a live lease held by (node, epoch) to ttl_ms from now. False when it is not held
/// by them or has already expired: the holder must stop the tenant and acquire again.
bool renew_lease(pqxx::connection& c, const std::string& tenant_id, const std::string& node,
                 int64_t epoch, int64_t ttl_ms);

/// Ends the lease held by (node, epoch) now, so another node may take it at once. The row
/// stays (expired) so the next holder's epoch is higher. False when not held by them.
bool release_lease(pqxx::connection& c, const std::string& tenant_id, const std::string& node,
                   int64_t epoch);

/// Ends every live lease `node` holds (a node shutting down cleanly). Returns how many.
int release_all_leases(pqxx::connection& c, const std::string& node);

/// The fencing check as SQL, for statements that should write only under a live lease:
/// parameters $1 tenant_id, $2 node, $3 epoch. FOR SHARE makes a takeover wait until the
/// writing transaction has finished, so the check stays true until commit.
inline constexpr const char* lease_valid_sql =
    "SELECT 1 FROM tenant_leases WHERE tenant_id = $1 AND node = $2 AND epoch = $3 "
    "AND expires_at > clock_timestamp() FOR SHARE";

/// Runs lease_valid_sql inside the caller's transaction (which must then do its writes and
/// commit). True when (node, epoch) holds a live lease on the tenant.
bool lease_valid(pqxx::transaction_base& tx, const std::string& tenant_id, const std::string& node,
                 int64_t epoch);

/// Same, in a transaction of its own (for a read-only check, e.g. diagnostics).
bool lease_valid(pqxx::connection& c, const std::string& tenant_id, const std::string& node,
                 int64_t epoch);

/// The leases recorded for `node`, live and expired, by tenant id.
std::vector<lease> leases_of(pqxx::connection& c, const std::string& node);

/// The lease row of one tenant, if any.
std::optional<lease> find_lease(pqxx::connection& c, const std::string& tenant_id);

}  // namespace parley::cluster
