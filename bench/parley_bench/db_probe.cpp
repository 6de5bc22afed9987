#include "bench/parley_bench/db_probe.hpp"

#include <map>
#include <pqxx/pqxx>

namespace parley::bench {

namespace {

std::vector<table_scans> read_tables(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  std::vector<table_scans> out;
  for (const auto& r : tx.exec("SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) "
                               "FROM pg_stat_user_tables ORDER BY relname"))
    out.push_back({r[0].c_str(), r[1].as<uint64_t>(), r[2].as<uint64_t>(), r[3].as<uint64_t>()});
  return out;
}

// Statistics of this database's statements, the prober's own left out.
constexpr const char* of_this_database =
    " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
    "WHERE d.datname = current_database() AND s.userid <> (SELECT oid FROM pg_roles WHERE "
    "rolname = current_user)";

}  // namespace

void db_probe::start() {
  try {
    pqxx::connection c{url_};
    {
      pqxx::nontransaction tx{c};
      tx.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      tx.exec(
          "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = "
          "current_database()), 0)");
    }
    before_ = read_tables(c);
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

db_usage db_probe::finish() const {
  db_usage u;
  if (!error_.empty()) {
    u.error = error_;
    return u;
  }
  try {
    pqxx::connection c{url_};
    {
      pqxx::nontransaction tx{c};
      auto totals =
          tx.exec1(std::string{"SELECT coalesce(sum(s.calls), 0), "
                               "coalesce(sum(s.calls) FILTER (WHERE s.query = 'COMMIT'), 0)"} +
                   of_this_database);
      u.statements = totals[0].as<uint64_t>();
      u.commits = totals[1].as<uint64_t>();
      for (const auto& r :
           tx.exec(std::string{"SELECT left(regexp_replace(s.query, '\\s+', ' ', 'g'), 200), "
                               "s.calls, s.total_exec_time, s.mean_exec_time, s.rows"} +
                   of_this_database + " ORDER BY s.total_exec_time DESC LIMIT 12"))
        u.top.push_back({r[0].c_str(), r[1].as<uint64_t>(), r[2].as<double>(), r[3].as<double>(),
                         r[4].as<uint64_t>()});
    }
    std::map<std::string, table_scans> before;
    for (const auto& t : before_) before[t.table] = t;
    for (auto t : read_tables(c)) {
      auto b = before[t.table];
      t.seq_scan -= std::min(t.seq_scan, b.seq_scan);
      t.seq_tup_read -= std::min(t.seq_tup_read, b.seq_tup_read);
      t.idx_scan -= std::min(t.idx_scan, b.idx_scan);
      if (t.seq_tup_read > 0) u.scans.push_back(t);  // scans that read rows
    }
    u.measured = true;
  } catch (const std::exception& e) {
    u.error = e.what();
  }
  return u;
}

}  // namespace parley::bench
