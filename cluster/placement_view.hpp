#pragma once
// The node's latest cluster view, shared by the actors that place tenants (the tenants router),
// the HTTP routes (/ready, /v1/cluster) and the gateway that feeds it.
//
// Owned by parleyd's main, which outlives the actor system and the HTTP server; written from
// the gateway actor (its on_change callback), read from any thread. A copy under a mutex:
// views change a few times a minute at most and are small.
#include <mutex>
#include <string>
#include <vector>

#include "cluster/membership.hpp"

namespace parley::cluster {

class placement_view {
 public:
  explicit placement_view(std::string self);

  void set(cluster_view v);

  [[nodiscard]] cluster_view view() const;
  [[nodiscard]] const std::string& self() const { return self_; }
  /// Nodes up or suspect, sorted (only these own tenants).
  [[nodiscard]] std::vector<std::string> nodes_up() const;
  [[nodiscard]] bool is_up(const std::string& node) const;
  /// The owner of `tenant_id` by rendezvous hashing over nodes_up().
  [[nodiscard]] std::string owner_of(const std::string& tenant_id) const;
  /// Every peer has been heard from or given up on (none is still joining): only then may
  /// this node take tenants, or it would claim all of them while it knows of nobody else.
  [[nodiscard]] bool joined() const;
  /// Counts changes of the placement set (nodes up); 0 before the first view.
  [[nodiscard]] uint64_t generation() const;

 private:
  std::string self_;
  mutable std::mutex mu_;
  cluster_view view_;
  std::vector<std::string> up_;
  bool joined_ = false;
  uint64_t generation_ = 0;
};

}  // namespace parley::cluster
