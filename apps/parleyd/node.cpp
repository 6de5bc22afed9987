#include "apps/parleyd/node.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <chrono>
#include <csignal>
#include <functional>
#include <future>
#include <utility>
#include <vector>

#include "actors/outbox.hpp"
#include "apps/parleyd/node_settings.hpp"
#include "apps/parleyd/startup_tasks.hpp"
#include "cluster/cluster_routes.hpp"
#include "cluster/tenants_placement.hpp"
#include "common/log.hpp"
#include "common/security/signing_key.hpp"
#include "edge/actor_routes.hpp"
#include "edge/admin_routes.hpp"
#include "edge/api_context.hpp"
#include "edge/health_routes.hpp"
#include "edge/webhook_routes.hpp"
#include "persistence/db_error.hpp"
#include "persistence/node_store.hpp"
#include "supervisors/node_config.hpp"
#include "supervisors/supervisor.hpp"

namespace parley {

namespace {

/// Spawns a well-known child; `restarted`: it replaces one that crashed.
using spawn_fn = std::function<caf::actor(caf::actor_system&, bool restarted)>;

// A child the node and its siblings find in the registry: its spawn function registers it
// before returning, so once `first_spawn` is fulfilled the name resolves, and the node waits
// on a future instead of polling the registry.
supervision::child_spec well_known(std::string name, spawn_fn spawn,
                                   std::shared_ptr<std::promise<void>> first_spawn) {
  auto waiting = std::make_shared<bool>(true);  // only touched by the supervisor
  auto start = [spawn = std::move(spawn), first_spawn, waiting](caf::actor_system& sys) {
    bool first = std::exchange(*waiting, false);
    auto handle = spawn(sys, !first);
    if (first) first_spawn->set_value();
    return handle;
  };
  return {std::move(name), logic::restart_type::permanent, std::move(start)};
}

std::function<caf::actor(caf::actor_system&)> placeholder(const char* kind) {
  return [kind](caf::actor_system& sys) { return actors::spawn_placeholder(sys, kind); };
}

}  // namespace

node::node(node_config& cfg) : cfg_(cfg) {}

node::~node() {
  stop();
}

int node::start() {
  start_logging_and_metrics();
  start_storage();
  if (!open_secrets()) return exit_bad_config;
  start_services();
  add_health_routes();
  add_api_routes();
  if (!start_http()) return exit_bind_failed;
  if (!prepare_database()) return exit_database_failed;
  if (!start_actors()) return exit_bind_failed;
  open_intake();
  return exit_ok;
}

void node::stop() {
  stops_.run();
}

void node::wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  log_->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void node::start_logging_and_metrics() {
  common::log::setup(
      cfg_.log_format == "text" ? common::log::format::text : common::log::format::json,
      cfg_.log_level, cfg_.node);
  log_ = common::log::get("node");
  cfg_.add_error_category(caf::atom("db"), persistence::render_db_error);
  common::register_process_metrics(metrics_);
  metrics_
      .get_gauge("parley_node_info", "Constant 1, labelled with the node's name.",
                 {{"node", cfg_.node}})
      .set(1);
}

void node::start_storage() {
  auto db = pool_settings_from(cfg_);
  pool_.emplace(db);
  // The last stop of all; an earlier one, while the actor system still runs, is pushed with it.
  stops_.push([this] { pool_->stop(); });
  cluster_.emplace(cfg_, db);
  cluster_->configure(cfg_);
}

bool node::open_secrets() {
  std::string error;
  std::vector<std::string> key_files{cfg_.master_key_file};
  key_files.insert(key_files.end(), cfg_.old_master_key_files.begin(),
                   cfg_.old_master_key_files.end());
  secrets_ = common::security::secret_box::from_key_files(key_files, error);
  if (!secrets_) {
    log_->critical("cannot use the master key: {}", error);
    return false;
  }
  signing_key_ = common::security::derive_signing_key(cfg_.master_key_file);
  return true;
}

// Their stops are pushed where they must run: the inbox's with the intake (open_intake), the
// others' once the actor system runs (push_runtime_stops), as their callbacks reach actors. A
// start that fails before then leaves them to their destructors.
void node::start_services() {
  channels_.emplace(&*pool_, &*secrets_);
  auto conninfo = persistence::connection_string(pool_->settings());
  inbox_.emplace(persistence::inbox_settings{conninfo});
  // The reply path's group commits: turns' replies, and what became of each send.
  replies_.emplace(conninfo);
  sends_.emplace(conninfo);
  http_.emplace(http_client_settings_from(cfg_));
  media_http_.emplace(media_client_settings_from(cfg_));
  media_.emplace(*media_http_, media_settings_from(cfg_));
}

void node::add_health_routes() {
  edge::health_deps health;
  health.metrics = &metrics_;
  // In a cluster, ready also means joined: until then the node does not know who owns what.
  health.started = [this] { return accepting_.load() && cluster_->joined(); };
  health.check_database = [this](std::function<void(bool, std::string)> done) {
    pool_->submit(
        [done](pqxx::connection& conn) {
          persistence::ping(conn);
          done(true, {});
        },
        [done](const persistence::db_failure& why) {
          // The probe answers without authentication: the kind of failure, not the server's text.
          common::log::get("node")->warn("readiness: database {}", why.what());
          done(false, persistence::to_string(why.code));
        });
  };
  edge::add_health_routes(routes_, health);
}

void node::add_api_routes() {
  auto api = std::make_shared<edge::api_context>(api_context_from(cfg_));
  api->signing_key = signing_key_;
  api->db = &*pool_;
  api->channels = &*channels_;
  api->origins = &origins_;
  api->secrets = &*secrets_;
  api->metrics = &metrics_;
  edge::webhook_deps hooks;
  hooks.channels = &*channels_;
  hooks.inbox = &*inbox_;
  hooks.metrics = &metrics_;
  hooks.accepting = [this] { return accepting_.load(); };
  edge::actor_deps tree;
  bind_actor_hooks(bridge_slot_, *api, hooks, tree);

  edge::add_admin_routes(routes_, api);
  edge::add_tenant_routes(routes_, api);
  edge::add_credential_routes(routes_, api);
  edge::add_audit_routes(routes_, api);
  edge::add_conversation_routes(routes_, api);
  edge::add_cors_preflight(routes_, api);
  edge::add_webhook_routes(routes_, hooks);
  edge::add_actor_routes(routes_, tree, api);
  cluster::add_cluster_routes(routes_, cluster_->routes(bridge_slot_), api);
  if (cfg_.admin_token.empty())
    log_->warn("no admin token configured (PARLEY_ADMIN_TOKEN): the admin API refuses every call");
}

bool node::start_http() {
  auto settings = http_server_settings_from(cfg_);
  server_.emplace(settings, [this](edge::http_request&& req, edge::respond_fn respond) {
    routes_.dispatch(std::move(req), std::move(respond));
  });
  try {
    cfg_.http_port = server_->bind();
  } catch (const std::exception& e) {
    log_->critical("cannot listen on {}:{}: {}", settings.host, settings.port, e.what());
    return false;
  }
  server_->start();
  // Without draining: this stop only matters when a later part fails to start (nothing was
  // accepted yet); a ready node drains first (open_intake).
  stops_.push([this] { server_->stop(std::chrono::milliseconds{0}); });
  log_->info("node {} listening on {} (pid {})", cfg_.node, cfg_.http_base_url(), getpid());
  return true;
}

bool node::prepare_database() {
  if (auto err = migrate_with_retry(*pool_, cfg_, *log_); !err.empty()) {
    log_->critical("cannot prepare the database: {}", err);
    return false;
  }
  register_node_row(*pool_, cfg_);
  seal_channel_secrets(*pool_, *secrets_, *log_);
  channels_->load_all();
  load_origins(*pool_, origins_);
  return true;
}

bool node::start_actors() {
  auto svc = services_from(cfg_);
  svc.db = &*pool_;
  svc.replies = &*replies_;
  svc.sends = &*sends_;
  svc.http = &*http_;
  svc.metrics = &metrics_;
  svc.secrets = &*secrets_;
  svc.channels = &*channels_;
  svc.media = &*media_;
  if (cfg_.fault_injection)
    log_->warn("parley.fault-injection is ON: turns containing #crash crash their conversation");

  system_.emplace(cfg_);
  stops_.push([this] { system_.reset(); });
  bridge_.emplace(*system_, cluster_->enabled());
  stops_.push([this] {
    bridge_slot_.detach();
    bridge_.reset();
  });
  push_runtime_stops();
  if (auto err = cluster_->start(*system_); !err.empty()) {
    log_->critical("cannot join the cluster: {}", err);
    return false;
  }
  stops_.push([this] { cluster_->stop(*system_); });
  cluster_->fill(svc);
  start_tree(svc);
  bridge_slot_.attach(*bridge_);
  // In a cluster the tenants router recovers what this node owns once it has joined.
  if (!cluster_->enabled()) recover(*pool_, *bridge_, *log_);
  return true;
}

// Once the actor system runs, the callbacks of the pool, the writers, the media pipeline and the
// HTTP clients may reach actors: they stop after the actors (pushed before them) and before the
// system goes (pushed after it).
void node::push_runtime_stops() {
  // Queued database jobs fail now, while the actors their callbacks name still have a system.
  stops_.push([this] { pool_->stop(); });
  // Queued turns are committed (their conversations are gone: answered after a restart, from
  // the inbox); the last send outcomes are written.
  stops_.push([this] {
    replies_->stop();
    sends_->stop();
  });
  // Finishes queued media work; its callbacks reach dead actors harmlessly.
  stops_.push([this] { media_.reset(); });
  stops_.push([this] {
    http_->stop();
    media_http_->stop();
  });
  // The registry's references to the well-known actors go once the tree and the cluster stopped.
  stops_.push([this] {
    system_->registry().erase(actors::tenants_name());
    system_->registry().erase(actors::outbox_name());
  });
}

// DESIGN.md's tree; placeholders stand where later issues fill in an agent.
void node::start_tree(const actors::services& svc) {
  auto outbox_up = std::make_shared<std::promise<void>>();
  auto tenants_up = std::make_shared<std::promise<void>>();
  auto outbox_spawned = outbox_up->get_future();
  auto tenants_spawned = tenants_up->get_future();
  supervision::supervisor_spec root;
  root.name = "node";
  root.children = {
      {"store", logic::restart_type::permanent, placeholder("store")},
      well_known(
          "outbox",
          [svc](caf::actor_system& sys, bool restarted) {
            return caf::actor_cast<caf::actor>(actors::spawn_outbox(sys, svc, restarted));
          },
          outbox_up),
      {"llm", logic::restart_type::permanent, placeholder("llm")},
      {"analytics", logic::restart_type::permanent, placeholder("analytics")},
      {"cluster", logic::restart_type::permanent,
       [svc](caf::actor_system& sys) { return cluster::spawn_cluster_agent(sys, svc); }},
      {"federation", logic::restart_type::permanent, placeholder("federation")},
      well_known(
          "tenants",
          [svc](caf::actor_system& sys, bool) {
            auto ext = svc.cluster.view ? cluster::placement_extension(svc)
                                        : actors::router_extension_factory{};
            return caf::actor_cast<caf::actor>(actors::spawn_tenants(sys, svc, std::move(ext)));
          },
          tenants_up),
  };
  root.on_restart = [this](const std::string& child) {
    metrics_
        .get_counter("parley_actor_restarts_total", "Actors restarted after a crash, by kind.",
                     {{"kind", child}})
        .inc();
  };
  auto root_sup = supervision::spawn_supervisor(*system_, std::move(root));
  bridge_->set_root(root_sup);
  stops_.push([this, root_sup] {
    bridge_->set_root(nullptr);  // GET /v1/actors answers "starting" from now on
    supervision::stop_and_wait(*system_, root_sup);
  });
  // The supervisor spawns its children when it first runs, on a scheduler thread.
  outbox_spawned.get();
  tenants_spawned.get();
}

void node::open_intake() {
  accepting_ = true;
  // Work stops coming in before anything behind it stops: HTTP stops accepting and answers what
  // is in flight, readiness and webhooks turn away, and everything acknowledged is committed and
  // handed to the actors; new work is refused.
  stops_.push([this] {
    server_->stop(std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.http_drain_timeout));
    accepting_ = false;
    inbox_->stop();
  });
  log_->info("node {} ready", cfg_.node);
}

int run_node(node_config& cfg) {
  node n{cfg};
  if (auto code = n.start(); code != exit_ok) return code;
  n.wait_for_stop_signal();
  n.stop();
  common::log::get("node")->info("node {} stopped", cfg.node);
  spdlog::shutdown();
  return exit_ok;
}

}  // namespace parley
