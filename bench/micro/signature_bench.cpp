// Micro benchmark: the webhook signature check (HMAC-SHA256 over the raw body, constant-time
// compare) on 1 KB and 100 KB bodies. Google Benchmark's thread.
#include <benchmark/benchmark.h>

#include <string>

#include "common/signature.hpp"

namespace {

void BM_signature_check(benchmark::State& state) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  std::string body(static_cast<std::size_t>(state.range(0)), 'x');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  const auto header = parley::common::sign_body(secret, body);
  for (auto _ : state) {
    bool ok = parley::common::verify_signature(secret, body, header);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(BM_signature_check)->Arg(1024)->Arg(100 * 1024);
