#pragma once
// The tenant's escalation agent: scores every customer turn (escalation_scorer, pure) and,
// when a conversation is handed to a person, notifies the tenant: a signed JSON POST to its
// notify_url (X-Parley-Signature: sha256=HMAC(notify_secret, body)), retried with backoff.
// Spawned and restarted by its tenant actor.
#include <caf/fwd.hpp>
#include <string>

#include "actors/services.hpp"
#include "messages/escalation.hpp"

namespace parley::actors {

escalation_actor spawn_escalation(caf::actor_system& sys, services svc, std::string tenant_id);

}  // namespace parley::actors
