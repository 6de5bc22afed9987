#include "apps/parleyd/node.hpp"

#include <openssl/hmac.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/all.hpp>
#include <csignal>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <system_error>
#include <thread>

#include "actors/convert.hpp"
#include "actors/media/media_pipeline.hpp"
#include "actors/services.hpp"
#include "apps/parleyd/cluster_node.hpp"
#include "common/codec.hpp"
#include "io/actor_routes.hpp"
#include "io/admin_routes.hpp"
#include "io/api_context.hpp"
#include "io/channel_directory.hpp"
#include "io/cluster_routes.hpp"
#include "io/health_routes.hpp"
#include "io/http_client.hpp"
#include "io/http_server.hpp"
#include "io/logging.hpp"
#include "io/metrics.hpp"
#include "io/origin_directory.hpp"
#include "io/router.hpp"
#include "io/security/secret_box.hpp"
#include "io/webhook_routes.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/db_error.hpp"
#include "persistence/inbox_writer.hpp"
#include "persistence/migrator.hpp"
#include "persistence/pool.hpp"
#include "persistence/reply_writer.hpp"
#include "persistence/send_log.hpp"
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
  auto apply = [&log](pqxx::connection& conn) {
    auto report = persistence::migrate(conn, persistence::embedded_migrations());
    for (auto v : report.applied) log.info("applied migration {}", v);
    log.info("database schema at version {}", report.current);
  };
  for (int attempt = 1;; ++attempt) {
    std::optional<persistence::db_failure> failure;
    if (!cfg.database_migration_url.empty()) {
      // The owner's connection, only for this; startup may block the main thread.
      try {
        persistence::pool_settings owner;
        owner.url = cfg.database_migration_url;
        owner.connect_timeout_s = cfg.database_connect_timeout_s;
        pqxx::connection conn{persistence::connection_string(owner)};
        apply(conn);
      } catch (const pqxx::broken_connection& e) {
        failure = persistence::db_failure{persistence::db_errc::unavailable, e.what()};
      } catch (const std::exception& e) {
        failure = persistence::db_failure{persistence::db_errc::migration_failed, e.what()};
      }
    } else {
      std::promise<std::optional<persistence::db_failure>> done;
      auto result = done.get_future();
      pool.submit(
          [&done, &apply](pqxx::connection& conn) {
            apply(conn);
            done.set_value(std::nullopt);
          },
          [&done](const persistence::db_failure& why) { done.set_value(why); });
      failure = result.get();
    }
    if (!failure) return {};
    // Only an unreachable server is waited for; a failing migration will not get better.
    bool unreachable = failure->code == persistence::db_errc::unavailable;
    if (!unreachable || std::chrono::steady_clock::now() >= deadline) return failure->what();
    if (attempt == 1) log.warn("database not reachable yet, retrying: {}", failure->what());
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
      [](const persistence::db_failure& why) {
        log::get("persistence")->warn("cannot register node: {}", why.what());
      });
}

inbound_msg to_message(persistence::stored_message&& s, int64_t received_ms) {
  return actors::to_inbound(std::move(s), received_ms);
}

// Work acknowledged before a crash or restart: unanswered messages go back to their
// conversations and unsent bubbles to the outbox, before any new webhook is accepted.
void recover(persistence::db_pool& pool, caf::actor_system& sys, spdlog::logger& log) {
  std::promise<void> done;
  pool.submit(
      [&](pqxx::connection& c) {
        auto inbound = persistence::unprocessed_inbound(c);
        auto outbound = persistence::pending_outbox(c);
        auto tenants = actors::lookup(sys, actors::tenants_name());
        for (auto& m : inbound) caf::anon_send(tenants, to_message(std::move(m), 0));
        std::vector<outbound_msg> out;
        for (auto& o : outbound) out.push_back(actors::to_outbound(o));
        if (!out.empty())
          caf::anon_send(actors::lookup(sys, actors::outbox_name()), send_atom::value,
                         std::move(out));
        if (!inbound.empty() || !outbound.empty())
          log.info("recovery: {} unanswered messages, {} unsent bubbles", inbound.size(),
                   outbound.size());
        done.set_value();
      },
      [&](const persistence::db_failure& why) {
        log.error("recovery postponed, database unavailable: {}", why.what());
        done.set_value();
      });
  done.get_future().wait();
}

// The access-token signing key, derived from the master key so every node agrees on it without
// another secret to distribute.
std::string derive_signing_key(const std::string& master_key_file) {
  std::ifstream in{master_key_file, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = io::security::secret_box::parse_key(ss.str());
  if (!key) return {};
  static constexpr char label[] = "parley/access-token-signing/v1";
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
       reinterpret_cast<const unsigned char*>(label), sizeof label - 1, out, &len);
  return common::hex_encode(out, len);
}

// Seals secrets stored in plaintext (rows from before encryption) and re-seals those of an old
// master key under the current one, so a rotation completes with one restart.
void seal_channel_secrets(persistence::db_pool& pool, const io::security::secret_box& box,
                          spdlog::logger& log) {
  std::promise<void> done;
  pool.submit(
      [&](pqxx::connection& c) {
        int changed = 0;
        for (auto ch : persistence::all_channels(c)) {
          auto ad = "channel:" + ch.phone_number_id;
          bool dirty = false;
          for (auto* field : {&ch.app_secret, &ch.verify_token, &ch.access_token}) {
            std::optional<std::string> plain;
            if (!box.is_sealed(*field))
              plain = *field;
            else if (field->find(":" + box.current_key_id() + ":") == std::string::npos)
              plain = box.open(*field, ad);
            if (!plain) continue;
            *field = box.seal(*plain, ad);
            dirty = true;
          }
          if (dirty) {
            persistence::update_channel_secrets(c, ch);
            ++changed;
          }
        }
        if (changed > 0)
          log.info("sealed the secrets of {} channels under the current master key", changed);
        done.set_value();
      },
      [&](const persistence::db_failure& why) {
        log.error("cannot seal channel secrets: {}", why.what());
        done.set_value();
      });
  done.get_future().wait();
}

void load_origins(persistence::db_pool& pool, io::origin_directory& origins) {
  std::promise<void> done;
  pool.submit(
      [&](pqxx::connection& c) {
        for (auto& t : persistence::all_tenants(c, false, 1000000))
          origins.set(t.id, t.settings.allowed_origins);
        done.set_value();
      },
      [&](const persistence::db_failure&) { done.set_value(); });
  done.get_future().wait();
}

}  // namespace

int run_node(node_config& cfg) {
  log::setup(cfg.log_format == "text" ? log::format::text : log::format::json, cfg.log_level,
             cfg.node);
  auto log = log::get("node");
  cfg.add_error_category(caf::atom("db"), persistence::render_db_error);

  io::metrics_registry metrics;
  io::register_process_metrics(metrics);
  metrics
      .get_gauge("parley_node_info", "Constant 1, labelled with the node's name.",
                 {{"node", cfg.node}})
      .set(1);

  persistence::pool_settings ps;
  ps.url = cfg.database_url;
  ps.threads = cfg.database_pool_size;
  ps.connect_timeout_s = cfg.database_connect_timeout_s;
  ps.statement_timeout_ms = cfg.database_statement_timeout_ms;
  persistence::db_pool pool{ps};
  cluster_node cluster{cfg, ps};
  cluster.configure(cfg);

  std::string key_error;
  std::vector<std::string> key_files{cfg.master_key_file};
  key_files.insert(key_files.end(), cfg.old_master_key_files.begin(),
                   cfg.old_master_key_files.end());
  auto secrets = io::security::secret_box::from_key_files(key_files, key_error);
  if (!secrets) {
    log->critical("cannot use the master key: {}", key_error);
    return exit_bad_config;
  }
  auto signing_key = derive_signing_key(cfg.master_key_file);

  std::atomic<bool> started{false};
  io::channel_directory channels{&pool, &*secrets};
  io::origin_directory origins;
  persistence::inbox_writer inbox{persistence::inbox_settings{persistence::connection_string(ps)}};
  // The reply path's group commits: turns' replies, and what became of each send.
  persistence::reply_writer replies{persistence::connection_string(ps)};
  persistence::send_log sends{persistence::connection_string(ps)};
  io::http_client_settings hcs;
  hcs.verify_tls = cfg.outbox_verify_tls;
  io::http_client http{hcs};
  // Media: its own client, since documents may be 100 MB (the shared one caps bodies at 16 MB).
  io::http_client_settings media_http_settings = hcs;
  media_http_settings.body_limit = 110u << 20;
  io::http_client media_http{media_http_settings};
  media::media_settings media_cfg;
  media_cfg.data_dir = cfg.data_dir;
  // An optional so it can be finished while the actor system still runs (its callbacks send to
  // actors).
  std::optional<media::media_pipeline> media_pipeline;
  media_pipeline.emplace(media_http, media_cfg);
  caf::actor_system* system_ptr = nullptr;  // set once the actor system runs
  io::router routes{&metrics};
  io::health_deps health;
  health.metrics = &metrics;
  // In a cluster, ready also means joined: until then the node does not know who owns what.
  health.started = [&started, &cluster] { return started.load() && cluster.joined(); };
  health.check_database = [&pool](std::function<void(bool, std::string)> done) {
    pool.submit(
        [done](pqxx::connection& conn) {
          pqxx::nontransaction{conn}.exec("SELECT 1");
          done(true, {});
        },
        [done](const persistence::db_failure& why) {
          // The probe answers without authentication: the kind of failure, not the server's text.
          log::get("node")->warn("readiness: database {}", why.what());
          done(false, persistence::to_string(why.code));
        });
  };
  io::add_health_routes(routes, health);
  auto api = std::make_shared<io::api_context>();
  api->admin_token = cfg.admin_token;
  api->signing_key = signing_key;
  api->db = &pool;
  api->channels = &channels;
  api->origins = &origins;
  api->secrets = &*secrets;
  api->metrics = &metrics;
  api->token_ttl_s =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg.token_ttl).count());
  api->default_grace_s =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.key_rotation_grace).count();
  api->knowledge_changed = [&system_ptr](const std::string& tenant_id) {
    if (system_ptr)
      caf::anon_send(actors::lookup(*system_ptr, actors::tenants_name()), kb_changed_atom::value,
                     tenant_id);
  };
  api->tenant_changed = [&system_ptr](const std::string& tenant_id) {
    if (system_ptr)
      caf::anon_send(actors::lookup(*system_ptr, actors::tenants_name()), changed_atom::value,
                     tenant_id);
  };
  api->admit_api = [&system_ptr](const std::string& tenant_id, std::function<void(double)> done) {
    if (!system_ptr) return done(0);
    auto tenants = actors::lookup(*system_ptr, actors::tenants_name());
    // Bridge: Asio thread -> the tenant actor's token bucket -> callback (CAF guide §6).
    system_ptr->spawn([tenants, tenant_id, done](caf::event_based_actor* self) {
      self->request(tenants, std::chrono::seconds{2}, admit_atom::value, tenant_id)
          .then([done](double wait) { done(wait); },
                [done](caf::error&) { done(0); });  // limiter unreachable: fail open
    });
  };
  api->send_outbound = [&system_ptr](std::vector<persistence::outbound_item> items) {
    if (!system_ptr) return;
    std::vector<outbound_msg> out;
    for (auto& o : items) out.push_back(actors::to_outbound(std::move(o)));
    caf::anon_send(actors::lookup(*system_ptr, actors::outbox_name()), send_atom::value,
                   std::move(out));
  };
  api->cancel_outbound = [&system_ptr, &cluster](const std::string& conversation_id) {
    if (!system_ptr) return;
    caf::anon_send(actors::lookup(*system_ptr, actors::outbox_name()), cancel_atom::value,
                   conversation_id);
    if (cluster.enabled())  // the bubbles may wait in another node's outbox
      caf::anon_send(actors::lookup(*system_ptr, actors::tenants_name()), cancel_atom::value,
                     conversation_id);
  };
  io::add_admin_routes(routes, api);
  io::add_tenant_routes(routes, api);
  io::add_credential_routes(routes, api);
  io::add_audit_routes(routes, api);
  io::add_conversation_routes(routes, api);
  io::add_cors_preflight(routes, api);
  io::webhook_deps hooks;
  hooks.channels = &channels;
  hooks.inbox = &inbox;
  hooks.metrics = &metrics;
  hooks.accepting = [&started] { return started.load(); };
  hooks.dispatch = [&system_ptr](std::vector<persistence::stored_message>&& stored, int64_t acked) {
    auto tenants = actors::lookup(*system_ptr, actors::tenants_name());
    for (auto& s : stored) caf::anon_send(tenants, to_message(std::move(s), acked));
  };
  io::add_webhook_routes(routes, hooks);
  caf::actor root_handle;  // set once the tree runs; read by /v1/actors
  io::actor_deps actor_api;
  actor_api.tree = [&system_ptr,
                    &root_handle](std::function<void(bool, child_info, std::string)> done) {
    if (!system_ptr || !root_handle) return done(false, {}, "the node is starting");
    auto root = root_handle;
    // A short-lived bridge actor: Asio thread -> actor request -> callback (CAF guide §6).
    system_ptr->spawn([root, done](caf::event_based_actor* self) {
      self->request(root, std::chrono::seconds{5}, info_atom::value)
          .then([done](child_info& tree) { done(true, std::move(tree), {}); },
                [done, self](caf::error& err) { done(false, {}, self->system().render(err)); });
    });
  };
  io::add_actor_routes(routes, actor_api, api);
  io::add_cluster_routes(routes, cluster.routes(&system_ptr), api);
  if (cfg.admin_token.empty())
    log->warn("no admin token configured (PARLEY_ADMIN_TOKEN): the admin API refuses every call");

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
  seal_channel_secrets(pool, *secrets, *log);
  channels.load_all();
  load_origins(pool, origins);

  actors::services svc;
  svc.db = &pool;
  svc.replies = &replies;
  svc.sends = &sends;
  svc.http = &http;
  svc.metrics = &metrics;
  svc.secrets = &*secrets;
  svc.media = &*media_pipeline;
  svc.buffer_window = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.buffer_window);
  svc.conversation_idle =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.conversation_idle);
  svc.outbox.max_attempts = cfg.outbox_max_attempts;
  svc.outbox.retry_base =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.outbox_retry_base);
  svc.outbox.retry_max =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.outbox_retry_max);
  svc.outbox.send_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.outbox_send_timeout);
  svc.limit.max_active_conversations = cfg.max_active_conversations;
  svc.limit.tenant_max_in_flight = cfg.tenant_max_in_flight;
  svc.limit.conversation_max_queued = cfg.conversation_max_queued;
  svc.limit.tenant_idle = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.tenant_idle);
  svc.fault_injection = cfg.fault_injection;
  if (cfg.fault_injection)
    log->warn("parley.fault-injection is ON: turns containing #crash crash their conversation");

  int code = exit_ok;
  {
    caf::actor_system system{cfg};
    if (auto err = cluster.start(system); !err.empty()) {
      log->critical("cannot join the cluster: {}", err);
      server.stop(std::chrono::milliseconds{0});
      pool.stop();
      return exit_bind_failed;
    }
    cluster.fill(svc);
    supervision::supervisor_spec root;
    root.name = "node";
    auto placeholder = [](const char* kind) {
      return [kind](caf::actor_system& sys) { return actors::spawn_placeholder(sys, kind); };
    };
    // DESIGN.md's tree; placeholders stand where later issues fill in an agent.
    root.children = {
        {"store", supervision::restart_type::permanent, placeholder("store")},
        {"outbox", supervision::restart_type::permanent,
         [svc](caf::actor_system& sys) { return actors::spawn_outbox(sys, svc); }},
        {"llm", supervision::restart_type::permanent, placeholder("llm")},
        {"analytics", supervision::restart_type::permanent, placeholder("analytics")},
        {"cluster", supervision::restart_type::permanent,
         [svc](caf::actor_system& sys) { return actors::spawn_cluster_agent(sys, svc); }},
        {"federation", supervision::restart_type::permanent, placeholder("federation")},
        {"tenants", supervision::restart_type::permanent,
         [svc](caf::actor_system& sys) { return actors::spawn_tenants(sys, svc); }},
    };
    root.on_restart = [&metrics](const std::string& child) {
      metrics
          .get_counter("parley_actor_restarts_total", "Actors restarted after a crash, by kind.",
                       {{"kind", child}})
          .inc();
    };
    auto root_sup = supervision::spawn_supervisor(system, root);
    root_handle = root_sup;
    // The children register themselves; wait until they have.
    while (!actors::lookup(system, actors::tenants_name()) ||
           !actors::lookup(system, actors::outbox_name()))
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    system_ptr = &system;
    // In a cluster the tenants router recovers what this node owns once it has joined.
    if (!cluster.enabled()) recover(pool, system, *log);
    started = true;
    log->info("node {} ready", cfg.node);

    int sig = wait_for_stop_signal();
    log->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    auto drain = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_drain_timeout);
    server.stop(drain);
    started = false;
    inbox.stop();  // everything acknowledged is committed; new work is refused
    root_handle = nullptr;
    supervision::stop_and_wait(system, root_sup);
    cluster.stop(system);
    system.registry().erase(actors::tenants_name());
    system.registry().erase(actors::outbox_name());
    http.stop();
    media_http.stop();
    media_pipeline
        .reset();    // finishes queued media work; its callbacks reach dead actors harmlessly
    replies.stop();  // queued turns are committed (their conversations are gone: answered
    sends.stop();    // after a restart, from the inbox); the last send outcomes are written
    // Queued database jobs fail now, while the actors their callbacks name still have a system.
    pool.stop();
    system_ptr = nullptr;
  }
  pool.stop();  // idempotent
  log->info("node {} stopped", cfg.node);
  spdlog::shutdown();
  return code;
}

}  // namespace parley
