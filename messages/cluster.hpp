#pragma once
// What nodes say to each other's tenants router through the cluster gateways, and what the
// router tells itself while it places tenants. Payloads crossing nodes are made of types
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
