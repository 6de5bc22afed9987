// Micro benchmark: the embedded responder (BM25F knowledge_index::respond) over the shop's
// knowledge base plus 1,000 generated articles, with customer questions in Spanish and English.
// Google Benchmark's thread.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "logic/responder/knowledge_index.hpp"
#include "bench/parley_bench/knowledge_base.hpp"

namespace {

void BM_responder_answer(benchmark::State& state) {
  parley::logic::responder::knowledge_index index;
  int64_t id = 0;
  auto add = [&](const parley::bench::kb_item& k) {
    index.add(parley::logic::responder::kb_entry{++id, k.title, k.content, k.faq});
  };
  for (const auto& k : parley::bench::shop_knowledge()) add(k);
  for (const auto& k : parley::bench::generated_articles(static_cast<std::size_t>(state.range(0))))
    add(k);
  std::vector<std::string> questions = parley::bench::customer_messages();
  questions.push_back("¿Qué tallas tiene la chaqueta 1234?");
  questions.push_back("Is the hoodie model 1500 made of cotton?");
  questions.push_back("¿Cómo lavo la sudadera de lana 1042?");
  std::size_t i = 0;
  for (auto _ : state) {
    auto a = index.respond(questions[i++ % questions.size()]);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["articles"] = static_cast<double>(index.size());
}

}  // namespace

BENCHMARK(BM_responder_answer)->ArgName("generated")->Arg(1000);
