#pragma once
// The database's side of a run: what PostgreSQL did for it, read from the server's own
// statistics (pg_stat_statements, pg_stat_user_tables) of the node's database. Needs a role
// that may reset and read them (a superuser; bench/with-node.sh passes one). Used from the
// main thread only, before and after run_load.
#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

struct statement_usage {
  std::string query;  ///< normalized by pg_stat_statements, whitespace folded, cut at 200
  uint64_t calls = 0;
  double total_ms = 0;
  double mean_ms = 0;
  uint64_t rows = 0;
};

struct table_scans {
  std::string table;
  uint64_t seq_scan = 0;      ///< sequential scans during the run
  uint64_t seq_tup_read = 0;  ///< rows they read
  uint64_t idx_scan = 0;
};

struct db_usage {
  bool measured = false;
  std::string error;  ///< why not, when not
  uint64_t statements = 0;
  uint64_t commits = 0;
  std::vector<statement_usage> top;  ///< by total time, the first 12
  std::vector<table_scans> scans;    ///< tables whose sequential scans read rows in the run
};

class db_probe {
 public:
  /// `url` is the node's database as a role that may read and reset its statistics.
  explicit db_probe(std::string url) : url_(std::move(url)) {}
  /// Resets the statement statistics of the database and remembers the table counters.
  void start();
  /// What happened since start(). Never throws: errors land in db_usage::error.
  [[nodiscard]] db_usage finish() const;

 private:
  std::string url_;
  std::string error_;
  std::vector<table_scans> before_;
};

}  // namespace parley::bench
