#pragma once
// The one way from the HTTP edge into the actors. io/ includes no CAF: its routes and the
// webhook intake call std::function hooks, and bind_actor_hooks binds all of them, in one place,
// to the bridge a bridge_slot holds.
//
// Owned by the node on parleyd's main thread: created right after the actor system, put into
// the slot once the supervision tree has registered the outbox and the tenants router, taken
// out and destroyed right before the system goes. Its functions are called from Asio, pool and
// writer threads; they only send messages or spawn short-lived actors, never block.
#include <atomic>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "edge/actor_routes.hpp"
#include "edge/api_context.hpp"
#include "edge/webhook_routes.hpp"
#include "messages/introspection.hpp"

namespace parley {

class actor_bridge {
 public:
  /// `clustered`: a handed-off conversation's bubbles may also wait in another node's outbox.
  actor_bridge(caf::actor_system& sys, bool clustered);
  actor_bridge(const actor_bridge&) = delete;
  actor_bridge& operator=(const actor_bridge&) = delete;

  [[nodiscard]] caf::actor_system& system() { return sys_; }
  /// The supervision tree's root, for tree(); an invalid handle while the tree stops.
  void set_root(caf::actor root);

  void knowledge_changed(const std::string& tenant_id);
  void tenant_changed(const std::string& tenant_id);
  /// Calls back with 0 when the tenant's limiter cannot be asked (fail open).
  void admit_api(const std::string& tenant_id, std::function<void(double)> done);
  void send_outbound(std::vector<persistence::outbound_item> items);
  void cancel_outbound(const std::string& conversation_id);
  /// Hands stored inbound messages to the tenants router; `acked_ms` 0 when unknown (recovery).
  void dispatch(std::vector<persistence::stored_message>&& stored, int64_t acked_ms);
  void tree(std::function<void(bool ok, child_info tree, std::string error)> done);

 private:
  caf::actor_system& sys_;
  bool clustered_;
  std::mutex root_mtx_;
  caf::actor root_;
};

/// Where the hooks find the bridge. Empty before the tree runs and after it stopped: the hooks
/// then do what a starting node does (nothing, or answer that it is starting).
class bridge_slot {
 public:
  void attach(actor_bridge& b) { bridge_.store(&b); }
  void detach() { bridge_.store(nullptr); }
  [[nodiscard]] actor_bridge* get() const { return bridge_.load(); }

 private:
  std::atomic<actor_bridge*> bridge_{nullptr};
};

/// Binds the actor hooks of the API, the webhook intake and GET /v1/actors to `slot`, which must
/// outlive the routes.
void bind_actor_hooks(const bridge_slot& slot, edge::api_context& api, edge::webhook_deps& hooks,
                      edge::actor_deps& tree);

}  // namespace parley
