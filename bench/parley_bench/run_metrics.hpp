#pragma once
// What the load driver measures during one run: counters and latency histograms shared by the
// driver threads (writers), the progress thread and the main thread (readers). Everything is
// atomic; error kinds, which are rare, sit behind a mutex.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "bench/parley_bench/histogram.hpp"

namespace parley::bench {

struct run_metrics {
  latency_histogram ack_all;  ///< every acknowledged request, warm-up included (progress)
  latency_histogram ack;      ///< intended send -> 200, requests meant for the window
  latency_histogram service;  ///< actual send -> 200, same requests (differs in open loop)

  std::atomic<uint64_t> requests_sent{0}, requests_acked{0}, messages_sent{0}, messages_acked{0};
  std::atomic<uint64_t> messages_stored{0}, messages_duplicate{0};
  std::atomic<uint64_t> window_requests_acked{0}, window_messages_acked{0};
  std::atomic<uint64_t> resent_requests{0}, resent_acked{0};
  /// A re-sent body stored again (parley's deduplication failed).
  std::atomic<uint64_t> dedup_failures{0};
  /// A fresh message reported as duplicate.
  std::atomic<uint64_t> unexpected_duplicates{0};
  std::atomic<uint64_t> errors{0};
  /// Open loop: requests due but never sent (the target fell too far behind).
  std::atomic<uint64_t> unsent{0};
  std::atomic<uint64_t> max_backlog{0};  ///< open loop: most requests waiting for a connection
  std::atomic<uint64_t> reconnects{0};
  /// Requests sent again because the server had closed the idle keep-alive connection.
  std::atomic<uint64_t> stale_retries{0};

  void error(const std::string& kind) {
    errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> guard{mtx_};
    ++kinds_[kind];
  }
  [[nodiscard]] std::map<std::string, uint64_t> error_kinds() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return kinds_;
  }
  void note_backlog(uint64_t n) {
    auto seen = max_backlog.load(std::memory_order_relaxed);
    while (n > seen && !max_backlog.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
  }

 private:
  mutable std::mutex mtx_;
  std::map<std::string, uint64_t> kinds_;
};

}  // namespace parley::bench
