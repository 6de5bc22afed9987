// Micro benchmark: the group-commit inbox writer against a real PostgreSQL (only with
// PARLEY_BENCH_DATABASE_URL; skipped otherwise). `in_flight:1`: one webhook at a time, each
// waiting for its own commit (the latency floor of an acknowledgement). `in_flight:64`: 64
// webhooks submitted at once, as under load, so they share commits. The writer runs on its own
// thread; the benchmark thread submits and waits.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <string>

#include "bench/parley_bench/payload.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/inbox_writer.hpp"
#include "persistence/migrations.hpp"
#include "persistence/migrator.hpp"

namespace {

struct target {
  std::string url;
  std::string tenant_id;
  std::string channel_id;
};

// Migrates the database and creates a fresh tenant and channel; empty url when not configured.
target prepare(std::string& error) {
  target t;
  const char* url = std::getenv("PARLEY_BENCH_DATABASE_URL");
  if (!url || !*url) {
    error = "PARLEY_BENCH_DATABASE_URL is not set";
    return t;
  }
  try {
    pqxx::connection conn{url};
    parley::persistence::migrate(conn, parley::persistence::embedded_migrations());
    parley::persistence::tenant_settings settings;
    settings.name = "micro-bench";
    auto tenant = parley::persistence::create_tenant(conn, settings);
    parley::persistence::channel_row ch;
    ch.tenant_id = tenant.id;
    std::mt19937_64 rng{std::random_device{}()};
    ch.phone_number_id = "2" + std::to_string(rng() % 100000000000000ULL);
    ch.app_secret = "micro-bench-secret";
    ch.verify_token = "micro-bench-verify";
    ch.access_token = "micro-bench-access";
    auto created = parley::persistence::create_channel(conn, ch);
    if (!created) {
      error = "could not create a channel";
      return t;
    }
    t = target{url, tenant.id, created->id};
  } catch (const std::exception& e) {
    error = e.what();
  }
  return t;
}

parley::persistence::ingest_request make_request(const target& t, uint64_t n) {
  parley::persistence::ingest_request r;
  r.tenant_id = t.tenant_id;
  r.channel_id = t.channel_id;
  parley::bench::webhook_message m;
  m.from = std::to_string(5491100000000ULL + n % 1000);
  m.name = "Lucía Fernández";
  m.wamid = "wamid.micro" + std::to_string(std::random_device{}()) + "." + std::to_string(n);
  m.text = "¿Cuánto tarda el envío?";
  m.timestamp = static_cast<int64_t>(std::time(nullptr));
  r.raw_body = parley::bench::text_webhook("106540352242922", {m});
  r.messages.push_back(parley::persistence::inbound_item{
      m.wamid, m.from, m.name, "text", m.text, r.raw_body, m.timestamp, {}});
  return r;
}

void BM_inbox_writer(benchmark::State& state) {
  std::string error;
  auto t = prepare(error);
  if (t.url.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto in_flight = static_cast<int>(state.range(0));
  parley::persistence::inbox_writer writer{parley::persistence::inbox_settings{t.url}};
  std::mutex mtx;
  std::condition_variable cv;
  int outstanding = 0;
  std::atomic<uint64_t> failures{0};
  uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();  // building the requests is not the writer's work
    std::vector<parley::persistence::ingest_request> batch;
    for (int i = 0; i < in_flight; ++i) batch.push_back(make_request(t, n++));
    state.ResumeTiming();
    {
      std::lock_guard<std::mutex> guard{mtx};
      outstanding = in_flight;
    }
    for (auto& r : batch)
      writer.submit(std::move(r), [&](parley::persistence::ingest_result res) {
        if (!res.ok) failures.fetch_add(1);
        std::lock_guard<std::mutex> guard{mtx};
        if (--outstanding == 0) cv.notify_one();
      });
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return outstanding == 0; });
  }
  writer.stop();
  if (failures.load()) state.SkipWithError("some requests were not stored");
  auto stats = writer.stats();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * in_flight);
  state.counters["msgs_per_commit"] =
      stats.commits ? static_cast<double>(stats.messages) / static_cast<double>(stats.commits) : 0;
}

}  // namespace

BENCHMARK(BM_inbox_writer)->ArgName("in_flight")->Arg(1)->Arg(64)->UseRealTime();
