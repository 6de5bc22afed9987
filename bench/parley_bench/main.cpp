// parley-bench: load generator and benchmark harness for parleyd. The main thread sets up,
// runs the load (the baseline first when asked, then parley) and writes the report; the work
// happens on the load driver's, the fake Graph API's and the baseline server's threads.
//
// Exit codes: 0 the run completed (read the report for errors, lost and duplicated replies),
// 2 bad command line, 3 the target is not ready or the setup through the admin API failed.
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <unordered_map>

#include "bench/baseline/baseline_server.hpp"
#include "bench/parley_bench/admin_setup.hpp"
#include "bench/parley_bench/db_probe.hpp"
#include "bench/parley_bench/fake_graph.hpp"
#include "bench/parley_bench/ledger.hpp"
#include "bench/parley_bench/options.hpp"
#include "bench/parley_bench/report.hpp"
#include "bench/parley_bench/run.hpp"
#include "bench/parley_bench/status_sender.hpp"

using namespace parley::bench;

namespace {

run_result run_baseline(const bench_options& o, const std::vector<tenant_channel>& tenants,
                        message_ledger& ledger) {
  std::unordered_map<std::string, baseline_channel> channels;
  for (const auto& t : tenants) channels[t.channel_id] = {t.app_secret, t.phone_number_id};
  baseline_server server{std::move(channels), o.baseline_threads};
  auto port = server.start();
  auto target = parse_target("http://127.0.0.1:" + std::to_string(port));
  run_request req{"baseline", {*target}, &tenants, false, {}, {}};
  auto result = run_load(o, req, ledger);
  server.stop();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto parsed = parse_options(argc, argv, exit_code);
  if (!parsed) return exit_code;
  const auto& o = *parsed;
  std::signal(SIGPIPE, SIG_IGN);

  auto tag = static_cast<uint32_t>(std::random_device{}());
  // The ledgers outlive the fake Graph API, whose threads report to them.
  message_ledger parley_ledger{tag};
  message_ledger baseline_ledger{tag ^ 0x5A5A5A5Au};
  std::optional<status_sender> statuses;  // outlives the fake Graph API that reports to it
  fake_graph graph{o.graph_threads};
  std::vector<tenant_channel> tenants;
  try {
    for (const auto& t : o.targets) wait_ready(t.url, 30);
    setup_request setup;
    setup.admin_url = o.targets.front().url;
    setup.admin_token = o.admin_token;
    setup.graph_base_url = graph.base_url();
    setup.tenants = o.tenants;
    setup.extra_articles = o.kb_articles;
    setup.seed = o.seed;
    if (!o.quiet) std::cerr << "parley-bench: creating " << o.tenants << " tenants\n";
    tenants = create_tenants(setup);
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: setup failed: " << e.what() << "\n";
    return 3;
  }

  // The baseline goes first: the node is idle then, whereas after an ingest run it keeps
  // answering its backlog for a while and would share the machine with the baseline.
  std::optional<run_result> baseline;
  if (o.baseline) baseline = run_baseline(o, tenants, baseline_ledger);
  graph.attach(&parley_ledger);
  if (o.statuses) {
    std::vector<std::string> urls;
    for (const auto& t : o.targets) urls.push_back(t.url);
    statuses.emplace(std::move(urls), tenants);
    graph.send_statuses(&*statuses);
  }
  std::vector<run_result> runs;
  run_request parley_run{"parley", o.targets, &tenants, true, o.targets.front().url, o.admin_token};
  std::optional<db_probe> probe;
  if (!o.database_url.empty()) {
    probe.emplace(o.database_url);
    probe->start();
  }
  runs.push_back(run_load(o, parley_run, parley_ledger));
  if (probe) runs.back().db = probe->finish();
  if (baseline) runs.push_back(std::move(*baseline));
  graph.stop();
  if (statuses && !o.quiet)
    std::cerr << "parley-bench: status webhooks posted " << statuses->posted() << ", lost "
              << statuses->lost() << "\n";

  auto json = report_json(o, runs);
  if (o.report_file.empty()) {
    std::cout << json << std::endl;
  } else {
    std::ofstream out{o.report_file};
    out << json << "\n";
    if (!out) {
      std::cerr << "parley-bench: cannot write " << o.report_file << "\n";
      std::cout << json << std::endl;
    }
  }
  return 0;
}
