// The tenants router and the tenant actor.
//
// tenants (one per node, child of the root supervisor): spawns a tenant actor the first time a
// tenant's message arrives and forwards to it. tenant/{id}: supervises the tenant's support
// agent (restarted when it crashes) and its conversations (spawned on demand, passivated when
// idle, restarted from PostgreSQL when they crash).
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <unordered_map>

#include "actors/conversation/conversation_actor.hpp"
#include "actors/services.hpp"
#include "actors/support.hpp"
#include "io/logging.hpp"
#include "messages/conversation.hpp"
#include "messages/introspection.hpp"

namespace parley::actors {

caf::atom_value outbox_name() {
  return caf::atom("outbox");
}
caf::atom_value tenants_name() {
  return caf::atom("tenants");
}

caf::actor lookup(caf::actor_system& sys, caf::atom_value name) {
  return caf::actor_cast<caf::actor>(sys.registry().get(name));
}

namespace {

// Children that must die with their parent. Shared with the parent's attach_functor because a
// stateful actor's state is already gone when its attached functors run.
using live_set = std::shared_ptr<std::unordered_map<caf::actor_addr, caf::actor>>;

void kill_all_on_exit(caf::local_actor* self, const live_set& live) {
  self->attach_functor([live](const caf::error&) {
    for (auto& [addr, child] : *live) caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  });
}

struct conv_entry {
  caf::actor handle;
  bool draining = false;
  std::vector<inbound_msg> held;  // arrived while draining: given to the next instance
  uint32_t restarts = 0;
};

struct tenant_state {
  static inline const char* name = "tenant";
  caf::actor support;
  uint32_t support_restarts = 0;
  std::unordered_map<std::string, conv_entry> convs;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  live_set live = std::make_shared<live_set::element_type>();
};

using tenant_ptr = caf::stateful_actor<tenant_state>*;

void start_support(tenant_ptr self, const services& svc, const std::string& tenant_id) {
  self->state.support = spawn_support(self->system(), svc, tenant_id);
  self->monitor(self->state.support);
  self->state.live->emplace(self->state.support.address(), self->state.support);
}

conv_entry& start_conversation(tenant_ptr self, const services& svc, const std::string& tenant_id,
                               const std::string& conv_id) {
  auto& e = self->state.convs[conv_id];
  e.handle = spawn_conversation(self->system(), svc, caf::actor_cast<caf::actor>(self), tenant_id,
                                conv_id);
  e.draining = false;
  self->monitor(e.handle);
  self->state.by_addr[e.handle.address()] = conv_id;
  self->state.live->emplace(e.handle.address(), e.handle);
  return e;
}

caf::behavior tenant_actor(tenant_ptr self, services svc, std::string tenant_id) {
  kill_all_on_exit(self, self->state.live);  // whatever ends the tenant ends its subtree
  start_support(self, svc, tenant_id);
  self->set_down_handler([self, svc, tenant_id](caf::down_msg& dm) {
    auto& st = self->state;
    st.live->erase(dm.source);
    if (st.support && dm.source == st.support.address()) {
      ++st.support_restarts;
      log::get("actors")->warn("tenant {}: support agent ended ({}), restarting", tenant_id,
                               self->system().render(dm.reason));
      start_support(self, svc, tenant_id);
      return;
    }
    auto it = st.by_addr.find(dm.source);
    if (it == st.by_addr.end()) return;
    auto conv_id = it->second;
    st.by_addr.erase(it);
    auto& e = st.convs[conv_id];
    e.handle = nullptr;
    bool crashed = static_cast<bool>(dm.reason) && !e.draining;
    if (crashed) {
      ++e.restarts;
      log::get("actors")->warn("tenant {}: conversation {} crashed ({}), restarting", tenant_id,
                               conv_id, self->system().render(dm.reason));
    }
    if (crashed || !e.held.empty()) {
      // A new instance reloads unanswered messages from PostgreSQL; held ones follow in order.
      auto held = std::move(e.held);
      auto& fresh = start_conversation(self, svc, tenant_id, conv_id);
      for (auto& m : held) self->send(fresh.handle, std::move(m));
      return;
    }
    st.convs.erase(conv_id);
  });
  return {
      [self, svc, tenant_id](inbound_msg& m) {
        auto& st = self->state;
        auto it = st.convs.find(m.conversation_id);
        if (it == st.convs.end() || (!it->second.handle && !it->second.draining)) {
          auto& e = start_conversation(self, svc, tenant_id, m.conversation_id);
          self->send(e.handle, std::move(m));
          return;
        }
        if (it->second.draining) {
          it->second.held.push_back(std::move(m));
          return;
        }
        self->send(it->second.handle, std::move(m));
      },
      [self](passivate_atom, const std::string& conv_id) {
        auto it = self->state.convs.find(conv_id);
        if (it == self->state.convs.end() || !it->second.handle || it->second.draining) return;
        it->second.draining = true;
        self->send(it->second.handle, shutdown_atom::value);
      },
      [self](ask_atom, const std::string& question) {
        return self->delegate(self->state.support, ask_atom::value, question);
      },
      [self](kb_changed_atom) { self->send(self->state.support, kb_changed_atom::value); },
      [self](children_atom) {
        std::vector<child_info> out;
        auto& st = self->state;
        out.push_back(child_info{
            "support", st.support ? "running" : "restarting", st.support_restarts, {}, {}});
        for (auto& [id, e] : st.convs)
          out.push_back(
              child_info{"conv/" + id, e.draining ? "passivating" : "running", e.restarts, {}, {}});
        return out;
      },
  };
}

struct tenants_state {
  static inline const char* name = "tenants";
  std::unordered_map<std::string, caf::actor> tenants;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  live_set live = std::make_shared<live_set::element_type>();
};

using tenants_ptr = caf::stateful_actor<tenants_state>*;

caf::actor tenant_for(tenants_ptr self, const services& svc, const std::string& tenant_id) {
  auto& st = self->state;
  auto it = st.tenants.find(tenant_id);
  if (it != st.tenants.end()) return it->second;
  auto t = self->system().spawn(tenant_actor, svc, tenant_id);
  self->monitor(t);
  st.tenants.emplace(tenant_id, t);
  st.by_addr.emplace(t.address(), tenant_id);
  st.live->emplace(t.address(), t);
  return t;
}

}  // namespace

caf::actor spawn_tenants(caf::actor_system& sys, services svc) {
  return sys.spawn([svc](tenants_ptr self) -> caf::behavior {
    self->system().registry().put(tenants_name(), caf::actor_cast<caf::strong_actor_ptr>(self));
    kill_all_on_exit(self, self->state.live);
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      st.live->erase(dm.source);
      auto it = st.by_addr.find(dm.source);
      if (it == st.by_addr.end()) return;
      st.tenants.erase(it->second);
      st.by_addr.erase(it);
    });
    return {
        [self, svc](inbound_msg& m) {
          auto t = tenant_for(self, svc, m.tenant_id);
          self->send(t, std::move(m));
        },
        [self, svc](kb_changed_atom, const std::string& tenant_id) {
          auto it = self->state.tenants.find(tenant_id);
          if (it != self->state.tenants.end()) self->send(it->second, kb_changed_atom::value);
        },
        [self](children_atom) {
          std::vector<child_info> out;
          for (auto& [id, t] : self->state.tenants)
            out.push_back(child_info{"tenant/" + id, "running", 0, {}, {}});
          return out;
        },
    };
  });
}

}  // namespace parley::actors
