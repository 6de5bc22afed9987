#include "tests/support/node.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#ifndef PARLEY_BIN_DIR
#error "PARLEY_BIN_DIR must point at build/bin"
#endif

namespace parley::test {

namespace {

std::string env_or(const char* name, const std::string& fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string{v} : fallback;
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          static_cast<uint64_t>(::getpid())};
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 12; ++i) s += hex[rng() % 16];
  return s;
}

// postgresql://user@host:port/db -> same with another database name.
std::string with_database(const std::string& url, const std::string& db) {
  auto slash = url.rfind('/');
  auto q = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (q == std::string::npos ? "" : url.substr(q));
}

}  // namespace

std::string test_database_url() {
  return env_or("PARLEY_TEST_DATABASE_URL");
}
bool integration_required() {
  return !env_or("PARLEY_REQUIRE_INTEGRATION").empty();
}

std::string bin_path(const std::string& name) {
  return std::string{PARLEY_BIN_DIR} + "/" + name;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return pred();
}

std::string master_key_file() {
  // One key for the whole test process, so a restarted node opens what its predecessor sealed.
  static const std::string path = [] {
    auto p = scratch_path("master") + ".key";
    std::ofstream out{p, std::ios::binary};
    std::random_device rd;
    for (int i = 0; i < 32; ++i) out.put(static_cast<char>(rd() & 0xff));
    out.close();
    ::chmod(p.c_str(), 0600);
    return p;
  }();
  return path;
}

std::string scratch_path(const std::string& stem) {
  auto base =
      env_or("PARLEY_TEST_VAR", std::filesystem::temp_directory_path().string()) + "/test-tmp";
  std::filesystem::create_directories(base);
  return base + "/" + stem + "-" + random_suffix();
}

scratch_database::scratch_database() {
  name_ = "t_" + random_suffix();
  pqxx::connection admin{test_database_url()};
  pqxx::nontransaction{admin}.exec("CREATE DATABASE " + name_);
  url_ = with_database(test_database_url(), name_);
}

scratch_database::~scratch_database() {
  try {
    pqxx::connection admin{test_database_url()};
    pqxx::nontransaction{admin}.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

std::string scratch_database::scalar(const std::string& sql) const {
  pqxx::connection c{url_};
  pqxx::nontransaction tx{c};
  // Tests inspect every tenant's rows: the platform view of row-level security.
  tx.exec("SELECT set_config('parley.tenant_id', '*', false)");
  auto r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return {};
  return r[0][0].c_str();
}

void scratch_database::exec(const std::string& sql) const {
  pqxx::connection c{url_};
  pqxx::work tx{c};
  tx.exec("SELECT set_config('parley.tenant_id', '*', true)");
  tx.exec(sql);
  tx.commit();
}

scratch_postgres::scratch_postgres() {
  dir_ = scratch_path("pg");
  start();
}

scratch_postgres::~scratch_postgres() {
  try {
    stop();
    std::filesystem::remove_all(dir_);
  } catch (...) {
  }
}

void scratch_postgres::start() {
  auto scripts = env_or("PARLEY_TEST_SCRIPTS");
  url_ = run_command(scripts + "/pg start " + dir_ + " --fast");
}

void scratch_postgres::stop() {
  auto scripts = env_or("PARLEY_TEST_SCRIPTS");
  run_command(scripts + "/pg stop " + dir_);
}

parleyd::parleyd(const std::string& db_url, std::map<std::string, std::string> env,
                 std::vector<std::string> args) {
  // A cluster test gives each node the port its cluster.conf names.
  auto given = env.find("PARLEY_HTTP_PORT");
  port_ = given != env.end() ? std::stoi(given->second) : free_port();
  log_path_ = scratch_path("parleyd") + ".log";
  env.emplace("PARLEY_DATABASE_URL", db_url);
  env.emplace("PARLEY_HTTP_PORT", std::to_string(port_));
  env.emplace("PARLEY_ADMIN_TOKEN", "test-admin-token");
  env.emplace("PARLEY_CONFIG", "");
  env.emplace("PARLEY_MASTER_KEY_FILE", master_key_file());
  proc_.start(bin_path("parleyd"), args, env, log_path_);
}

parleyd::~parleyd() {
  if (proc_.running()) {
    proc_.signal(SIGTERM);
    if (!proc_.wait(std::chrono::seconds{15})) proc_.signal(SIGKILL);
    proc_.wait(std::chrono::seconds{5});
  }
}

bool parleyd::wait_healthy(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!proc_.running()) return false;
    if (http_get(port_, "/health").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

bool parleyd::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!proc_.running()) return false;
    if (http_get(port_, "/ready").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

}  // namespace parley::test
