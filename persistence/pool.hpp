#pragma once
// A fixed set of database threads, each owning one libpqxx connection.
//
// Owned by the node (parleyd's main); any thread may submit. Work runs on the pool's own
// threads, never on a CAF scheduler thread or an Asio thread: callers hand in a job and get
// the outcome through a callback (which must itself not block, e.g. anon_send or asio::post).
// Broken connections are dropped and re-opened on the next job, so a restarted server is
// picked up without restarting the node.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/db_failure.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct pool_settings {
  std::string url;                ///< libpq URI or key=value string
  std::size_t threads = 4;        ///< connections (one per thread)
  std::size_t max_queue = 10000;  ///< jobs waiting beyond this are refused
  int connect_timeout_s = 2;      ///< libpq connect_timeout
  int statement_timeout_ms = 10000;
};

/// Builds the libpq connection string from settings (adds timeouts, application_name).
[[nodiscard]] std::string connection_string(const pool_settings& s);

class db_pool {
 public:
  using work_fn = std::function<void(pqxx::connection&)>;
  using fail_fn = std::function<void(const db_failure& why)>;

  explicit db_pool(pool_settings settings);
  ~db_pool();
  db_pool(const db_pool&) = delete;
  db_pool& operator=(const db_pool&) = delete;

  /// Runs `work` on a pool thread with an open connection. If connecting fails, `work`
  /// throws, the queue is full or the pool stops first, `fail` runs instead (exactly one of
  /// the two ever runs, on a pool thread or, when refused, on the caller's thread).
  void submit(work_fn work, fail_fn fail);

  /// Stops taking jobs, fails the queued ones, joins the threads. Idempotent.
  void stop();

  [[nodiscard]] std::size_t queued() const;
  [[nodiscard]] const pool_settings& settings() const { return settings_; }

 private:
  struct job {
    work_fn work;
    fail_fn fail;
  };
  void run(std::size_t index);

  pool_settings settings_;
  std::string conninfo_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parley::persistence
