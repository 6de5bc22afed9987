// parley-bench's command line (CLI11). Runs on the main thread, before anything starts.
#include "bench/parley_bench/options.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <map>

namespace parley::bench {

const char* to_string(scenario s) {
  switch (s) {
    case scenario::ingest:
      return "ingest";
    case scenario::e2e:
      return "e2e";
    case scenario::burst:
      return "burst";
    case scenario::hot_tenant:
      return "hot-tenant";
    case scenario::duplicates:
      return "duplicates";
    case scenario::cluster:
      return "cluster";
  }
  return "?";
}

std::optional<target_address> parse_target(const std::string& url) {
  std::string_view rest = url;
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  if (rest.find("://") != std::string_view::npos) return std::nullopt;  // https: not needed
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  auto digits = rest.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return std::nullopt;
  target_address t;
  t.host = std::string{rest.substr(0, colon)};
  if (t.host == "localhost") t.host = "127.0.0.1";
  t.port = static_cast<uint16_t>(port);
  t.url = "http://" + t.host + ":" + std::to_string(port);
  return t;
}

namespace {

const std::map<std::string, scenario>& scenarios_by_name() {
  static const std::map<std::string, scenario> names{
      {"ingest", scenario::ingest},         {"e2e", scenario::e2e},
      {"burst", scenario::burst},           {"hot-tenant", scenario::hot_tenant},
      {"duplicates", scenario::duplicates}, {"cluster", scenario::cluster}};
  return names;
}

// Their defaults depend on the scenario, so whether they were given must be known after parsing.
struct scenario_defaulted_options {
  CLI::Option* duplicate_ratio = nullptr;
  CLI::Option* hot_tenant_share = nullptr;
  CLI::Option* burst_size = nullptr;
  CLI::Option* drain_timeout = nullptr;
};

void add_target_options(CLI::App& app, bench_options& o, std::vector<std::string>& targets) {
  app.add_option("--target", targets,
                 "parleyd base URL; repeat or comma-separate for a cluster (webhooks are spread "
                 "over the nodes, admin calls go to the first)")
      ->delimiter(',')
      ->default_str("http://127.0.0.1:8080");
  app.add_option("--admin-token", o.admin_token, "platform admin token")
      ->envname("PARLEY_ADMIN_TOKEN");
}

void add_load_options(CLI::App& app, bench_options& o, std::string& scenario_name) {
  app.add_option("--scenario", scenario_name,
                 "ingest (acks only), e2e (acks and replies), burst (several messages per "
                 "customer in a row), hot-tenant (skewed), duplicates (re-sent bodies), cluster "
                 "(several --target)")
      ->check(CLI::IsMember({"ingest", "e2e", "burst", "hot-tenant", "duplicates", "cluster"}))
      ->capture_default_str();
  app.add_option("--tenants", o.tenants, "tenants to create")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--customers", o.customers, "customers per tenant")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--connections", o.connections, "keep-alive connections (one request each)")
      ->check(CLI::Range(1, 20000))
      ->capture_default_str();
  app.add_option("--rate", o.rate,
                 "open loop at this many messages/s, latency from the intended send time; "
                 "0 = closed loop")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "measured seconds")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "seconds of load before measuring")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--messages-per-request", o.messages_per_request,
                 "messages batched in one webhook (one tenant)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

void add_traffic_shape_options(CLI::App& app, bench_options& o, scenario_defaulted_options& given) {
  given.duplicate_ratio = app.add_option("--duplicate-ratio", o.duplicate_ratio,
                                         "share of requests that re-send an earlier acked body "
                                         "(default 0.2 for --scenario duplicates, else 0)")
                              ->check(CLI::Range(0.0, 0.95));
  given.hot_tenant_share = app.add_option("--hot-tenant-share", o.hot_tenant_share,
                                          "share of traffic on tenant 0, 0..1 (default 0.8 for "
                                          "--scenario hot-tenant, else uniform)")
                               ->check(CLI::Range(0.0, 1.0));
  given.burst_size = app.add_option("--burst-size", o.burst_size,
                                    "messages in a row from one customer (default 4 for "
                                    "--scenario burst, else 1)")
                         ->check(CLI::Range(1, 1000));
}

void add_measurement_options(CLI::App& app, bench_options& o, scenario_defaulted_options& given) {
  app.add_flag("--statuses", o.statuses,
               "after each accepted send, post a signed 'sent' status webhook (with the send's "
               "biz_opaque_callback_data) to the first target that takes it, as Meta does");
  app.add_flag("--baseline", o.baseline,
               "also run the same load against the built-in baseline server (HTTP + HMAC + "
               "parse, no database, no actors) and report parley/baseline");
  app.add_option("--baseline-threads", o.baseline_threads, "baseline server threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--report", o.report_file, "write the JSON report here instead of stdout");
  given.drain_timeout = app.add_option("--drain-timeout", o.drain_timeout_s,
                                       "after the load, seconds to wait for outstanding replies "
                                       "(default 10; ingest: 0, replies not checked)")
                            ->check(CLI::Range(0.0, 3600.0));
  app.add_flag("--allow-merge", o.allow_merge,
               "parleyd runs with a buffer window: a message answered together with a later one "
               "of the same customer is not lost");
  app.add_option("--request-timeout", o.request_timeout_s, "seconds before a webhook times out")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
}

void add_runtime_options(CLI::App& app, bench_options& o) {
  app.add_option("--threads", o.threads, "load-driver threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--graph-threads", o.graph_threads, "fake Graph API threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--kb-articles", o.kb_articles,
                 "generated articles per tenant on top of the built-in knowledge base (they change "
                 "the responder's confidence, and so escalations)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "random seed of the traffic")->capture_default_str();
  app.add_flag("--quiet", o.quiet, "no progress on stderr");
  app.add_option("--database", o.database_url,
                 "the node's PostgreSQL database as a superuser: the report gains what the "
                 "database did (statements, commits, top statements, sequential scans)");
}

// False after printing why; the caller then makes main exit with 2.
bool validate_targets_and_token(std::vector<std::string> targets, bench_options& o) {
  if (targets.empty()) targets.push_back("http://127.0.0.1:8080");
  for (const auto& t : targets) {
    auto parsed = parse_target(t);
    if (!parsed) {
      std::cerr << "parley-bench: --target " << t << " is not http://host:port\n";
      return false;
    }
    o.targets.push_back(*parsed);
  }
  if (o.admin_token.empty()) {
    std::cerr << "parley-bench: --admin-token (or PARLEY_ADMIN_TOKEN) is required\n";
    return false;
  }
  return true;
}

void apply_scenario_defaults(bench_options& o, const std::string& scenario_name,
                             const scenario_defaulted_options& given) {
  o.kind = scenarios_by_name().at(scenario_name);
  if (given.duplicate_ratio->count() == 0 && o.kind == scenario::duplicates)
    o.duplicate_ratio = 0.2;
  if (given.hot_tenant_share->count() == 0 && o.kind == scenario::hot_tenant)
    o.hot_tenant_share = 0.8;
  if (given.burst_size->count() == 0 && o.kind == scenario::burst) o.burst_size = 4;
  // Ingest measures acknowledgements only: waiting for replies would only lengthen the run.
  if (given.drain_timeout->count() == 0 && o.kind == scenario::ingest) o.drain_timeout_s = 0;
  o.check_replies = !(o.kind == scenario::ingest && given.drain_timeout->count() == 0);
  if (o.kind == scenario::cluster && o.targets.size() < 2 && !o.quiet)
    std::cerr << "parley-bench: --scenario cluster with one --target: running it as e2e\n";
}

}  // namespace

std::optional<bench_options> parse_options(int argc, char** argv, int& exit_code) {
  bench_options o;
  std::vector<std::string> targets;
  std::string scenario_name = "e2e";
  CLI::App app{
      "parley-bench: load generator for parleyd. Sets up its own tenants, channels and knowledge "
      "through the admin API, answers the node's replies with a built-in fake Graph API, and "
      "prints a JSON report (ack and end-to-end latency, throughput, errors, lost and duplicated "
      "replies)."};
  scenario_defaulted_options given;
  // Declaration order is the order of --help.
  add_target_options(app, o, targets);
  add_load_options(app, o, scenario_name);
  add_traffic_shape_options(app, o, given);
  add_measurement_options(app, o, given);
  add_runtime_options(app, o);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }

  if (!validate_targets_and_token(std::move(targets), o)) {
    exit_code = 2;
    return std::nullopt;
  }
  apply_scenario_defaults(o, scenario_name, given);
  exit_code = 0;
  return o;
}

}  // namespace parley::bench
