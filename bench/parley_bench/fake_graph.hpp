#pragma once
// The benchmark's WhatsApp Cloud API: an in-process parley::edge::http_server on 127.0.0.1, port
// 0, where the benchmark's channels point their api_base_url. It answers every send with 200
// and a fresh wamid, as Meta does, and reports each reply's arrival to the current run's ledger
// (matched by context.message_id).
//
// Runs on its own server threads (1-2); attach() and the counters may be used from any thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::edge {
class http_server;
}

namespace parley::bench {

class message_ledger;
class status_sender;

struct graph_counters {
  uint64_t calls = 0;         ///< every request received
  uint64_t sends = 0;         ///< POST .../messages with a text body
  uint64_t no_context = 0;    ///< sends without context.message_id (later bubbles, other kinds)
  uint64_t bad_requests = 0;  ///< not a POST .../messages with JSON
};

class fake_graph {
 public:
  explicit fake_graph(int threads = 1);
  ~fake_graph();
  fake_graph(const fake_graph&) = delete;
  fake_graph& operator=(const fake_graph&) = delete;

  [[nodiscard]] std::string base_url() const;
  /// Replies from now on are reported to `ledger` (nullptr: counted only).
  void attach(message_ledger* ledger) { ledger_.store(ledger); }
  /// From now on every accepted send is reported to `statuses` (a "sent" status webhook, as
  /// Meta sends); nullptr: none. `statuses` must outlive this fake.
  void send_statuses(status_sender* statuses) { statuses_.store(statuses); }
  [[nodiscard]] graph_counters counters() const;
  /// Requests received so far, for "has the node gone quiet" checks.
  [[nodiscard]] uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }
  void stop();

 private:
  std::atomic<message_ledger*> ledger_{nullptr};
  std::atomic<status_sender*> statuses_{nullptr};
  std::atomic<uint64_t> calls_{0}, sends_{0}, no_context_{0}, bad_{0}, next_id_{0};
  std::unique_ptr<edge::http_server> server_;
  uint16_t port_ = 0;
};

}  // namespace parley::bench
