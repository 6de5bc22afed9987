#pragma once
// One parley node, the composition root: owns every part (metrics, database pool, cluster
// membership, secrets, writers, HTTP clients, media pipeline, routes, HTTP server, actor system,
// the bridge between them), starts them in the order of its members and stops them from a
// stop stack, in reverse.
//
// Owned by run_node on parleyd's main thread, where start(), wait_for_stop_signal() and stop()
// run; the parts run their own threads (pool, writers, Asio, CAF scheduler).
#include <atomic>
#include <caf/actor_system.hpp>
#include <memory>
#include <optional>
#include <string>

#include "actors/media/media_pipeline.hpp"
#include "actors/services.hpp"
#include "apps/parleyd/actor_bridge.hpp"
#include "apps/parleyd/cluster_node.hpp"
#include "apps/parleyd/stop_stack.hpp"
#include "channels/channel_directory.hpp"
#include "common/metrics.hpp"
#include "common/security/secret_box.hpp"
#include "edge/http_client.hpp"
#include "edge/http_server.hpp"
#include "edge/origin_directory.hpp"
#include "edge/router.hpp"
#include "persistence/inbox_writer.hpp"
#include "persistence/pool.hpp"
#include "persistence/reply_writer.hpp"
#include "persistence/send_log.hpp"

namespace spdlog {
class logger;
}

namespace parley {

class node_config;

/// Exit codes of parleyd, for scripts and tests.
enum exit_code : int {
  exit_ok = 0,
  exit_bad_config = 2,
  exit_bind_failed = 3,
  exit_database_failed = 4,
};

class node {
 public:
  /// Loads the cluster middleman into `cfg` (when clustered) during start(), before the actor
  /// system is made from it, and writes back the HTTP port actually bound.
  explicit node(node_config& cfg);
  ~node();  ///< stop()
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Starts every part; exit_ok once the node is ready, else the exit code of the first part
  /// that failed (what had started is stopped by stop()).
  [[nodiscard]] int start();
  /// Blocks until SIGTERM or SIGINT (blocked in every thread by main).
  void wait_for_stop_signal();
  /// Stops what start() started, in reverse. Idempotent.
  void stop();

 private:
  void start_logging_and_metrics();
  void start_storage();
  [[nodiscard]] bool open_secrets();
  void start_services();
  void add_health_routes();
  void add_api_routes();
  [[nodiscard]] bool start_http();
  [[nodiscard]] bool prepare_database();
  [[nodiscard]] bool start_actors();
  void push_runtime_stops();
  void start_tree(const actors::services& svc);
  void open_intake();

  node_config& cfg_;
  std::shared_ptr<spdlog::logger> log_;
  stop_stack stops_;

  // The parts, in start order (destroyed in reverse, after stop()).
  common::metrics_registry metrics_;
  std::optional<persistence::db_pool> pool_;
  std::optional<cluster_node> cluster_;
  std::optional<common::security::secret_box> secrets_;
  std::string signing_key_;
  /// Readiness and webhook intake: true from ready until the node stops taking work.
  std::atomic<bool> accepting_{false};
  std::optional<channels::channel_directory> channels_;
  edge::origin_directory origins_;
  std::optional<persistence::inbox_writer> inbox_;
  std::optional<persistence::reply_writer> replies_;
  std::optional<persistence::send_log> sends_;
  std::optional<edge::http_client> http_;
  std::optional<edge::http_client> media_http_;
  std::optional<media::media_pipeline> media_;
  bridge_slot bridge_slot_;  ///< what the routes' actor hooks call; outlives the routes
  edge::router routes_{&metrics_};
  std::optional<edge::http_server> server_;
  std::optional<caf::actor_system> system_;
  std::optional<actor_bridge> bridge_;
};

/// Runs a node until SIGTERM or SIGINT; returns the process exit code.
int run_node(node_config& cfg);

}  // namespace parley
