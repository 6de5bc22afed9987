#pragma once
// Integration fixtures: a fresh database per test on the throwaway PostgreSQL that
// scripts/test starts, a scratch PostgreSQL a test may stop, and the real parleyd binary.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tests/support/http.hpp"
#include "tests/support/process.hpp"

namespace parley::test {

/// PARLEY_TEST_DATABASE_URL, or empty.
std::string test_database_url();
/// True when PARLEY_REQUIRE_INTEGRATION is set (CI): missing servers are failures.
bool integration_required();

/// Skips the test, or fails it under CI, when no test PostgreSQL is configured.
#define PARLEY_REQUIRE_DATABASE()                                                       \
  do {                                                                                  \
    if (::parley::test::test_database_url().empty()) {                                  \
      if (::parley::test::integration_required())                                       \
        FAIL() << "PARLEY_TEST_DATABASE_URL is not set (run through scripts/test)";     \
      GTEST_SKIP() << "PARLEY_TEST_DATABASE_URL is not set (run through scripts/test)"; \
    }                                                                                   \
  } while (false)

/// A database created for one test and dropped afterwards.
class scratch_database {
 public:
  scratch_database();
  ~scratch_database();
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  /// Runs SQL on it (seeing every tenant's rows) and returns the first column of the first row
  /// ("" if none).
  std::string scalar(const std::string& sql) const;
  void exec(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

/// A PostgreSQL server of the test's own (so the test may stop and start it).
class scratch_postgres {
 public:
  scratch_postgres();
  ~scratch_postgres();
  void stop();
  void start();
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  std::string dir_;
  std::string url_;
};

/// The real parleyd binary on a free port.
class parleyd {
 public:
  /// Starts parleyd with PARLEY_DATABASE_URL=db_url and the given extra environment.
  parleyd(const std::string& db_url, std::map<std::string, std::string> env = {},
          std::vector<std::string> args = {});
  ~parleyd();
  /// Waits until /health answers (the process serves); false on timeout or exit.
  bool wait_healthy(std::chrono::milliseconds timeout = std::chrono::seconds{30});
  /// Waits until /ready answers 200.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds{30});
  [[nodiscard]] int port() const { return port_; }
  child_process& process() { return proc_; }
  [[nodiscard]] std::string log() const { return proc_.output(); }
  http_reply get(const std::string& target) const { return http_get(port_, target); }

 private:
  int port_;
  std::string log_path_;
  child_process proc_;
};

/// Path of a program in build/bin.
std::string bin_path(const std::string& name);
/// Polls `pred` every 20 ms until it holds or `limit` passes; returns its last value.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds{20});

/// A master key file (0600) shared by every node a test process starts.
std::string master_key_file();
/// A fresh path under the test scratch directory (var/test-tmp).
std::string scratch_path(const std::string& stem);

}  // namespace parley::test
