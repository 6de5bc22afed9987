#include "persistence/migrator.hpp"

#include <pqxx/pqxx>
#include <set>
#include <stdexcept>

namespace parley::persistence {

namespace {

// Arbitrary constant shared by every parley node: "parley" in ASCII.
constexpr const char* lock_key = "x'7061726c6579'::bigint";

// libpqxx allows one open transaction per connection, so every step gets its own; the
// advisory lock is held by the session across them.
void exec_alone(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction n{conn};
  n.exec(sql);
}

struct advisory_lock {
  pqxx::connection& conn;
  explicit advisory_lock(pqxx::connection& c) : conn(c) {
    exec_alone(conn, std::string{"SELECT pg_advisory_lock("} + lock_key + ")");
  }
  ~advisory_lock() {
    try {
      exec_alone(conn, std::string{"SELECT pg_advisory_unlock("} + lock_key + ")");
    } catch (...) {
      // The lock dies with the session anyway.
    }
  }
};

}  // namespace

migration_report migrate(pqxx::connection& conn, const std::vector<migration>& all) {
  migration_report report;
  advisory_lock lock{conn};
  // Only create when missing: a node running as a role that owns nothing (and may not create)
  // starts fine against an up-to-date schema.
  bool exists = false;
  {
    pqxx::nontransaction n{conn};
    exists = !n.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>();
  }
  if (!exists)
    exec_alone(conn,
               "CREATE TABLE IF NOT EXISTS schema_migrations ("
               " version integer PRIMARY KEY,"
               " name text NOT NULL,"
               " applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> done;
  {
    pqxx::nontransaction n{conn};
    for (const auto& row : n.exec("SELECT version FROM schema_migrations"))
      done.insert(row[0].as<int>());
  }
  for (const auto& m : all) {
    if (done.count(m.version) != 0) continue;
    try {
      pqxx::work tx{conn};
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                     m.name);
      tx.commit();
    } catch (const std::exception& e) {
      throw std::runtime_error("migration " + m.name + " failed: " + e.what());
    }
    report.applied.push_back(m.version);
    done.insert(m.version);
  }
  report.current = done.empty() ? 0 : *done.rbegin();
  return report;
}

}  // namespace parley::persistence
