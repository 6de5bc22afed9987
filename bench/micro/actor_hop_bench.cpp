// Micro benchmark: one CAF request/response hop between two local event-based actors (the
// cost of every actor boundary on a message's path). The actor system lives inside the
// benchmark function (never in a static: CAF-0.17-GUIDE §8); the benchmark thread only starts
// a batch of sequential hops and waits for it.
#include <benchmark/benchmark.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace {

using hop_atom = caf::atom_constant<caf::atom("hop")>;
using batch_atom = caf::atom_constant<caf::atom("batch")>;

constexpr int64_t hops_per_batch = 1000;

// Where the client tells the benchmark thread that a batch is done.
struct batch_done {
  std::mutex mtx;
  std::condition_variable cv;
  int64_t finished = 0;
};

caf::behavior echo(caf::event_based_actor*) {
  return {[](hop_atom, int64_t x) { return x + 1; }};
}

void hop(caf::event_based_actor* self, const caf::actor& server, int64_t left,
         const std::shared_ptr<batch_done>& done) {
  if (left == 0) {
    std::lock_guard<std::mutex> guard{done->mtx};
    ++done->finished;
    done->cv.notify_one();
    return;
  }
  self->request(server, caf::infinite, hop_atom::value, left).then([=](int64_t) {
    hop(self, server, left - 1, done);
  });
}

caf::behavior client(caf::event_based_actor* self, caf::actor server,
                     std::shared_ptr<batch_done> done) {
  return {[=](batch_atom) { hop(self, server, hops_per_batch, done); }};
}

void BM_actor_hop(benchmark::State& state) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);  // as parleyd: 2 cores (CAF guide §7)
  auto done = std::make_shared<batch_done>();
  {
    caf::actor_system sys{cfg};
    auto server = sys.spawn(echo);
    auto cl = sys.spawn(client, server, done);
    int64_t batches = 0;
    for (auto _ : state) {
      caf::anon_send(cl, batch_atom::value);
      ++batches;
      std::unique_lock<std::mutex> guard{done->mtx};
      done->cv.wait(guard, [&] { return done->finished == batches; });
    }
    caf::anon_send_exit(cl, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  }  // ~actor_system waits for both actors
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * hops_per_batch);
  state.counters["per_hop"] = benchmark::Counter(
      static_cast<double>(hops_per_batch),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_actor_hop)->UseRealTime();
