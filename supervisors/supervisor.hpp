#pragma once
// A supervisor actor: starts its children in order, monitors them, applies a restart_policy
// (strategy, intensity, backoff), gives up by failing to its own parent, and stops its
// children in reverse start order when it is told to exit.
//
// Spawned by whoever owns the subtree (the node's main for the root); runs on the CAF
// scheduler. Children are top-level actors monitored by it, never linked (CAF guide §3.1).
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <functional>
#include <string>
#include <vector>

#include "logic/restart_policy.hpp"

namespace parley::supervision {

struct child_spec {
  std::string name;
  logic::restart_type type = logic::restart_type::permanent;
  /// Spawns the child; called again on every restart.
  std::function<caf::actor(caf::actor_system&)> start;
};

struct supervisor_spec {
  std::string name;
  logic::strategy how = logic::strategy::one_for_one;
  logic::intensity limits;
  logic::backoff delays;
  std::vector<child_spec> children;
  /// Called (on the supervisor) each time a child is restarted, e.g. to count it in metrics.
  std::function<void(const std::string& child)> on_restart;
};

/// Spawns a supervisor. It answers `children_atom` with std::vector<child_info> (its direct
/// children) and `info_atom` with its child_info including its children's, recursively.
caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec);

/// Asks `sup` to stop (children in reverse order) and blocks until it is gone.
/// For main() and tests only, never from an actor.
void stop_and_wait(caf::actor_system& sys, const caf::actor& sup);

}  // namespace parley::supervision
