#pragma once
// One conversation (tenant, channel, customer) as an actor: feeds conversation_logic and
// carries out what it decides. Spawned on demand by its tenant actor, which it asks to be
// passivated when idle. Its state lives in PostgreSQL; a new instance reloads it, including
// messages acknowledged but not yet answered.
#include <caf/fwd.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/services.hpp"

namespace parley::actors {

/// `poison`: inbound ids that crashed earlier instances too often; they are dead-lettered with
/// `poison_error` instead of being answered.
caf::actor spawn_conversation(caf::actor_system& sys, services svc, caf::actor tenant,
                              std::string tenant_id, std::string conversation_id,
                              std::vector<int64_t> poison = {}, std::string poison_error = {});

}  // namespace parley::actors
