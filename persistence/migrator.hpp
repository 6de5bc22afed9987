#pragma once
// Applies the embedded migrations in version order, each in its own transaction, recorded in
// schema_migrations. A PostgreSQL advisory lock serialises nodes that start at the same time.
#include <string>
#include <vector>

#include "persistence/migrations.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct migration_report {
  std::vector<int> applied;  ///< versions applied by this call
  int current = 0;           ///< highest version in the database afterwards
};

/// Runs on the caller's thread (blocking): call it from a pool job or from startup code.
/// Throws on failure; a failed migration leaves the versions before it applied.
migration_report migrate(pqxx::connection& conn, const std::vector<migration>& all);

}  // namespace parley::persistence
