#pragma once
// Why a database job failed, as a value: a code callers branch on, and the server's detail for
// logs only (it may name tables, constraints or values; it never goes to an HTTP client).
// Plain data, no CAF, no libpqxx.
#include <cstdint>
#include <string>

namespace parley::persistence {

enum class db_errc : uint8_t {
  ok = 0,
  unavailable,       ///< cannot connect, or the connection broke
  overloaded,        ///< the pool's queue is full
  query_failed,      ///< the server rejected a statement (or the job threw)
  migration_failed,  ///< a migration did not apply
  stopped,           ///< the pool is shutting down
};

[[nodiscard]] std::string to_string(db_errc x);

struct db_failure {
  db_errc code = db_errc::query_failed;
  std::string detail;

  /// Connection trouble, a full queue or a stopping pool: worth retrying later (HTTP 503).
  [[nodiscard]] bool retryable() const {
    return code == db_errc::unavailable || code == db_errc::overloaded || code == db_errc::stopped;
  }
  /// "<code>: <detail>" for logs.
  [[nodiscard]] std::string what() const {
    return detail.empty() ? to_string(code) : to_string(code) + ": " + detail;
  }
};

}  // namespace parley::persistence
