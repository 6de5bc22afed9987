#include "supervisors/node_config.hpp"

#include <caf/config_option.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string_view>

extern char** environ;

namespace parley {

namespace {

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv{*e};
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("PARLEY_", 0) == 0)
      env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

// Accepts "--config FILE", "--config=FILE", "-c FILE" and the same for --node; removes them
// from args because CAF's parser only knows --parley.node style names for our options.
std::string take_option(std::vector<std::string>& args, const std::string& long_name,
                        const std::string& short_name) {
  std::string value;
  for (auto i = args.begin(); i != args.end();) {
    if ((*i == long_name || (!short_name.empty() && *i == short_name)) && i + 1 != args.end()) {
      value = *(i + 1);
      i = args.erase(i, i + 2);
    } else if (i->rfind(long_name + "=", 0) == 0) {
      value = i->substr(long_name.size() + 1);
      i = args.erase(i);
    } else {
      ++i;
    }
  }
  return value;
}

bool parse_port(const std::string& s, uint16_t& out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

std::string read_nodes(node_config& cfg) {
  cfg.nodes.clear();
  auto nodes = caf::get_if<caf::settings>(&cfg.content, "cluster.nodes");
  if (nodes) {
    for (const auto& [name, value] : *nodes) {
      auto entry = caf::get_if<caf::settings>(&value);
      if (!entry) return "cluster.nodes." + name + " must be a map {host=..., http-port=...}";
      node_entry n;
      n.name = name;
      n.host = caf::get_or(*entry, "host", std::string{"127.0.0.1"});
      auto cport = caf::get_or(*entry, "cluster-port", int64_t{0});
      auto hport = caf::get_or(*entry, "http-port", int64_t{0});
      if (cport < 0 || cport > 65535 || hport < 0 || hport > 65535)
        return "cluster.nodes." + name + ": ports must be between 0 and 65535";
      n.cluster_port = static_cast<uint16_t>(cport);
      n.http_port = static_cast<uint16_t>(hport);
      cfg.nodes.emplace(name, std::move(n));
    }
  }
  if (cfg.nodes.empty()) cfg.nodes.emplace("node1", node_entry{"node1", "127.0.0.1", 4101, 8080});
  return {};
}

// CAF's loader accepts unknown keys and drops values of the wrong type without a word; for
// parley's own groups both are errors an operator must see.
std::string validate_own_groups(const node_config& cfg, const caf::settings& raw) {
  static const char* groups[] = {"parley", "database", "http",   "conversation",
                                 "outbox", "limits",   "cluster"};
  for (const char* group : groups) {
    auto section = caf::get_if<caf::settings>(&raw, group);
    if (!section) continue;
    for (const auto& [key, value] : *section) {
      if (std::string_view{group} == "cluster" && key == "nodes") continue;  // read_nodes()
      const caf::config_option* known = nullptr;
      for (const auto& opt : cfg.options())
        if (opt.category() == group && opt.long_name() == key) known = &opt;
      if (!known)
        return std::string{"unknown setting "} + group + "." + key + " (see parleyd --help)";
      if (auto err = known->check(value))
        return std::string{"invalid value for "} + group + "." + key + ": expected " +
               std::string(known->type_name().data(), known->type_name().size()) + ", got " +
               caf::to_string(value);
    }
  }
  return {};
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string substitute_node(std::string path, const std::string& node) {
  for (auto at = path.find("{node}"); at != std::string::npos; at = path.find("{node}", at))
    path.replace(at, 6, node);
  return path;
}

std::string validate_cluster(node_config& cfg) {
  using std::chrono::milliseconds;
  if (cfg.cluster_heartbeat < milliseconds{10})
    return "cluster.heartbeat-interval must be at least 10ms";
  if (cfg.cluster_failure_timeout < 2 * cfg.cluster_heartbeat)
    return "cluster.failure-timeout must be at least twice cluster.heartbeat-interval";
  if (cfg.cluster_lease_ttl < milliseconds{200}) return "cluster.lease-ttl must be at least 200ms";
  std::set<uint16_t> cluster_ports;
  for (const auto& [name, n] : cfg.nodes) {
    if (cfg.nodes.size() > 1 && n.cluster_port == 0)
      return "cluster.nodes." + name + ": cluster-port is required in a cluster";
    if (!cfg.cluster_tls && !is_loopback(n.host))
      return "cluster.nodes." + name + " (" + n.host +
             ") is not on loopback: cluster.tls=true is required between hosts";
  }
  if (cfg.cluster_tls) {
    cfg.cluster_tls_certificate = substitute_node(cfg.cluster_tls_certificate, cfg.node);
    cfg.cluster_tls_key = substitute_node(cfg.cluster_tls_key, cfg.node);
    cfg.cluster_tls_ca_file = substitute_node(cfg.cluster_tls_ca_file, cfg.node);
    for (const auto* f :
         {&cfg.cluster_tls_certificate, &cfg.cluster_tls_key, &cfg.cluster_tls_ca_file}) {
      if (f->empty()) return "cluster.tls=true needs tls-certificate, tls-key and tls-ca-file";
      if (!std::ifstream{*f}) return "cannot read cluster TLS file " + *f;
    }
  }
  return {};
}

}  // namespace

node_config::node_config() {
  opt_group{custom_options_, "parley"}
      .add(node, "node", "which node of cluster.nodes this process is (PARLEY_NODE)")
      .add(data_dir, "data-dir", "directory for media and other node-local files")
      .add(admin_token, "admin-token", "platform admin bearer token (PARLEY_ADMIN_TOKEN)")
      .add(admin_token_file, "admin-token-file", "file holding the admin token")
      .add(master_key_file, "master-key-file",
           "file with the secrets master key (PARLEY_MASTER_KEY_FILE)")
      .add(old_master_key_files, "old-master-key-files",
           "previous master keys, still opened during a rotation (secrets are re-sealed at start)")
      .add(token_ttl, "token-ttl", "lifetime of tenant access tokens")
      .add(key_rotation_grace, "key-rotation-grace", "how long rotated API keys stay valid")
      .add(log_format, "log-format", "'json' (default) or 'text'")
      .add(log_level, "log-level", "trace, debug, info, warn, error, critical or off")
      .add(fault_injection, "fault-injection",
           "TESTS ONLY: a customer turn containing #crash makes its conversation throw");
  opt_group{custom_options_, "database"}
      .add(database_url, "url", "libpq URI of PostgreSQL (PARLEY_DATABASE_URL)")
      .add(database_migration_url, "migration-url",
           "URI of the tables' owner, for migrations only (PARLEY_DATABASE_MIGRATION_URL); the "
           "node itself should connect as a role that owns nothing")
      .add(database_pool_size, "pool-size", "database connections (one thread each)")
      .add(database_connect_timeout_s, "connect-timeout", "seconds to wait for a connection")
      .add(database_statement_timeout_ms, "statement-timeout", "milliseconds per statement")
      .add(database_startup_timeout, "startup-timeout", "how long to retry migrations at start");
  opt_group{custom_options_, "http"}
      .add(http_host, "host", "listen address (default: the node's host)")
      .add(http_port, "port", "listen port (default: the node's http-port; PARLEY_HTTP_PORT)")
      .add(http_body_limit, "body-limit", "largest accepted request body in bytes")
      .add(http_threads, "threads", "Asio threads serving HTTP")
      .add(http_read_timeout, "read-timeout", "time allowed to send one request")
      .add(http_idle_timeout, "idle-timeout", "keep-alive connection idle limit")
      .add(http_drain_timeout, "drain-timeout", "how long shutdown waits for requests in flight");
  opt_group{custom_options_, "conversation"}
      .add(buffer_window, "buffer-window",
           "merge a burst within this window (PARLEY_BUFFER_WINDOW_MS)")
      .add(conversation_idle, "idle-timeout", "passivate after this (PARLEY_CONVERSATION_IDLE_MS)");
  opt_group{custom_options_, "limits"}
      .add(max_active_conversations, "max-active-conversations",
           "conversation actors per node; beyond, the least recently used are passivated")
      .add(tenant_max_in_flight, "tenant-max-in-flight",
           "messages a tenant's actors may hold before its intake pauses (the inbox keeps them)")
      .add(conversation_max_queued, "conversation-max-queued",
           "messages one conversation may hold before its tenant's intake pauses")
      .add(tenant_idle, "tenant-idle-timeout", "a tenant without conversations stops after this");
  opt_group{custom_options_, "outbox"}
      .add(outbox_max_attempts, "max-attempts", "send tries per bubble before it is a dead letter")
      .add(outbox_retry_base, "retry-base", "first retry delay (doubles, with jitter)")
      .add(outbox_retry_max, "retry-max", "longest retry delay")
      .add(outbox_send_timeout, "send-timeout", "one call to the channel API")
      .add(outbox_uncertain_wait, "uncertain-wait",
           "how long a bubble another process may have sent waits for its status webhook")
      .add(outbox_verify_tls, "verify-tls", "verify the channel API's TLS certificate");
  opt_group{custom_options_, "cluster"}
      .add(cluster_heartbeat, "heartbeat-interval", "heartbeats between nodes")
      .add(cluster_failure_timeout, "failure-timeout",
           "a node silent this long is down (a closed connection is noticed at once)")
      .add(cluster_lease_ttl, "lease-ttl",
           "tenant lease lifetime; renewed every fifth of it; bounds failover after a crash")
      .add(cluster_tls, "tls", "TLS between nodes (required when a node is not on loopback)")
      .add(cluster_tls_certificate, "tls-certificate", "this node's certificate; {node} = name")
      .add(cluster_tls_key, "tls-key", "its private key (PEM); {node} = name")
      .add(cluster_tls_ca_file, "tls-ca-file", "the cluster CA; peers need a certificate it signed")
      .add(cluster_tls_passphrase, "tls-passphrase", "of the private key, if any");
  // Two cores: the default of 4 work-stealing threads oversubscribes them (CAF guide §7).
  set("scheduler.max-threads", 2);
  // Work sharing: idle workers wait on a condition variable instead of polling with short
  // sleeps, which left less of the 2 cores to PostgreSQL (bench/RESULTS.md, +7% webhooks/s).
  set("scheduler.policy", caf::atom("sharing"));
  set("logger.verbosity", caf::atom("quiet"));
}

const node_entry& node_config::self() const {
  return nodes.at(node);
}

std::string node_config::http_base_url() const {
  auto host = http_host.empty() ? self().host : http_host;
  return "http://" + host + ":" + std::to_string(http_port);
}

std::string load(node_config& cfg, int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return load(cfg, std::move(args), process_env());
}

namespace {

using env_map = std::map<std::string, std::string>;

const std::string* env_get(const env_map& env, const std::string& k) {
  auto i = env.find(k);
  return i == env.end() || i->second.empty() ? nullptr : &i->second;
}

bool print_help_if_asked(node_config& cfg, const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a != "--help" && a != "-h" && a != "-?") continue;
    std::cout << "usage: parleyd [--config FILE] [--node NAME] [--group.key=value ...]\n\n"
                 "  --config FILE  cluster.conf to load (PARLEY_CONFIG)\n"
                 "  --node NAME    which node of the file this process is (PARLEY_NODE)\n\n"
                 "Every setting below can be given in the file's [group] or on the command\n"
                 "line as --group.key=value. Environment overrides: PARLEY_CONFIG, PARLEY_NODE,\n"
                 "PARLEY_DATABASE_URL, PARLEY_HTTP_PORT, PARLEY_ADMIN_TOKEN,\n"
                 "PARLEY_MASTER_KEY_FILE, PARLEY_BUFFER_WINDOW_MS, PARLEY_CONVERSATION_IDLE_MS.\n\n"
              << cfg.options().help_text(false);
    cfg.cli_helptext_printed = true;
    return true;
  }
  return false;
}

// The file's text, checked raw first: a raw read with no declared options keeps every key and
// value as written, so typos and mistyped values can be reported (CAF's typed read drops them
// silently).
std::string read_file(node_config& cfg, std::stringstream& ini) {
  if (cfg.config_file.empty()) return {};
  std::ifstream in{cfg.config_file};
  if (!in) return "cannot read config file " + cfg.config_file;
  ini << in.rdbuf();
  std::istringstream raw_in{ini.str()};
  caf::settings raw;
  if (auto err = caf::actor_system_config::parse_config(raw_in, caf::config_option_set{}, raw))
    return "cannot parse " + cfg.config_file + ": " + cfg.render(err);
  return validate_own_groups(cfg, raw);
}

std::string ms_env(const env_map& env, const char* name, caf::timespan& out) {
  if (auto v = env_get(env, name)) {
    char* end = nullptr;
    long long ms = std::strtoll(v->c_str(), &end, 10);
    if (*end != '\0' || ms < 0)
      return std::string{name} + " must be milliseconds, got '" + *v + "'";
    out = std::chrono::milliseconds{ms};
  }
  return {};
}

// The environment overrides the file (the command line's --node overrides both).
std::string apply_env(node_config& cfg, const env_map& env, const std::string& cli_node) {
  if (auto v = env_get(env, "PARLEY_NODE")) cfg.node = *v;
  if (!cli_node.empty()) cfg.node = cli_node;
  if (cfg.nodes.count(cfg.node) == 0) {
    std::string known;
    for (const auto& [name, n] : cfg.nodes) known += (known.empty() ? "" : ", ") + name;
    return "node '" + cfg.node + "' is not in cluster.nodes (known: " + known + ")";
  }
  if (auto v = env_get(env, "PARLEY_DATABASE_URL")) cfg.database_url = *v;
  if (auto v = env_get(env, "PARLEY_DATABASE_MIGRATION_URL")) cfg.database_migration_url = *v;
  if (auto v = env_get(env, "PARLEY_ADMIN_TOKEN")) cfg.admin_token = *v;
  if (auto v = env_get(env, "PARLEY_MASTER_KEY_FILE")) cfg.master_key_file = *v;
  if (auto v = env_get(env, "PARLEY_HTTP_PORT")) {
    if (!parse_port(*v, cfg.http_port))
      return "PARLEY_HTTP_PORT must be a port number, got '" + *v + "'";
  } else if (cfg.http_port == 0) {
    cfg.http_port = cfg.self().http_port;
  }
  if (auto e = ms_env(env, "PARLEY_BUFFER_WINDOW_MS", cfg.buffer_window); !e.empty()) return e;
  return ms_env(env, "PARLEY_CONVERSATION_IDLE_MS", cfg.conversation_idle);
}

std::string validate(node_config& cfg) {
  if (cfg.admin_token.empty() && !cfg.admin_token_file.empty()) {
    std::ifstream in{cfg.admin_token_file};
    if (!in) return "cannot read admin-token-file " + cfg.admin_token_file;
    std::getline(in, cfg.admin_token);
  }
  if (cfg.http_host.empty()) cfg.http_host = cfg.self().host;
  if (cfg.master_key_file.empty())
    return "parley.master-key-file (PARLEY_MASTER_KEY_FILE) is required: secrets are stored "
           "encrypted; create one with: (umask 077; head -c 32 /dev/urandom > master.key)";
  if (cfg.log_format != "json" && cfg.log_format != "text")
    return "parley.log-format must be 'json' or 'text'";
  if (cfg.database_pool_size == 0) return "database.pool-size must be at least 1";
  if (cfg.http_threads < 1) return "http.threads must be at least 1";
  if (cfg.outbox_max_attempts < 1) return "outbox.max-attempts must be at least 1";
  if (cfg.outbox_uncertain_wait <= cfg.outbox_send_timeout)
    return "outbox.uncertain-wait must be longer than outbox.send-timeout (a send another "
           "process started may still be answered until then)";
  return validate_cluster(cfg);
}

}  // namespace

std::string load(node_config& cfg, std::vector<std::string> args, const env_map& env) {
  if (print_help_if_asked(cfg, args)) return {};
  auto cli_config = take_option(args, "--config", "-c");
  auto cli_node = take_option(args, "--node", "");
  cfg.config_file = !cli_config.empty()             ? cli_config
                    : env_get(env, "PARLEY_CONFIG") ? *env_get(env, "PARLEY_CONFIG")
                                                    : std::string{};
  std::stringstream ini;
  if (auto e = read_file(cfg, ini); !e.empty()) return e;
  if (auto err = cfg.parse(std::move(args), ini))
    return "invalid configuration: " + cfg.render(err);
  if (cfg.cli_helptext_printed) return {};
  if (auto e = read_nodes(cfg); !e.empty()) return e;
  if (auto e = apply_env(cfg, env, cli_node); !e.empty()) return e;
  return validate(cfg);
}

}  // namespace parley
