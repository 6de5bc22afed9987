#pragma once
// The database work the node does once while it starts, before it accepts work: each step runs
// on the pool (or, for migrations by the owner role, a connection of its own) and is waited for.
//
// Called by the node on parleyd's main thread, which may block while it starts.
#include <string>

namespace spdlog {
class logger;
}
namespace parley::persistence {
class db_pool;
}
namespace parley::edge {
class origin_directory;
}
namespace parley::common::security {
class secret_box;
}

namespace parley {

class node_config;
class actor_bridge;

/// Applies the embedded migrations, retrying while the database is unreachable, up to the
/// startup timeout. Returns an empty string on success, else why it failed.
std::string migrate_with_retry(persistence::db_pool& pool, const node_config& cfg,
                               spdlog::logger& log);

/// Records this process in parley_nodes; a failure is only logged (not waited for).
void register_node_row(persistence::db_pool& pool, const node_config& cfg);

/// Seals secrets stored in plaintext (rows from before encryption) and re-seals those of an old
/// master key under the current one, so a rotation completes with one restart.
void seal_channel_secrets(persistence::db_pool& pool, const common::security::secret_box& box,
                          spdlog::logger& log);

/// Every tenant's allowed CORS origins; a database failure leaves the directory empty.
void load_origins(persistence::db_pool& pool, edge::origin_directory& origins);

/// Work acknowledged before a crash or restart: unanswered messages go back to their
/// conversations and unsent bubbles to the outbox, before any new webhook is accepted.
void recover(persistence::db_pool& pool, actor_bridge& bridge, spdlog::logger& log);

}  // namespace parley
