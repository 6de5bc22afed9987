#pragma once
// Drives signed webhooks at one or more servers over keep-alive HTTP/1.1 connections, each with
// one request in flight: closed loop (every connection sends again as soon as it is answered)
// or open loop (requests are due at a fixed rate; one that finds no free connection waits, and
// its latency still counts from when it was due, so a slow server cannot hide its queueing).
//
// The driver owns `threads` shards, each an io_context on its own thread with its share of the
// connections, its own payload generator and its share of the rate; shards share nothing but the
// ledger and the run metrics (both thread-safe). The public functions are called from the main
// thread. Beast/Asio stay in load_driver.cpp.
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/parley_bench/options.hpp"
#include "bench/parley_bench/payload.hpp"

namespace parley::bench {

class message_ledger;
struct run_metrics;

struct load_plan {
  std::vector<target_address> targets;  ///< connection i goes to targets[i % size]
  int connections = 1;
  int threads = 1;
  double rate = 0;  ///< messages/s; 0 = closed loop
  int messages_per_request = 1;
  std::chrono::milliseconds request_timeout{30000};
  uint64_t seed = 1;
};

/// Ledger times (ns): sending starts at start, is measured in [measure_begin, measure_end), and
/// no new request is meant after measure_end.
struct run_phases {
  int64_t start_ns = 0;
  int64_t measure_begin_ns = 0;
  int64_t measure_end_ns = 0;
};

class load_driver {
 public:
  load_driver(load_plan plan, const std::vector<tenant_channel>& tenants, traffic_settings traffic,
              message_ledger& ledger, run_metrics& metrics);
  ~load_driver();
  load_driver(const load_driver&) = delete;
  load_driver& operator=(const load_driver&) = delete;

  /// Opens every connection and waits for the outcome; returns how many could not connect
  /// (they retry when used).
  int connect();
  void begin(run_phases phases);
  /// Waits until every request meant for the run was answered or failed. Requests still waiting
  /// for a connection `grace` after measure_end are given up (counted as unsent).
  void finish(std::chrono::milliseconds grace);

  struct shard;

 private:
  load_plan plan_;  // the shards refer to it
  std::vector<std::unique_ptr<shard>> shards_;
};

}  // namespace parley::bench
