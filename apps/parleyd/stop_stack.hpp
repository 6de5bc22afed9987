#pragma once
// How to stop what has started, run last pushed first (Redpanda's deferred stops in
// construct_service): each part of the node pushes its stop once it runs, so a start that fails
// half-way stops exactly what had started, and a full one stops in the reverse of its start.
//
// Owned by the node; pushed to and run on parleyd's main thread only.
#include <functional>
#include <utility>
#include <vector>

namespace parley {

class stop_stack {
 public:
  void push(std::function<void()> stop) { stops_.push_back(std::move(stop)); }

  /// Runs every action, last pushed first. Each is destroyed right after it ran: an action may
  /// hold an actor handle, which must not outlive the actor system stopped by an older one.
  /// Idempotent.
  void run() {
    while (!stops_.empty()) {
      auto stop = std::move(stops_.back());
      stops_.pop_back();
      stop();
    }
  }

 private:
  std::vector<std::function<void()>> stops_;
};

}  // namespace parley
