#pragma once
// The outbox: sends stored bubbles in order per conversation, retries, dead-letters. One per
// node, a child of the root supervisor; siblings find it in the registry (it may restart).
#include <caf/fwd.hpp>

#include "actors/services.hpp"
#include "messages/outbox.hpp"

namespace parley::actors {

/// Registered under outbox_name() before it returns. `restarted`: it replaces one that crashed,
/// and reads the bubbles that one held (pending in the database) again.
outbox_actor spawn_outbox(caf::actor_system& sys, services svc, bool restarted = false);

/// The running outbox (invalid while none runs).
outbox_actor find_outbox(caf::actor_system& sys);

}  // namespace parley::actors
