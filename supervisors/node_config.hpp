#pragma once
// The node's configuration: cluster.conf (CAF's INI syntax, read by CAF's own loader), then
// the command line, then the PARLEY_* environment variables of DESIGN.md's contract.
//
// Built once in parleyd's main before the actor system; read-only afterwards.
#include <caf/actor_system_config.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace parley {

struct node_entry {
  std::string name;
  std::string host = "127.0.0.1";
  uint16_t cluster_port = 0;
  uint16_t http_port = 0;
};

class node_config : public caf::actor_system_config {
 public:
  node_config();

  // [parley]
  std::string config_file;  ///< --config / PARLEY_CONFIG; empty: built-in defaults only
  std::string node = "node1";
  std::string data_dir = "var/data";
  std::string admin_token;
  std::string admin_token_file;
  std::string master_key_file;
  std::vector<std::string> old_master_key_files;  ///< still opened, never used to seal
  caf::timespan token_ttl = std::chrono::minutes{15};
  caf::timespan key_rotation_grace = std::chrono::hours{24};
  std::string log_format = "json";
  std::string log_level = "info";
  // [database]
  std::string database_url = "postgresql://parley@127.0.0.1:5432/parley";
  std::string database_migration_url;  ///< owner role for migrations; empty: database_url
  std::size_t database_pool_size = 4;
  int database_connect_timeout_s = 2;
  int database_statement_timeout_ms = 10000;
  caf::timespan database_startup_timeout = std::chrono::seconds{30};
  // [http]
  std::string http_host;   ///< empty: the node entry's host
  uint16_t http_port = 0;  ///< 0: the node entry's http-port
  std::size_t http_body_limit = 3 * 1024 * 1024;
  int http_threads = 1;
  caf::timespan http_read_timeout = std::chrono::seconds{10};
  caf::timespan http_idle_timeout = std::chrono::seconds{60};
  caf::timespan http_drain_timeout = std::chrono::seconds{10};
  // [conversation]
  caf::timespan buffer_window = std::chrono::seconds{2};
  caf::timespan conversation_idle = std::chrono::minutes{10};
  // [outbox]
  int outbox_max_attempts = 5;
  caf::timespan outbox_retry_base = std::chrono::milliseconds{500};
  caf::timespan outbox_retry_max = std::chrono::seconds{30};
  caf::timespan outbox_send_timeout = std::chrono::seconds{10};
  caf::timespan outbox_uncertain_wait = std::chrono::seconds{12};
  bool outbox_verify_tls = true;
  // [limits]
  std::size_t max_active_conversations = 100000;
  std::size_t tenant_max_in_flight = 2000;
  std::size_t conversation_max_queued = 200;
  caf::timespan tenant_idle = std::chrono::minutes{30};
  bool fault_injection = false;  ///< [parley] test-only: "#crash" in a turn throws
  // [cluster]
  std::map<std::string, node_entry> nodes;  ///< from cluster.nodes; default: one local node
  caf::timespan cluster_heartbeat = std::chrono::milliseconds{100};
  caf::timespan cluster_failure_timeout = std::chrono::seconds{1};
  caf::timespan cluster_lease_ttl = std::chrono::milliseconds{1500};
  bool cluster_tls = false;
  std::string cluster_tls_certificate;  ///< "{node}" is replaced by the node's name
  std::string cluster_tls_key;
  std::string cluster_tls_ca_file;
  std::string cluster_tls_passphrase;

  /// More than one node: tenants are placed by lease, work is forwarded between nodes.
  [[nodiscard]] bool clustered() const { return nodes.size() > 1; }

  /// Every option this config knows, for --help.
  [[nodiscard]] const caf::config_option_set& options() const { return custom_options_; }

  /// This node's entry (after load()).
  [[nodiscard]] const node_entry& self() const;
  [[nodiscard]] std::string http_base_url() const;
};

/// Loads the configuration from argv (`--config FILE`, `--node NAME` and any CAF option),
/// the file and the environment. Returns a human-readable error, or empty on success.
/// Sets `cfg.cli_helptext_printed` when --help was asked for.
[[nodiscard]] std::string load(node_config& cfg, int argc, char** argv);

/// Same, with the environment given explicitly (for tests).
[[nodiscard]] std::string load(node_config& cfg, std::vector<std::string> args,
                               const std::map<std::string, std::string>& env);

}  // namespace parley
