#pragma once
// One conversation (tenant, channel, customer) as an actor: feeds conversation_logic and
// carries out what it decides. Spawned on demand by its tenant actor, which it asks to be
// passivated when idle. Its state lives in PostgreSQL; a new instance reloads it, including
// messages acknowledged but not yet answered.
#include <caf/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/services.hpp"
#include "messages/conversation.hpp"
#include "messages/tenant.hpp"

namespace parley::actors {

/// What a conversation created a moment ago starts from, instead of reading PostgreSQL: no
/// history, no lockout, no earlier unanswered message; the tenant's handoff settings.
struct new_conversation {
  std::string handoff_message;
  int handoff_hours = 24;
};

/// `poison`: inbound ids that crashed earlier instances too often; they are dead-lettered with
/// `poison_error` instead of being answered. `fresh`: set when the conversation was created by
/// the intake batch of the message that starts this actor.
conversation_actor spawn_conversation(caf::actor_system& sys, services svc, tenant_actor tenant,
                                      std::string tenant_id, std::string conversation_id,
                                      std::vector<int64_t> poison = {},
                                      std::string poison_error = {},
                                      std::optional<new_conversation> fresh = std::nullopt);

}  // namespace parley::actors
