#include "apps/parleyd/startup_tasks.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <pqxx/pqxx>
#include <thread>
#include <utility>

#include "apps/parleyd/actor_bridge.hpp"
#include "common/log.hpp"
#include "common/security/secret_box.hpp"
#include "edge/origin_directory.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/db_error.hpp"
#include "persistence/migrator.hpp"
#include "persistence/node_store.hpp"
#include "persistence/pool.hpp"
#include "supervisors/node_config.hpp"

namespace parley {

namespace {

using persistence::db_failure;

// One attempt; the owner's connection when one is configured (migrations need the owner role;
// the pool connects as the application role).
std::optional<db_failure> migrate_once(persistence::db_pool& pool, const node_config& cfg,
                                       spdlog::logger& log) {
  auto apply = [&log](pqxx::connection& conn) {
    auto report = persistence::migrate(conn, persistence::embedded_migrations());
    for (auto v : report.applied) log.info("applied migration {}", v);
    log.info("database schema at version {}", report.current);
  };
  if (!cfg.database_migration_url.empty()) {
    try {
      persistence::pool_settings owner;
      owner.url = cfg.database_migration_url;
      owner.connect_timeout_s = cfg.database_connect_timeout_s;
      pqxx::connection conn{persistence::connection_string(owner)};
      apply(conn);
      return std::nullopt;
    } catch (const pqxx::broken_connection& e) {
      return db_failure{persistence::db_errc::unavailable, e.what()};
    } catch (const std::exception& e) {
      return db_failure{persistence::db_errc::migration_failed, e.what()};
    }
  }
  std::promise<std::optional<db_failure>> done;
  auto result = done.get_future();
  pool.submit(
      [&done, &apply](pqxx::connection& conn) {
        apply(conn);
        done.set_value(std::nullopt);
      },
      [&done](const db_failure& why) { done.set_value(why); });
  return result.get();
}

// Runs `work` on the pool and waits for it; on a database failure runs `failed` instead.
void run_and_wait(persistence::db_pool& pool, std::function<void(pqxx::connection&)> work,
                  std::function<void(const db_failure&)> failed) {
  std::promise<void> done;
  pool.submit(
      [&](pqxx::connection& c) {
        work(c);
        done.set_value();
      },
      [&](const db_failure& why) {
        failed(why);
        done.set_value();
      });
  done.get_future().wait();
}

}  // namespace

std::string migrate_with_retry(persistence::db_pool& pool, const node_config& cfg,
                               spdlog::logger& log) {
  auto deadline = std::chrono::steady_clock::now() + cfg.database_startup_timeout;
  for (int attempt = 1;; ++attempt) {
    auto failure = migrate_once(pool, cfg, log);
    if (!failure) return {};
    // Only an unreachable server is waited for; a failing migration will not get better.
    bool unreachable = failure->code == persistence::db_errc::unavailable;
    if (!unreachable || std::chrono::steady_clock::now() >= deadline) return failure->what();
    if (attempt == 1) log.warn("database not reachable yet, retrying: {}", failure->what());
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
}

void register_node_row(persistence::db_pool& pool, const node_config& cfg) {
  pool.submit(
      [name = cfg.node, url = cfg.http_base_url()](pqxx::connection& conn) {
        persistence::register_node(conn, name, static_cast<int>(getpid()), url);
      },
      [](const db_failure& why) {
        common::log::get("persistence")->warn("cannot register node: {}", why.what());
      });
}

void seal_channel_secrets(persistence::db_pool& pool, const common::security::secret_box& box,
                          spdlog::logger& log) {
  auto work = [&](pqxx::connection& c) {
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
  };
  run_and_wait(pool, work, [&](const db_failure& why) {
    log.error("cannot seal channel secrets: {}", why.what());
  });
}

void load_origins(persistence::db_pool& pool, edge::origin_directory& origins) {
  run_and_wait(
      pool,
      [&](pqxx::connection& c) {
        for (auto& t : persistence::all_tenants(c, false, 1000000))
          origins.set(t.id, t.settings.allowed_origins);
      },
      [](const db_failure&) {});
}

void recover(persistence::db_pool& pool, actor_bridge& bridge, spdlog::logger& log) {
  auto work = [&](pqxx::connection& c) {
    auto inbound = persistence::unprocessed_inbound(c);
    auto outbound = persistence::pending_outbox(c);
    auto unanswered = inbound.size();
    auto unsent = outbound.size();
    // The unsent bubbles reach the outbox first, so the answers to the replayed messages
    // queue behind them (docs/delivery.md).
    if (unsent > 0) bridge.send_outbound(std::move(outbound));
    bridge.dispatch(std::move(inbound), 0);
    if (unanswered > 0 || unsent > 0)
      log.info("recovery: {} unanswered messages, {} unsent bubbles", unanswered, unsent);
  };
  run_and_wait(pool, work, [&](const db_failure& why) {
    log.error("recovery postponed, database unavailable: {}", why.what());
  });
}

}  // namespace parley
