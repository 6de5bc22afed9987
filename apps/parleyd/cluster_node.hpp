#pragma once
// The node's part in a cluster (cluster.nodes lists more than one node): the shared view, the
// gateway to the other nodes, a database connection of its own for leases, and what the HTTP
// routes and actors need of them. Inert on a single node.
//
// Owned by the node (node.hpp) on parleyd's main thread: constructed before the actor system,
// started once it runs, stopped before it is destroyed. The view is read from any thread.
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <memory>
#include <optional>
#include <string>

#include "actors/services.hpp"
#include "cluster/cluster_routes.hpp"
#include "cluster/placement_view.hpp"
#include "persistence/pool.hpp"

namespace parley {

class node_config;
class bridge_slot;

class cluster_node {
 public:
  cluster_node(const node_config& cfg, const persistence::pool_settings& db);

  [[nodiscard]] bool enabled() const { return enabled_; }
  /// Loads CAF's middleman (and openssl) into the configuration; before the actor system.
  void configure(node_config& cfg) const;
  /// Publishes the gateway on the cluster port. Returns an error text, empty on success.
  std::string start(caf::actor_system& sys);
  /// What the actors need (services::cluster).
  void fill(actors::services& svc);
  /// For the HTTP routes; they reach the actor system through `slot`, which must outlive them.
  cluster::cluster_deps routes(const bridge_slot& slot) const;
  /// True on a single node; in a cluster, once every peer was heard from or given up on.
  [[nodiscard]] bool joined() const;
  /// On shutdown, after the tenants stopped: hands this node's leases back at once (so the
  /// others need not wait for them to expire), then leaves the cluster. Blocking.
  void stop(caf::actor_system& sys);

 private:
  bool enabled_;
  const node_config& cfg_;
  std::unique_ptr<persistence::db_pool> lease_db_;
  std::unique_ptr<cluster::placement_view> view_;
  caf::actor gateway_;
};

}  // namespace parley
