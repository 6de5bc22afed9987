#pragma once
// tenant/{id}: one tenant's subtree. Spawned on demand by the tenants router; supervises the
// tenant's agents (support, escalation, media: restarted when they crash) and its conversations
// (spawned on demand, passivated when idle or evicted, restarted from PostgreSQL when they
// crash; a message that crashes its conversation `poison_strikes` times is dead-lettered).
// Backpressure: when its actors hold too many messages it stops forwarding; the messages stay
// in the inbox table and are replayed from there once the actors catch up.
#include <caf/fwd.hpp>
#include <string>

#include "actors/services.hpp"
#include "messages/tenant.hpp"
#include "messages/tenants.hpp"

namespace parley::actors {

tenant_actor spawn_tenant(caf::actor_system& sys, services svc, std::string tenant_id,
                          tenants_actor router);

}  // namespace parley::actors
