#pragma once
// Tenant placement in a cluster (tenants_placement.cpp): what a clustered node adds to the
// tenants router, and the "cluster" child of the node's tree. Built by the node
// (apps/parleyd/node.cpp) when cluster.nodes lists more than one node.
#include <caf/fwd.hpp>

#include "actors/services.hpp"
#include "actors/tenants.hpp"

namespace parley::cluster {

/// Routes inbound messages by the cluster view, takes and renews tenants' leases, forwards to
/// owner nodes and hands tenants over on a view change. Runs on the router actor.
actors::router_extension_factory placement_extension(actors::services svc);

/// The "cluster" child of the node's tree: reports this node's view of the cluster in the
/// supervision tree (the gateway itself lives outside the tree, see apps/parleyd).
caf::actor spawn_cluster_agent(caf::actor_system& sys, actors::services svc);

}  // namespace parley::cluster
