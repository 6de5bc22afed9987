#pragma once
// Announces every message type under one name, on every node (CAF guide §2): a type that is
// not registered on both sides crosses the wire as an empty message.
namespace caf {
class actor_system_config;
}

namespace parley {

void register_messages(caf::actor_system_config& cfg);

}  // namespace parley
