#pragma once
// The tenants router's state and the functions its two halves share: tenants.cpp (spawning,
// the node-wide LRU, introspection) and placement.cpp (cluster: leases, forwarding, handover).
// Private to parley_actors; runs on the router actor only.
#include <caf/all.hpp>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/services.hpp"
#include "logic/placement_table.hpp"
#include "messages/conversation.hpp"
#include "messages/tenant.hpp"

namespace parley::actors {

using live_set = std::shared_ptr<std::unordered_map<caf::actor_addr, caf::actor>>;

struct lru_entry {
  std::string tenant_id;
  std::list<std::string>::iterator pos;
  bool evicting = false;
};

/// The tenants this node runs, takes or gives up, and the messages waiting on them (cluster).
using placement_table = logic::placement_table<inbound_msg>;

struct tenants_state {
  static inline const char* name = "tenants";
  std::unordered_map<std::string, tenant_actor> tenants;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  live_set live = std::make_shared<live_set::element_type>();
  std::list<std::string> lru;  // conversation ids, most recent at the back
  std::unordered_map<std::string, lru_entry> active;
  uint64_t handled = 0;
  uint64_t evicted = 0;
  std::size_t high_water = 0;  // most active conversations since the count was last zero
  std::size_t trimmed_at = 0;  // active conversations when memory was last trimmed
  // Cluster only.
  placement_table placement;  // set up with the lease lifetime by start_placement
  uint64_t forwarded = 0;
  uint64_t received = 0;
  uint64_t forward_errors = 0;
};

using tenants_ptr = caf::stateful_actor<tenants_state>*;

/// The running tenant actor for `tenant_id`, spawned now if needed (with `epoch` as its
/// lease, 0 on a single node).
tenant_actor tenant_for(tenants_ptr self, const services& svc, const std::string& tenant_id,
                        int64_t epoch = 0);
/// Hands an inbound message to its tenant (spawned with `epoch` if needed) and keeps the LRU.
void deliver_local(tenants_ptr self, const services& svc, inbound_msg&& m, int64_t epoch = 0);

// placement.cpp
bool clustered(const services& svc);
/// Starts the cluster timers (lease renewal, stranded-work sweep) and acts on the view.
void start_placement(tenants_ptr self, const services& svc);
/// Routes a message by the cluster view: local tenant, held while its lease is taken, or
/// forwarded to the owner node. `attempt` counts earlier failed forwards.
void route(tenants_ptr self, const services& svc, inbound_msg&& m, int32_t attempt = 0);
/// A tenant actor ended: its lease is released (or was lost), held work routed again.
void on_tenant_down(tenants_ptr self, const services& svc, const std::string& tenant_id,
                    const caf::error& reason);
/// The handlers of the cluster protocol (messages/cluster.hpp), merged into the router's.
caf::message_handler placement_behavior(tenants_ptr self, const services& svc);

}  // namespace parley::actors
