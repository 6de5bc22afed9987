#pragma once
// The tenants router (tenants.cpp): one per node, child of the root supervisor; spawns a
// tenant's subtree on demand and keeps the node-wide cap on active conversations. On a
// clustered node a router_extension (cluster/tenants_placement.cpp) decides where tenants run.
#include <caf/fwd.hpp>
#include <functional>
#include <memory>
#include <string>

#include "actors/services.hpp"
#include "messages/tenants.hpp"

namespace parley::actors {

struct tenants_state;

enum class tenant_notice { knowledge, settings };
using tenants_ptr = tenants_actor::stateful_pointer<tenants_state>;

/// What a clustered node adds to the router: the router calls it from its typed handlers and
/// never includes the cluster. Absent on a single node, where every tenant runs locally.
/// Owned by the router's state; called on the router actor only.
class router_extension {
 public:
  virtual ~router_extension() = default;
  /// Once, when the router starts.
  virtual void start(tenants_ptr self) = 0;
  /// An inbound message acknowledged by this node.
  virtual void route(tenants_ptr self, inbound_msg&& m) = 0;
  /// An inbound message another node forwarded: handled here or refused (not the owner).
  virtual caf::result<forwarded_atom> forwarded(tenants_ptr self, inbound_msg&& m) = 0;
  virtual caf::result<double> admit(tenants_ptr self, const std::string& tenant_id) = 0;
  /// A tenant's knowledge or settings changed; `forwarded`: another node said so.
  virtual void notify(tenants_ptr self, tenant_notice what, const std::string& tenant_id,
                      bool forwarded) = 0;
  /// A person took the conversation over on this node: tell the others.
  virtual void cancel(tenants_ptr self, const std::string& conversation_id) = 0;
  virtual void view_changed(tenants_ptr self) = 0;
  virtual placement_report report(tenants_ptr self) = 0;
  virtual cluster::cluster_view view() = 0;
  /// One of its own steps (placement_step_atom).
  virtual void step(tenants_ptr self, caf::message& m) = 0;
  /// A tenant's subtree ended with `reason`.
  virtual void tenant_down(tenants_ptr self, const std::string& tenant_id,
                           const caf::error& reason) = 0;
};

using router_extension_factory = std::function<std::unique_ptr<router_extension>()>;

/// Spawns the router and registers it under tenants_name() before it returns. `extension`
/// (empty on a single node) makes one for every start of the router.
tenants_actor spawn_tenants(caf::actor_system& sys, services svc,
                            router_extension_factory extension = {});

/// The running router (invalid while it restarts); looked up on every call.
tenants_actor find_tenants(caf::actor_system& sys);

}  // namespace parley::actors
