#include "apps/parleyd/node.hpp"

#include <caf/actor_system.hpp>
#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <csignal>
#include <memory>
#include <system_error>
#include <thread>

#include "io/health_routes.hpp"
#include "io/http_server.hpp"
#include "io/logging.hpp"
#include "io/metrics.hpp"
#include "io/router.hpp"
#include "persistence/db_error.hpp"
#include "persistence/migrator.hpp"
#include "persistence/pool.hpp"
#include "supervisors/node_config.hpp"
#include "supervisors/supervisor.hpp"

namespace parley {

namespace {

int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// Applies migrations, retrying while the database is unreachable, up to the startup timeout.
// Returns an empty string on success.
std::string migrate_with_retry(persistence::db_pool& pool, const node_config& cfg,
                               spdlog::logger& log) {
  auto deadline = std::chrono::steady_clock::now() + cfg.database_startup_timeout;
  for (int attempt = 1;; ++attempt) {
    std::promise<std::string> done;
    auto result = done.get_future();
    pool.submit(
        [&done, &log](pqxx::connection& conn) {
          auto report = persistence::migrate(conn, persistence::embedded_migrations());
          for (auto v : report.applied) log.info("applied migration {}", v);
          log.info("database schema at version {}", report.current);
          done.set_value({});
        },
        [&done](const std::string& why) { done.set_value(why); });
    auto err = result.get();
    if (err.empty()) return {};
    bool unreachable = err.rfind("cannot connect", 0) == 0 || err.rfind("database connection lost", 0) == 0;
    if (!unreachable || std::chrono::steady_clock::now() >= deadline) return err;
    if (attempt == 1) log.warn("database not reachable yet, retrying: {}", err);
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
}

void register_node_row(persistence::db_pool& pool, const node_config& cfg) {
  auto name = cfg.node;
  auto url = cfg.http_base_url();
  pool.submit(
      [name, url](pqxx::connection& conn) {
        pqxx::work tx{conn};
        tx.exec_params(
            "INSERT INTO parley_nodes (name, pid, http_url) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET started_at = now(), last_seen = now(), "
            "pid = EXCLUDED.pid, http_url = EXCLUDED.http_url",
            name, static_cast<int>(getpid()), url);
        tx.commit();
      },
      [](const std::string& why) { log::get("persistence")->warn("cannot register node: {}", why); });
}

}  // namespace

int run_node(node_config& cfg) {
  log::setup(cfg.log_format == "text" ? log::format::text : log::format::json, cfg.log_level,
             cfg.node);
  auto log = log::get("node");
  cfg.add_error_category(caf::atom("db"), persistence::render_db_error);

  io::metrics_registry metrics;
  io::register_process_metrics(metrics);
  metrics.get_gauge("parley_node_info", "Constant 1, labelled with the node's name.",
                    {{"node", cfg.node}})
      .set(1);

  persistence::pool_settings ps;
  ps.url = cfg.database_url;
  ps.threads = cfg.database_pool_size;
  ps.connect_timeout_s = cfg.database_connect_timeout_s;
  ps.statement_timeout_ms = cfg.database_statement_timeout_ms;
  persistence::db_pool pool{ps};

  std::atomic<bool> started{false};
  io::router routes{&metrics};
  io::health_deps health;
  health.metrics = &metrics;
  health.started = [&started] { return started.load(); };
  health.check_database = [&pool](std::function<void(bool, std::string)> done) {
    pool.submit(
        [done](pqxx::connection& conn) {
          pqxx::nontransaction{conn}.exec("SELECT 1");
          done(true, {});
        },
        [done](const std::string& why) { done(false, why); });
  };
  io::add_health_routes(routes, health);

  io::http_server_settings hs;
  hs.host = cfg.http_host;
  hs.port = cfg.http_port;
  hs.body_limit = cfg.http_body_limit;
  hs.threads = cfg.http_threads;
  hs.read_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_read_timeout);
  hs.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_idle_timeout);
  io::http_server server{hs, [&routes](io::http_request&& req, io::respond_fn respond) {
                           routes.dispatch(std::move(req), std::move(respond));
                         }};
  try {
    cfg.http_port = server.bind();
  } catch (const std::exception& e) {
    log->critical("cannot listen on {}:{}: {}", hs.host, hs.port, e.what());
    return exit_bind_failed;
  }
  server.start();
  log->info("node {} listening on {} (pid {})", cfg.node, cfg.http_base_url(), getpid());

  if (auto err = migrate_with_retry(pool, cfg, *log); !err.empty()) {
    log->critical("cannot prepare the database: {}", err);
    server.stop(std::chrono::milliseconds{0});
    return exit_database_failed;
  }
  register_node_row(pool, cfg);

  int code = exit_ok;
  {
    caf::actor_system system{cfg};
    supervision::supervisor_spec root;
    root.name = "node";
    auto root_sup = supervision::spawn_supervisor(system, root);
    started = true;
    log->info("node {} ready", cfg.node);

    int sig = wait_for_stop_signal();
    log->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    auto drain = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_drain_timeout);
    server.stop(drain);
    supervision::stop_and_wait(system, root_sup);
  }
  pool.stop();
  log->info("node {} stopped", cfg.node);
  spdlog::shutdown();
  return code;
}

}  // namespace parley
