#pragma once
// Live progress on stderr, once per second: phase, acknowledged messages/s, ack p50/p99 over the
// last second, replies/s, errors. Its own thread reads the run's atomic counters; constructed
// and stopped by the main thread.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "bench/parley_bench/load_driver.hpp"

namespace parley::bench {

class message_ledger;
struct run_metrics;

class progress_printer {
 public:
  /// Prints nothing when !enabled; `replies`: the run expects replies (not the baseline).
  progress_printer(std::string label, const run_metrics& m, const message_ledger& ledger,
                   run_phases phases, bool replies, bool enabled);
  ~progress_printer();
  progress_printer(const progress_printer&) = delete;
  progress_printer& operator=(const progress_printer&) = delete;

  void stop();

 private:
  void run();

  std::string label_;
  const run_metrics& m_;
  const message_ledger& ledger_;
  run_phases phases_;
  bool replies_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::bench
