#include "apps/parleyd/actor_bridge.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <utility>

#include "actors/convert.hpp"
#include "actors/outbox.hpp"
#include "actors/services.hpp"
#include "actors/tenants.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"

namespace parley {

namespace {

// The well-known actors are looked up on every call: they may have been restarted.
tenants_actor tenants_of(caf::actor_system& sys) {
  return actors::find_tenants(sys);
}

outbox_actor outbox_of(caf::actor_system& sys) {
  return actors::find_outbox(sys);
}

// A hook that forwards to the bridge if there is one, else does nothing.
template <class... Args>
auto forward_to(const bridge_slot& slot, void (actor_bridge::*fn)(Args...)) {
  return [&slot, fn](Args... args) {
    if (auto* b = slot.get()) (b->*fn)(std::forward<Args>(args)...);
  };
}

}  // namespace

actor_bridge::actor_bridge(caf::actor_system& sys, bool clustered)
    : sys_(sys), clustered_(clustered) {}

void actor_bridge::set_root(caf::actor root) {
  std::lock_guard<std::mutex> guard{root_mtx_};
  root_ = std::move(root);
}

void actor_bridge::knowledge_changed(const std::string& tenant_id) {
  caf::anon_send(tenants_of(sys_), kb_changed_atom::value, tenant_id);
}

void actor_bridge::tenant_changed(const std::string& tenant_id) {
  caf::anon_send(tenants_of(sys_), changed_atom::value, tenant_id);
}

void actor_bridge::admit_api(const std::string& tenant_id, std::function<void(double)> done) {
  auto tenants = tenants_of(sys_);
  // Asio thread -> the tenant actor's token bucket -> callback (CAF guide §6).
  sys_.spawn([tenants, tenant_id, done](caf::event_based_actor* self) {
    self->request(tenants, std::chrono::seconds{2}, admit_atom::value, tenant_id)
        .then([done](double wait) { done(wait); },
              [done](caf::error&) { done(0); });  // limiter unreachable: fail open
  });
}

void actor_bridge::send_outbound(std::vector<persistence::outbound_item> items) {
  std::vector<outbound_msg> out;
  for (auto& o : items) out.push_back(actors::to_outbound(std::move(o)));
  caf::anon_send(outbox_of(sys_), send_atom::value, std::move(out));
}

void actor_bridge::cancel_outbound(const std::string& conversation_id) {
  caf::anon_send(outbox_of(sys_), cancel_atom::value, conversation_id);
  if (clustered_) caf::anon_send(tenants_of(sys_), cancel_atom::value, conversation_id);
}

void actor_bridge::dispatch(std::vector<persistence::stored_message>&& stored, int64_t acked_ms) {
  auto tenants = tenants_of(sys_);
  for (auto& s : stored) caf::anon_send(tenants, actors::to_inbound(std::move(s), acked_ms));
}

void actor_bridge::tree(std::function<void(bool, child_info, std::string)> done) {
  caf::actor root;
  {
    std::lock_guard<std::mutex> guard{root_mtx_};
    root = root_;
  }
  if (!root) return done(false, {}, "the node is starting");
  // A short-lived actor: Asio thread -> request to the root -> callback (CAF guide §6).
  sys_.spawn([root, done](caf::event_based_actor* self) {
    self->request(root, std::chrono::seconds{5}, info_atom::value)
        .then([done](child_info& tree) { done(true, std::move(tree), {}); },
              [done, self](caf::error& err) { done(false, {}, self->system().render(err)); });
  });
}

void bind_actor_hooks(const bridge_slot& slot, edge::api_context& api, edge::webhook_deps& hooks,
                      edge::actor_deps& tree) {
  api.knowledge_changed = forward_to(slot, &actor_bridge::knowledge_changed);
  api.tenant_changed = forward_to(slot, &actor_bridge::tenant_changed);
  api.send_outbound = forward_to(slot, &actor_bridge::send_outbound);
  api.cancel_outbound = forward_to(slot, &actor_bridge::cancel_outbound);
  hooks.dispatch = forward_to(slot, &actor_bridge::dispatch);
  // These two owe their caller an answer even before the actors run.
  api.admit_api = [&slot](const std::string& tenant_id, std::function<void(double)> done) {
    if (auto* b = slot.get()) return b->admit_api(tenant_id, std::move(done));
    done(0);
  };
  tree.tree = [&slot](std::function<void(bool, child_info, std::string)> done) {
    if (auto* b = slot.get()) return b->tree(std::move(done));
    done(false, {}, "the node is starting");
  };
}

}  // namespace parley
