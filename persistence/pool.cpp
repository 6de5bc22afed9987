#include "persistence/pool.hpp"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

namespace parley::persistence {

std::string connection_string(const pool_settings& s) {
  std::string url = s.url;
  auto add = [&](const std::string& key, const std::string& value) {
    if (url.find(key + "=") != std::string::npos) return;
    bool uri = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
    if (uri)
      url += (url.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
    else
      url += " " + key + "=" + value;
  };
  add("connect_timeout", std::to_string(s.connect_timeout_s));
  add("application_name", "parleyd");
  return url;
}

db_pool::db_pool(pool_settings settings)
    : settings_(std::move(settings)), conninfo_(connection_string(settings_)) {
  if (settings_.threads == 0) settings_.threads = 1;
  for (std::size_t i = 0; i < settings_.threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

db_pool::~db_pool() {
  stop();
}

void db_pool::submit(work_fn work, fail_fn fail) {
  {
    std::unique_lock<std::mutex> guard{mtx_};
    if (!stopping_ && queue_.size() < settings_.max_queue) {
      queue_.push_back(job{std::move(work), std::move(fail)});
      guard.unlock();
      cv_.notify_one();
      return;
    }
  }
  fail(stopping_ ? db_failure{db_errc::stopped, "database pool stopped"}
                 : db_failure{db_errc::overloaded, "database pool overloaded"});
}

std::size_t db_pool::queued() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queue_.size();
}

void db_pool::stop() {
  std::deque<job> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (auto& j : dropped) j.fail(db_failure{db_errc::stopped, "database pool stopped"});
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void db_pool::run(std::size_t index) {
  std::unique_ptr<pqxx::connection> conn;
  for (;;) {
    job j;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      j = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      if (!conn || !conn->is_open()) {
        conn.reset();
        conn = std::make_unique<pqxx::connection>(conninfo_);
        pqxx::nontransaction{*conn}.exec("SET statement_timeout = " +
                                         std::to_string(settings_.statement_timeout_ms));
      }
    } catch (const std::exception& e) {
      conn.reset();
      j.fail(db_failure{db_errc::unavailable,
                        std::string{"cannot connect to the database: "} + e.what()});
      continue;
    }
    try {
      j.work(*conn);
    } catch (const pqxx::broken_connection& e) {
      conn.reset();
      j.fail(
          db_failure{db_errc::unavailable, std::string{"database connection lost: "} + e.what()});
    } catch (const std::exception& e) {
      if (!conn->is_open()) conn.reset();
      j.fail(db_failure{db_errc::query_failed, e.what()});
    }
  }
}

}  // namespace parley::persistence
