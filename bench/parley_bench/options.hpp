#pragma once
// parley-bench's settings: what the command line asks for, with the scenario's defaults filled
// in. Parsed once on the main thread, then read-only (every thread may read it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::bench {

enum class scenario { ingest, e2e, burst, hot_tenant, duplicates, cluster };

[[nodiscard]] const char* to_string(scenario s);

struct target_address {
  std::string url;  ///< as given, e.g. http://127.0.0.1:8080
  std::string host;
  uint16_t port = 0;
};

struct bench_options {
  std::vector<target_address> targets;  ///< webhooks are spread over these; admin calls go to [0]
  std::string admin_token;
  scenario kind = scenario::e2e;
  int tenants = 10;
  int customers = 100;  ///< per tenant
  int connections = 32;
  double rate = 0;  ///< messages/s; 0 = closed loop
  double duration_s = 10;
  double warmup_s = 2;
  int messages_per_request = 1;
  double duplicate_ratio = 0;   ///< share of requests that re-send an earlier, acked body
  double hot_tenant_share = 0;  ///< share of traffic on tenant 0 (0 = uniform)
  int burst_size = 1;           ///< consecutive messages from one customer
  bool baseline = false;
  bool statuses = false;     ///< the fake Graph API sends a "sent" status webhook per send
  int baseline_threads = 1;  ///< like parleyd's default [http] threads
  std::string report_file;   ///< empty: stdout
  double drain_timeout_s = 10;
  bool check_replies = true;  ///< false for ingest unless --drain-timeout is given
  bool allow_merge = false;   ///< a burst may be answered once (parleyd's buffer window > 0)
  double request_timeout_s = 30;
  int threads = 1;        ///< load-driver threads
  int graph_threads = 1;  ///< fake Graph API threads
  int kb_articles = 0;    ///< extra generated articles per tenant on top of the base KB
  uint64_t seed = 1;
  bool quiet = false;
  /// The node's database as a role that may read and reset its statistics (superuser): adds
  /// the report's "database" section. Empty: no section.
  std::string database_url;

  [[nodiscard]] bool open_loop() const { return rate > 0; }
};

/// Parses argv. Returns the options, or nullopt after printing help or an error; `exit_code`
/// is then what main should return (0 for --help).
std::optional<bench_options> parse_options(int argc, char** argv, int& exit_code);

/// "http://host:port" (or "host:port") to an address; nullopt when it is not one.
std::optional<target_address> parse_target(const std::string& url);

}  // namespace parley::bench
