#pragma once
// What the node's actors share: owned by parleyd's main, created before the actor system and
// destroyed after it, so actors hold plain pointers.
#include <caf/fwd.hpp>
#include <chrono>
#include <string>

namespace parley::persistence {
class db_pool;
}
namespace parley::io {
class http_client;
class metrics_registry;
}  // namespace parley::io

namespace parley::actors {

struct outbox_settings {
  int max_attempts = 5;                       ///< sends per bubble before it is a dead letter
  std::chrono::milliseconds retry_base{500};  ///< first backoff; doubles, with jitter
  std::chrono::milliseconds retry_max{30000};
  std::chrono::milliseconds send_timeout{10000};
  std::size_t max_in_flight = 256;  ///< concurrent sends over all conversations
};

struct services {
  persistence::db_pool* db = nullptr;
  io::http_client* http = nullptr;
  io::metrics_registry* metrics = nullptr;
  std::chrono::milliseconds buffer_window{2000};
  std::chrono::milliseconds conversation_idle{600000};
  std::size_t context_size = 20;
  outbox_settings outbox;
};

/// The registry names under which the node's well-known actors are found (they may restart,
/// so siblings look them up instead of keeping a handle).
caf::atom_value outbox_name();
caf::atom_value tenants_name();

/// The outbox: sends stored bubbles in order per conversation, retries, dead-letters.
caf::actor spawn_outbox(caf::actor_system& sys, services svc);
/// The tenants router: spawns tenant subtrees on demand and forwards inbound messages.
caf::actor spawn_tenants(caf::actor_system& sys, services svc);

/// Current handle of a registered actor (invalid when it is not running).
caf::actor lookup(caf::actor_system& sys, caf::atom_value name);

}  // namespace parley::actors
