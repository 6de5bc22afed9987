// One benchmark run, phase by phase (see run.hpp). Main thread.
#include "bench/parley_bench/run.hpp"

#include <thread>

#include "bench/parley_bench/admin_setup.hpp"
#include "bench/parley_bench/load_driver.hpp"
#include "bench/parley_bench/progress.hpp"
#include "bench/parley_bench/run_metrics.hpp"

namespace parley::bench {

namespace {

int64_t seconds_ns(double s) {
  return static_cast<int64_t>(s * 1e9);
}

void sleep_until(const message_ledger& ledger, int64_t ns) {
  std::this_thread::sleep_until(ledger.at(ns));
}

// Waits for the replies still due. With --allow-merge some never come (their turn was answered
// through a later message), so there it also ends once replies stop arriving for a second.
double drain(const bench_options& o, const message_ledger& ledger) {
  auto begin = ledger.now_ns();
  auto deadline = begin + seconds_ns(o.drain_timeout_s);
  auto last_replies = ledger.replies();
  auto last_change = begin;
  bool complete = false;
  while (ledger.now_ns() < deadline) {
    if (ledger.answered() >= ledger.expected()) {
      complete = true;
      break;
    }
    auto now = ledger.now_ns();
    if (ledger.replies() != last_replies) {
      last_replies = ledger.replies();
      last_change = now;
    } else if (o.allow_merge && now - last_change > seconds_ns(1)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  auto spent = static_cast<double>(ledger.now_ns() - begin) / 1e9;
  // A second reply to the same message would come right after the first: give it a moment.
  if (complete) std::this_thread::sleep_for(std::chrono::milliseconds{300});
  return spent;
}

}  // namespace

run_result run_load(const bench_options& o, const run_request& req, message_ledger& ledger) {
  run_metrics m;
  load_plan plan;
  plan.targets = req.targets;
  plan.connections = o.connections;
  plan.threads = std::min(o.threads, o.connections);
  plan.rate = o.rate;
  plan.messages_per_request = o.messages_per_request;
  plan.request_timeout = std::chrono::milliseconds{static_cast<int64_t>(o.request_timeout_s * 1e3)};
  plan.seed = o.seed;
  traffic_settings traffic;
  traffic.tenants = static_cast<int>(req.tenants->size());
  traffic.customers = o.customers;
  traffic.messages_per_request = o.messages_per_request;
  traffic.burst_size = o.burst_size;
  traffic.duplicate_ratio = o.duplicate_ratio;
  traffic.hot_tenant_share = o.hot_tenant_share;

  run_result r;
  r.server = req.server;
  for (const auto& t : req.targets) r.targets.push_back(t.url);
  r.open_loop = o.open_loop();
  {
    load_driver driver{plan, *req.tenants, traffic, ledger, m};
    r.connect_failures = driver.connect();
    run_phases ph;
    ph.start_ns = ledger.now_ns() + seconds_ns(0.05);
    ph.measure_begin_ns = ph.start_ns + seconds_ns(o.warmup_s);
    ph.measure_end_ns = ph.measure_begin_ns + seconds_ns(o.duration_s);
    progress_printer progress{req.server, m, ledger, ph, req.expect_replies, !o.quiet};
    driver.begin(ph);
    sleep_until(ledger, ph.measure_end_ns);
    driver.finish(std::chrono::seconds{5});
    r.window_s = static_cast<double>(ph.measure_end_ns - ph.measure_begin_ns) / 1e9;
    r.offered_msgs_per_s = static_cast<double>(m.messages_sent.load()) /
                           (static_cast<double>(ph.measure_end_ns - ph.start_ns) / 1e9);
    r.replies_checked = req.expect_replies && o.check_replies;
    if (r.replies_checked) r.drain_s = drain(o, ledger);
    progress.stop();
    if (r.replies_checked) {
      // Unanswered messages: were their conversations handed to a person (silent by design)?
      std::unordered_set<uint64_t> taken_over;
      if (ledger.answered() < ledger.expected() && !req.admin_url.empty())
        taken_over = handed_off_customers(req.admin_url, req.admin_token, *req.tenants);
      r.replies = ledger.account(ph.measure_begin_ns, ph.measure_end_ns, o.allow_merge, taken_over);
    }
  }
  r.requests_sent = m.requests_sent;
  r.requests_acked = m.requests_acked;
  r.messages_sent = m.messages_sent;
  r.messages_acked = m.messages_acked;
  r.messages_stored = m.messages_stored;
  r.messages_duplicate = m.messages_duplicate;
  r.resent_requests = m.resent_requests;
  r.resent_acked = m.resent_acked;
  r.dedup_failures = m.dedup_failures;
  r.unexpected_duplicates = m.unexpected_duplicates;
  r.reconnects = m.reconnects;
  r.stale_retries = m.stale_retries;
  r.acked_msgs_per_s = static_cast<double>(m.window_messages_acked.load()) / r.window_s;
  r.acked_requests_per_s = static_cast<double>(m.window_requests_acked.load()) / r.window_s;
  r.unsent = m.unsent;
  r.max_backlog = m.max_backlog;
  r.ack = m.ack.snapshot();
  r.service = m.service.snapshot();
  r.errors = m.errors;
  r.error_kinds = m.error_kinds();
  r.replies_received = ledger.replies();
  r.unknown_replies = ledger.unknown_replies();
  r.misrouted = ledger.misrouted();
  return r;
}

}  // namespace parley::bench
