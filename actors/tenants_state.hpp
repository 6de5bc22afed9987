#pragma once
// The tenants router's state and the functions its two halves share: tenants.cpp (spawning,
// the node-wide LRU, introspection) and, on a clustered node, cluster/tenants_placement.cpp
// (leases, forwarding, handover), which extends the router through a router_extension.
// Runs on the router actor only.
#include <caf/all.hpp>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/services.hpp"
#include "actors/tenants.hpp"
#include "messages/conversation.hpp"
#include "messages/tenant.hpp"

namespace parley::actors {

using live_set = std::shared_ptr<std::unordered_map<caf::actor_addr, caf::actor>>;

struct lru_entry {
  std::string tenant_id;
  std::list<std::string>::iterator pos;
  bool evicting = false;
};

struct tenants_state {
  static inline const char* name = "tenants";
  std::unordered_map<std::string, tenant_actor> tenants;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  live_set live = std::make_shared<live_set::element_type>();
  std::list<std::string> lru;  // conversation ids, most recent at the back
  std::unordered_map<std::string, lru_entry> active;
  uint64_t handled = 0;
  uint64_t evicted = 0;
  std::size_t high_water = 0;             // most active conversations since the count was last zero
  std::size_t trimmed_at = 0;             // active conversations when memory was last trimmed
  std::unique_ptr<router_extension> ext;  // a clustered node's placement; null on a single one
};

/// The running tenant actor for `tenant_id`, spawned now if needed (with `epoch` as its
/// lease, 0 on a single node).
tenant_actor tenant_for(tenants_ptr self, const services& svc, const std::string& tenant_id,
                        int64_t epoch = 0);
/// The tenant's API budget (seconds to wait, 0: admitted), answered through a promise: a
/// delegation would type the answer as a plain message, and the callers' other branches answer
/// a double.
caf::result<double> admit_at(tenants_ptr self, const tenant_actor& tenant);
/// Hands an inbound message to its tenant (spawned with `epoch` if needed) and keeps the LRU.
void deliver_local(tenants_ptr self, const services& svc, inbound_msg&& m, int64_t epoch = 0);

}  // namespace parley::actors
