#pragma once
// GET and POST /webhooks/whatsapp/{channel_id}: Meta's verification handshake, and
// notifications: signature over the raw bytes, parse, durable group-committed intake, then the
// 200 and the hand-off of new messages to the actors.
#include <cstdint>
#include <functional>
#include <vector>

#include "persistence/inbox_writer.hpp"

namespace parley::channels {
class channel_directory;
}
namespace parley::common {
class metrics_registry;
}

namespace parley::edge {

class router;

struct webhook_deps {
  channels::channel_directory* channels = nullptr;
  persistence::inbox_writer* inbox = nullptr;
  common::metrics_registry* metrics = nullptr;
  /// False until the node has started (recovery done): notifications get 503 meanwhile.
  std::function<bool()> accepting;
  /// Hands newly stored messages to the actors (called after the commit, any thread).
  std::function<void(std::vector<persistence::stored_message>&&, int64_t acked_ms)> dispatch;
};

void add_webhook_routes(router& r, webhook_deps deps);

}  // namespace parley::edge
