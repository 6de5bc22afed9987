#pragma once
// One run of the load against one server (parleyd, a cluster, or the baseline): connect, warm
// up, measure, stop, wait for the replies still due, and sum it all up. Blocking; called from
// the main thread, which it leaves only to sleep while the driver's threads work.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/parley_bench/db_probe.hpp"
#include "bench/parley_bench/histogram.hpp"
#include "bench/parley_bench/ledger.hpp"
#include "bench/parley_bench/options.hpp"
#include "bench/parley_bench/payload.hpp"

namespace parley::bench {

struct run_result {
  std::string server;  ///< "parley" or "baseline"
  std::vector<std::string> targets;
  bool open_loop = false;
  double window_s = 0;  ///< measured seconds
  int connect_failures = 0;

  uint64_t requests_sent = 0, requests_acked = 0;
  uint64_t messages_sent = 0, messages_acked = 0, messages_stored = 0, messages_duplicate = 0;
  uint64_t resent_requests = 0, resent_acked = 0, dedup_failures = 0, unexpected_duplicates = 0;
  uint64_t reconnects = 0;
  uint64_t stale_retries = 0;
  double acked_msgs_per_s = 0;
  double acked_requests_per_s = 0;
  double offered_msgs_per_s = 0;  ///< messages sent per second of load (warm-up included)
  uint64_t unsent = 0;            ///< open loop: given up, the target fell behind
  uint64_t max_backlog = 0;
  histogram_snapshot ack;      ///< intended send -> 200
  histogram_snapshot service;  ///< actual send -> 200

  uint64_t errors = 0;
  std::map<std::string, uint64_t> error_kinds;

  bool replies_checked = false;   ///< e2e accounting was done (not for ingest or the baseline)
  double drain_s = 0;             ///< spent waiting for outstanding replies
  accounting replies;             ///< lost, duplicated, e2e latency...
  uint64_t replies_received = 0;  ///< at the fake Graph API, matched or not
  uint64_t unknown_replies = 0;   ///< context.message_id not one of this run's messages
  uint64_t misrouted = 0;         ///< reply `to` is not the message's sender

  db_usage db;  ///< what PostgreSQL did for the run (--database), filled in by main
};

struct run_request {
  std::string server;
  std::vector<target_address> targets;
  const std::vector<tenant_channel>* tenants = nullptr;
  bool expect_replies = true;  ///< false against the baseline (it never answers customers)
  std::string admin_url;       ///< to ask which conversations a person took over
  std::string admin_token;
};

/// `ledger` must be new for this run (and attached to the fake Graph API when replies count).
run_result run_load(const bench_options& o, const run_request& req, message_ledger& ledger);

}  // namespace parley::bench
