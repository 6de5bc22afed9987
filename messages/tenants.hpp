#pragma once
// The tenants router's protocol (one per node, actors/tenants.cpp): what the node's HTTP edge,
// the tenants and, in a cluster, the other nodes' routers (through the gateways) send it.
#include <caf/message.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>

#include "messages/cluster.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/inbound.hpp"
#include "messages/introspection.hpp"

namespace parley {

using tenants_actor = caf::typed_actor<
    // node -> router
    /// An acknowledged inbound message: to its tenant, spawned on demand (or its owner node).
    caf::reacts_to<inbound_msg>,
    /// A tenant's knowledge or settings changed.
    caf::reacts_to<kb_changed_atom, std::string>, caf::reacts_to<changed_atom, std::string>,
    /// May the tenant make one more API call? Seconds to wait (0: allowed).
    caf::replies_to<admit_atom, std::string>::with<double>,
    /// A person took the conversation over: every other node's outbox drops its bubbles.
    caf::reacts_to<cancel_atom, std::string>,
    /// The cluster's view changed (a node came or went).
    caf::reacts_to<view_changed_atom>,
    // tenant -> router: a conversation ended (the node-wide LRU forgets it)
    caf::reacts_to<gone_atom, std::string>,
    // router -> itself: hand freed memory back after a mass passivation
    caf::reacts_to<trim_atom>,
    // supervisor and introspection
    caf::replies_to<info_atom>::with<child_info>,
    // another node's router -> router (messages/cluster.hpp): handled here, never forwarded on
    caf::replies_to<forwarded_atom, inbound_msg>::with<forwarded_atom>,
    caf::replies_to<forwarded_atom, admit_atom, std::string>::with<double>,
    caf::reacts_to<forwarded_atom, kb_changed_atom, std::string>,
    caf::reacts_to<forwarded_atom, changed_atom, std::string>,
    caf::reacts_to<forwarded_atom, cancel_atom, std::string>,
    caf::replies_to<forwarded_atom, placement_atom>::with<placement_report>,
    caf::replies_to<forwarded_atom, cluster::view_atom>::with<cluster::cluster_view>,
    // the router's cluster half -> itself: its timers and database results, private to it
    caf::reacts_to<placement_step_atom, caf::message>>;

}  // namespace parley
