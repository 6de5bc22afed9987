#include "cluster/placement_view.hpp"

#include <algorithm>

#include "logic/rendezvous.hpp"

namespace parley::cluster {

placement_view::placement_view(std::string self) : self_(std::move(self)) {
  up_.push_back(self_);
}

void placement_view::set(cluster_view v) {
  auto up = cluster::nodes_up(v);
  bool joined = std::none_of(v.nodes.begin(), v.nodes.end(),
                             [](const node_status& n) { return n.state == node_state::joining; });
  std::lock_guard<std::mutex> lock{mu_};
  if (up != up_ || generation_ == 0) ++generation_;
  view_ = std::move(v);
  up_ = std::move(up);
  joined_ = joined;
}

cluster_view placement_view::view() const {
  std::lock_guard<std::mutex> lock{mu_};
  return view_;
}

std::vector<std::string> placement_view::nodes_up() const {
  std::lock_guard<std::mutex> lock{mu_};
  return up_;
}

bool placement_view::is_up(const std::string& node) const {
  std::lock_guard<std::mutex> lock{mu_};
  return std::binary_search(up_.begin(), up_.end(), node);
}

std::string placement_view::owner_of(const std::string& tenant_id) const {
  std::lock_guard<std::mutex> lock{mu_};
  return logic::owner_of(tenant_id, up_);
}

bool placement_view::joined() const {
  std::lock_guard<std::mutex> lock{mu_};
  return joined_;
}

uint64_t placement_view::generation() const {
  std::lock_guard<std::mutex> lock{mu_};
  return generation_;
}

}  // namespace parley::cluster
