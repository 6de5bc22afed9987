#pragma once
// The cluster view of one node: which configured nodes are up, suspected or down, fed with
// heartbeats and lost connections, with time passed in (deterministic, unit-tested).
//
// Owned by the node's gateway actor and used only from it; no I/O, no clock of its own.
// node_status / cluster_view, which cross nodes, are in messages/cluster.hpp.
//
// States:   joining --heartbeat--> up --silence > 2 x heartbeat_interval--> suspect
//           up/suspect --silence > failure_timeout, or connection lost--> down
//           joining --nothing heard for failure_timeout since start--> down
//           down/suspect --heartbeat--> up
// A heartbeat with a newer incarnation (the peer restarted) reports the old incarnation down
// and the new one up, so owners of state tied to the old process learn that it is gone.
// A lost connection is a verdict, silence only a suspicion: a closed socket means the process
// or the link is gone (kill -9 is noticed in milliseconds), while a late heartbeat may be a
// pause, and moving tenants on a pause costs more than waiting for failure_timeout.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "messages/cluster.hpp"

namespace parley::cluster {

using clock = std::chrono::steady_clock;

/// A node of cluster.conf.
struct node_address {
  std::string name;
  std::string host = "127.0.0.1";
  uint16_t cluster_port = 0;
  uint16_t http_port = 0;
};

/// Names of the nodes in state up or suspect in `v` (the placement set, see nodes_up()).
[[nodiscard]] std::vector<std::string> nodes_up(const cluster_view& v);

struct transition {
  std::string node;
  node_state from;
  node_state to;
  uint64_t incarnation;  ///< of the process the transition is about
};

struct membership_settings {
  std::string self;
  uint64_t self_incarnation = 0;
  std::vector<node_address> nodes;  ///< every node of the cluster, this one included
  clock::duration heartbeat_interval = std::chrono::milliseconds{100};
  clock::duration failure_timeout = std::chrono::milliseconds{1000};
};

class membership {
 public:
  /// `now` starts the joining period of every peer. The self node is up from the start (it is
  /// added if `nodes` lacks it).
  membership(membership_settings s, clock::time_point now);

  /// A heartbeat from `node`'s process `incarnation`. Unknown nodes, the self node and
  /// incarnations older than the known one (a message from a dead process) are ignored.
  std::vector<transition> on_heartbeat(const std::string& node, uint64_t incarnation,
                                       clock::time_point now);
  /// The connection to `node` closed (CAF down_msg): down at once.
  std::vector<transition> on_connection_lost(const std::string& node, clock::time_point now);
  /// Applies the timeouts; call at least every heartbeat interval.
  std::vector<transition> tick(clock::time_point now);

  /// The placement set, sorted: nodes up or merely suspected. Suspicion does not move tenants
  /// (a pause would make them flap); only down does.
  [[nodiscard]] std::vector<std::string> nodes_up() const;
  [[nodiscard]] node_state state_of(const std::string& node) const;  ///< down if unknown
  [[nodiscard]] uint64_t incarnation_of(const std::string& node) const;
  [[nodiscard]] const node_address* address_of(const std::string& node) const;
  [[nodiscard]] cluster_view view(clock::time_point now) const;
  [[nodiscard]] const std::string& self() const { return settings_.self; }
  [[nodiscard]] const membership_settings& settings() const { return settings_; }

 private:
  struct member {
    node_address address;
    node_state state = node_state::joining;
    uint64_t incarnation = 0;
    bool heard = false;
    clock::time_point last_heartbeat;  ///< or, before the first one, the start
  };
  void move(member& m, node_state to, std::vector<transition>& out);

  membership_settings settings_;
  std::map<std::string, member> members_;
};

}  // namespace parley::cluster
