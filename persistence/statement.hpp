#pragma once
// A named statement of a writer: prepared once per connection by the writers (group_commit),
// sent with its text elsewhere (a pool thread running the same work for one request), so the
// SQL lives in one place whichever connection runs it. Include only in .cpp files.
#include <memory>
#include <pqxx/pqxx>
#include <utility>

#include "persistence/tenant_scope.hpp"

namespace parley::persistence {

struct statement {
  const char* name;
  const char* sql;
};

template <class... Args>
pqxx::result run(pqxx::work& tx, bool prepared, const statement& s, Args&&... args) {
  return prepared ? tx.exec_prepared(s.name, std::forward<Args>(args)...)
                  : tx.exec_params(s.sql, std::forward<Args>(args)...);
}

/// A transaction that sees every tenant. A writer's connection has the platform scope for its
/// whole session (set once when it connects): a plain transaction, one round trip fewer. Any
/// other connection gets a transaction that sets the scope first.
inline std::unique_ptr<pqxx::work> platform_work(pqxx::connection& c, bool writer) {
  if (writer) return std::make_unique<pqxx::work>(c);
  return std::make_unique<scoped_work>(c, platform);
}

}  // namespace parley::persistence
