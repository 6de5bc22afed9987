#pragma once
// The cluster seen through HTTP (admin token; tenants hold no cluster permission):
//   GET  /v1/cluster                  this node's view, and every reachable node's view and
//                                     tenants (so an operator sees disagreement at a glance)
//   GET  /v1/cluster/tenants/{id}     the tenant's owner by this node's view, and its lease row
//   POST /v1/cluster/isolate          {"isolated": true|false}: TESTS ONLY (parley.fault-injection)
//                                     cut this node off from its peers, keeping PostgreSQL
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/lease_store.hpp"
#include "cluster/membership.hpp"
#include "messages/cluster.hpp"

namespace parley::edge {
class router;
struct api_context;
}  // namespace parley::edge

namespace parley::cluster {

/// One node's answer to GET /v1/cluster's round of questions.
struct cluster_node_report {
  std::string node;
  std::string error;  ///< empty when it answered
  cluster_view view;
  placement_report placement;
};

struct cluster_deps {
  std::string self;
  bool clustered = false;
  std::function<cluster_view()> view;
  std::function<std::string(const std::string& tenant_id)> owner_of;
  /// Asks every configured node (this one included) for its view and tenants; calls back on
  /// any thread.
  std::function<void(std::function<void(std::vector<cluster_node_report>)>)> gather;
  /// Null unless fault injection is on.
  std::function<void(bool)> isolate;
};

void add_cluster_routes(edge::router& r, cluster_deps deps,
                        std::shared_ptr<const edge::api_context> api);

}  // namespace parley::cluster
