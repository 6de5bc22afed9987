#pragma once
// The node's own rows (table parley_nodes, migration 0001) and the readiness probe. Each
// function runs on a pool thread with the connection it is given and throws on database errors.
#include <string>

#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

/// Records that `name` (re)started as process `pid` serving `http_url`; a restart of the same
/// name updates its row, so the table lists each node once with its latest process.
void register_node(pqxx::connection& c, const std::string& name, int pid,
                   const std::string& http_url);

/// The cheapest round trip to the server: throws when it is unreachable.
void ping(pqxx::connection& c);

}  // namespace parley::persistence
