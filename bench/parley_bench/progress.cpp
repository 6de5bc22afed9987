// The progress thread (see progress.hpp).
#include "bench/parley_bench/progress.hpp"

#include <cstdio>

#include "bench/parley_bench/ledger.hpp"
#include "bench/parley_bench/run_metrics.hpp"

namespace parley::bench {

progress_printer::progress_printer(std::string label, const run_metrics& m,
                                   const message_ledger& ledger, run_phases phases, bool replies,
                                   bool enabled)
    : label_(std::move(label)), m_(m), ledger_(ledger), phases_(phases), replies_(replies) {
  if (enabled) thread_ = std::thread([this] { run(); });
}

progress_printer::~progress_printer() {
  stop();
}

void progress_printer::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void progress_printer::run() {
  auto last_ack = m_.ack_all.snapshot();
  uint64_t last_msgs = m_.messages_acked.load(), last_replies = ledger_.replies();
  auto last_t = ledger_.now_ns();
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    next += std::chrono::seconds{1};
    {
      std::unique_lock<std::mutex> guard{mtx_};
      if (cv_.wait_until(guard, next, [this] { return stopping_; })) return;
    }
    auto now = ledger_.now_ns();
    auto ack = m_.ack_all.snapshot();
    auto interval = ack.since(last_ack);
    auto msgs = m_.messages_acked.load();
    auto replies = ledger_.replies();
    double secs = static_cast<double>(now - last_t) / 1e9;
    const char* phase = now < phases_.measure_begin_ns ? "warmup"
                        : now < phases_.measure_end_ns ? "measure"
                                                       : "drain";
    char answered[96] = "";
    if (replies_)
      std::snprintf(answered, sizeof answered, " | replies %7.0f/s (answered %llu/%llu)",
                    static_cast<double>(replies - last_replies) / secs,
                    static_cast<unsigned long long>(ledger_.answered()),
                    static_cast<unsigned long long>(ledger_.expected()));
    std::fprintf(stderr,
                 "%-8s %6.1fs %-7s | acked %7.0f msg/s | ack p50 %7.2f ms p99 %8.2f ms%s | "
                 "errors %llu\n",
                 label_.c_str(), static_cast<double>(now - phases_.start_ns) / 1e9, phase,
                 static_cast<double>(msgs - last_msgs) / secs,
                 static_cast<double>(interval.percentile_ns(0.5)) / 1e6,
                 static_cast<double>(interval.percentile_ns(0.99)) / 1e6, answered,
                 static_cast<unsigned long long>(m_.errors.load()));
    last_ack = std::move(ack);
    last_msgs = msgs;
    last_replies = replies;
    last_t = now;
  }
}

}  // namespace parley::bench
