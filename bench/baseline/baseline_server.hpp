#pragma once
// The baseline for parley-bench: the least a webhook endpoint must do, on parley's own HTTP
// server (edge::http_server, so the HTTP stack is identical): find the channel from the path,
// check X-Hub-Signature-256 (common::verify_signature), parse the body with simdjson
// (channels::whatsapp::parse_webhook) and answer 200 like parleyd does, without a database, actors or
// replies. parleyd's throughput as a fraction of this one's is the cost of durability and
// processing.
//
// Owned by parley-bench's main thread; requests are handled on the server's own threads (the
// channel table is read-only once built).
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace parley::edge {
class http_server;
}

namespace parley::bench {

struct baseline_channel {
  std::string app_secret;
  std::string phone_number_id;
};

class baseline_server {
 public:
  /// Channels by channel id (the {channel_id} of /webhooks/whatsapp/{channel_id}).
  baseline_server(std::unordered_map<std::string, baseline_channel> channels, int threads = 1);
  ~baseline_server();
  baseline_server(const baseline_server&) = delete;
  baseline_server& operator=(const baseline_server&) = delete;

  /// Binds 127.0.0.1 on a free port, starts serving; returns the port.
  uint16_t start();
  void stop();

 private:
  std::unordered_map<std::string, baseline_channel> channels_;
  std::unique_ptr<edge::http_server> server_;
};

}  // namespace parley::bench
