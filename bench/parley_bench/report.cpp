// The JSON report (see report.hpp). Main thread.
#include "bench/parley_bench/report.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/json_writer.hpp"

#ifndef PARLEY_SOURCE_DIR
#define PARLEY_SOURCE_DIR "."
#endif

namespace parley::bench {

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void number(common::json_writer& w, std::string_view key, double v, int decimals = 3) {
  w.key(key).raw(fixed(v, decimals));
}

void count(common::json_writer& w, std::string_view key, uint64_t v) {
  w.field(key, v);
}

double ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

void latency(common::json_writer& w, std::string_view key, const histogram_snapshot& h) {
  w.key(key).begin_object();
  count(w, "count", h.count);
  number(w, "min", ms(h.min_ns));
  number(w, "mean", h.mean_ns() / 1e6);
  number(w, "p50", ms(h.percentile_ns(0.50)));
  number(w, "p90", ms(h.percentile_ns(0.90)));
  number(w, "p99", ms(h.percentile_ns(0.99)));
  number(w, "p999", ms(h.percentile_ns(0.999)));
  number(w, "max", ms(h.max_ns));
  if (h.clamped) count(w, "above_60s", h.clamped);
  w.end_object();
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void settings(common::json_writer& w, const bench_options& o) {
  w.key("settings").begin_object();
  w.field("scenario", to_string(o.kind));
  w.key("targets").begin_array();
  for (const auto& t : o.targets) w.value(t.url);
  w.end_array();
  w.field("mode", o.open_loop() ? "open" : "closed");
  w.field("tenants", o.tenants).field("customers_per_tenant", o.customers);
  w.field("connections", o.connections);
  number(w, "rate_msgs_per_s", o.rate, 1);
  number(w, "duration_s", o.duration_s, 1);
  number(w, "warmup_s", o.warmup_s, 1);
  w.field("messages_per_request", o.messages_per_request);
  number(w, "duplicate_ratio", o.duplicate_ratio, 3);
  number(w, "hot_tenant_share", o.hot_tenant_share, 3);
  w.field("burst_size", o.burst_size);
  number(w, "drain_timeout_s", o.drain_timeout_s, 1);
  w.field("allow_merge", o.allow_merge);
  number(w, "request_timeout_s", o.request_timeout_s, 1);
  w.field("threads", o.threads).field("graph_threads", o.graph_threads);
  w.field("kb_articles_extra", o.kb_articles);
  w.field("baseline", o.baseline).field("baseline_threads", o.baseline_threads);
  w.field("seed", o.seed);
  w.end_object();
}

// What PostgreSQL did for the run (--database): statements and commits per acknowledged
// message and per reply, the costliest statements, the tables read by sequential scans.
void database_json(common::json_writer& w, const run_result& r) {
  const auto& d = r.db;
  if (!d.measured && d.error.empty()) return;
  w.key("database").begin_object();
  if (!d.measured) {
    w.field("error", d.error).end_object();
    return;
  }
  count(w, "statements", d.statements);
  count(w, "commits", d.commits);
  auto per = [](uint64_t n, uint64_t of) { return of ? static_cast<double>(n) / of : 0.0; };
  uint64_t replies = r.replies_checked ? r.replies.answered : r.replies_received;
  number(w, "statements_per_message", per(d.statements, r.messages_stored), 2);
  number(w, "commits_per_message", per(d.commits, r.messages_stored), 3);
  number(w, "statements_per_reply", per(d.statements, replies), 2);
  number(w, "commits_per_reply", per(d.commits, replies), 3);
  w.key("top_statements").begin_array();
  for (const auto& t : d.top) {
    w.begin_object().field("query", t.query);
    count(w, "calls", t.calls);
    number(w, "total_ms", t.total_ms, 1);
    number(w, "mean_ms", t.mean_ms, 3);
    count(w, "rows", t.rows);
    w.end_object();
  }
  w.end_array();
  w.key("sequential_scans").begin_array();
  for (const auto& t : d.scans) {
    w.begin_object().field("table", t.table);
    count(w, "scans", t.seq_scan);
    count(w, "rows_read", t.seq_tup_read);
    count(w, "index_scans", t.idx_scan);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void run_json(common::json_writer& w, const bench_options& o, const run_result& r) {
  w.key(r.server).begin_object();
  w.key("targets").begin_array();
  for (const auto& t : r.targets) w.value(t);
  w.end_array();
  w.field("mode", r.open_loop ? "open" : "closed");
  number(w, "window_s", r.window_s, 3);
  w.field("connect_failures", r.connect_failures);

  w.key("requests").begin_object();
  count(w, "sent", r.requests_sent);
  count(w, "acked", r.requests_acked);
  count(w, "resent", r.resent_requests);
  count(w, "resent_acked", r.resent_acked);
  count(w, "reconnects", r.reconnects);
  count(w, "stale_retries", r.stale_retries);
  w.end_object();

  w.key("messages").begin_object();
  count(w, "sent", r.messages_sent);
  count(w, "acked", r.messages_acked);
  count(w, "stored", r.messages_stored);
  count(w, "duplicates", r.messages_duplicate);
  count(w, "dedup_failures", r.dedup_failures);
  count(w, "unexpected_duplicates", r.unexpected_duplicates);
  w.end_object();

  w.key("throughput").begin_object();
  number(w, "acked_msgs_per_s", r.acked_msgs_per_s, 1);
  number(w, "acked_requests_per_s", r.acked_requests_per_s, 1);
  number(w, "offered_msgs_per_s", r.offered_msgs_per_s, 1);
  w.end_object();

  if (r.open_loop) {
    w.key("open_loop").begin_object();
    number(w, "target_msgs_per_s", o.rate, 1);
    count(w, "unsent", r.unsent);
    count(w, "max_backlog", r.max_backlog);
    w.end_object();
  }
  latency(w, "ack_latency_ms", r.ack);
  if (r.open_loop) latency(w, "service_time_ms", r.service);

  w.key("errors").begin_object();
  count(w, "total", r.errors);
  w.key("by_kind").begin_object();
  for (const auto& [kind, n] : r.error_kinds) count(w, kind, n);
  w.end_object().end_object();

  w.key("replies").begin_object();
  w.field("checked", r.replies_checked);
  count(w, "received", r.replies_received);
  count(w, "unknown", r.unknown_replies);
  count(w, "misrouted", r.misrouted);
  if (r.replies_checked) {
    const auto& a = r.replies;
    count(w, "expected", a.expected);
    count(w, "answered", a.answered);
    count(w, "lost", a.lost);
    count(w, "handed_off", a.handed_off);
    count(w, "handed_off_conversations", a.handed_off_conversations);
    count(w, "duplicated", a.duplicated);
    count(w, "extra_replies", a.extra_replies);
    count(w, "merged", a.merged);
    count(w, "out_of_order", a.out_of_order);
    count(w, "unacked_replies", a.unacked_replies);
    number(w, "drain_s", r.drain_s, 3);
  }
  w.end_object();
  if (r.replies_checked)
    latency(w, "e2e_latency_ms", r.replies.e2e);
  else
    w.key("e2e_latency_ms").null();
  database_json(w, r);
  w.end_object();
}

double ratio(double a, double b) {
  return b > 0 ? a / b : 0;
}

// stdout of a shell command, trimmed; "" when it fails.
std::string run_quiet(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {};
  std::array<char, 256> buf{};
  std::string out;
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  if (::pclose(p) != 0) return {};
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

machine_info probe_machine() {
  machine_info m;
  m.nproc = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpu{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos)
      m.cpu_model = line.substr(line.find_first_not_of(' ', colon + 1));
    break;
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  utsname u{};
  if (::uname(&u) == 0) m.kernel = std::string{u.sysname} + " " + u.release;
  return m;
}

std::string git_commit() {
  if (const char* pinned = std::getenv("PARLEY_BENCH_COMMIT"); pinned && *pinned) return pinned;
  // Only when the source directory is itself the top of a repository: an exported tree inside
  // another checkout would otherwise report that checkout's commit.
  auto top = run_quiet("git -C '" + std::string{PARLEY_SOURCE_DIR} +
                       "' rev-parse --show-toplevel 2>/dev/null");
  std::error_code ec;
  if (top.empty() || !std::filesystem::equivalent(top, PARLEY_SOURCE_DIR, ec)) return {};
  return run_quiet("git -C '" + std::string{PARLEY_SOURCE_DIR} +
                   "' rev-parse --short HEAD 2>/dev/null");
}

std::string report_json(const bench_options& o, const std::vector<run_result>& runs) {
  common::json_writer w;
  w.begin_object().field("tool", "parley-bench").field("report_version", 1);
  w.field("date", utc_now());
  auto m = probe_machine();
  w.key("machine").begin_object().field("nproc", m.nproc).field("cpu_model", m.cpu_model);
  w.field("hostname", m.hostname).field("kernel", m.kernel).end_object();
  auto commit = git_commit();
  if (commit.empty())
    w.key("git_commit").null();
  else
    w.field("git_commit", commit);
  settings(w, o);
  w.key("results").begin_object();
  const run_result* parley = nullptr;
  const run_result* baseline = nullptr;
  for (const auto& r : runs) {
    run_json(w, o, r);
    (r.server == "baseline" ? baseline : parley) = &r;
  }
  if (parley && baseline) {
    w.key("parley_vs_baseline").begin_object();
    number(w, "throughput_ratio", ratio(parley->acked_msgs_per_s, baseline->acked_msgs_per_s), 4);
    number(w, "ack_p50_ratio",
           ratio(static_cast<double>(parley->ack.percentile_ns(0.5)),
                 static_cast<double>(baseline->ack.percentile_ns(0.5))),
           3);
    number(w, "ack_p99_ratio",
           ratio(static_cast<double>(parley->ack.percentile_ns(0.99)),
                 static_cast<double>(baseline->ack.percentile_ns(0.99))),
           3);
    w.end_object();
  }
  w.end_object().end_object();
  return w.take();
}

}  // namespace parley::bench
