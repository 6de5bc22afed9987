#pragma once
// What nodes say to each other's tenants router through the cluster gateways (part of the
// router's typed interface, messages/tenants.hpp), the types that cross nodes, and the atoms
// of the router's private placement steps. Payloads crossing nodes are made of types
// registered in messages/register.cpp (inbound_msg, strings, atoms).
//
//   (forwarded_atom, inbound_msg)                 -> unit, or error not_owner: deliver here
//   (forwarded_atom, admit_atom, tenant_id)       -> double (seconds to wait; 0 = admitted)
//   (forwarded_atom, kb_changed_atom, tenant_id)  one-way
//   (forwarded_atom, changed_atom, tenant_id)     one-way
//   (forwarded_atom, cancel_atom, conversation_id) one-way, to every node's outbox
//   (placement_atom)                              -> placement_report (this node's tenants)
// A forwarded request is handled where it lands and never forwarded again, so two nodes that
// disagree about an owner cannot bounce work between them.
#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/atoms.hpp"

namespace parley {

using forwarded_atom = caf::atom_constant<caf::atom("forwarded")>;
using placement_atom = caf::atom_constant<caf::atom("placement")>;
using view_changed_atom = caf::atom_constant<caf::atom("viewchg")>;
using lease_atom = caf::atom_constant<caf::atom("lease")>;
using renew_atom = caf::atom_constant<caf::atom("renew")>;
using renewed_atom = caf::atom_constant<caf::atom("renewed")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using work_atom = caf::atom_constant<caf::atom("work")>;
using reroute_atom = caf::atom_constant<caf::atom("reroute")>;
using released_atom = caf::atom_constant<caf::atom("released")>;
/// A step of the router's cluster half to itself (a timer, a database result), wrapped so that
/// its private messages stay out of the router's interface (messages/tenants.hpp).
using placement_step_atom = caf::atom_constant<caf::atom("plstep")>;

/// One tenant as placed on a node.
struct placed_tenant {
  std::string tenant_id;
  std::string phase;  ///< acquiring, running, releasing
  int64_t epoch = 0;  ///< the lease's fencing token; 0 while acquiring
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, placed_tenant& x) {
  return f(caf::meta::type_name("parley::placed_tenant"), x.tenant_id, x.phase, x.epoch);
}

/// The tenants a node's router holds, and how much it forwarded.
struct placement_report {
  std::string node;
  std::vector<placed_tenant> tenants;
  uint64_t forwarded = 0;       ///< inbound messages sent to other nodes
  uint64_t received = 0;        ///< inbound messages other nodes sent here
  uint64_t forward_errors = 0;  ///< forwards that failed and were routed again
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, placement_report& x) {
  return f(caf::meta::type_name("parley::placement_report"), x.node, x.tenants, x.forwarded,
           x.received, x.forward_errors);
}

}  // namespace parley

namespace parley::cluster {

/// Asks a node's gateway, or through it its router, for its view of the cluster.
using view_atom = caf::atom_constant<caf::atom("view")>;

enum class node_state : uint8_t { joining, up, suspect, down };

[[nodiscard]] std::string to_string(node_state s);

/// One node as seen from here, at the time the view was taken.
struct node_status {
  std::string name;
  std::string host;
  uint16_t cluster_port = 0;
  uint16_t http_port = 0;
  node_state state = node_state::joining;
  uint64_t incarnation = 0;       ///< 0: never heard from
  int64_t heartbeat_age_ms = -1;  ///< since the last heartbeat; -1: none yet
  bool self = false;
  std::string last_error;  ///< why the connection failed or closed last (set by the gateway)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("parley::cluster::node_status"), x.name, x.host, x.cluster_port,
           x.http_port, x.state, x.incarnation, x.heartbeat_age_ms, x.self, x.last_error);
}

/// Every configured node (this one included), ordered by name.
struct cluster_view {
  std::string self;
  std::vector<node_status> nodes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(caf::meta::type_name("parley::cluster::cluster_view"), x.self, x.nodes);
}

}  // namespace parley::cluster
