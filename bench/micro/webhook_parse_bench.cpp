// Micro benchmark: parley::channels::whatsapp::parse_webhook on a one-message notification and on a
// 100-message batch (bodies as parley-bench sends them). Google Benchmark's thread.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/parley_bench/knowledge_base.hpp"
#include "bench/parley_bench/payload.hpp"
#include "channels/whatsapp.hpp"

namespace {

std::string notification(std::size_t messages) {
  const auto& texts = parley::bench::customer_messages();
  const auto& names = parley::bench::customer_names();
  std::vector<parley::bench::webhook_message> msgs;
  for (std::size_t i = 0; i < messages; ++i) {
    parley::bench::webhook_message m;
    m.from = std::to_string(5491100000000ULL + i % 37);
    m.name = names[i % names.size()];
    m.wamid = "wamid.HBgNNTQ5MTEwMDAwMDAwMBUCABIYFDNBNEE2NTk5QUVFMDM4MTAxNDRG" + std::to_string(i);
    m.text = texts[i % texts.size()];
    m.timestamp = 1749416383;
    msgs.push_back(std::move(m));
  }
  return parley::bench::text_webhook("106540352242922", msgs);
}

void BM_parse_webhook(benchmark::State& state) {
  auto messages = static_cast<std::size_t>(state.range(0));
  const auto body = notification(messages);
  for (auto _ : state) {
    auto parsed = parley::channels::whatsapp::parse_webhook(body);
    if (parsed.batch.messages.size() != messages) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * messages));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

}  // namespace

BENCHMARK(BM_parse_webhook)->ArgName("messages")->Arg(1)->Arg(100);
