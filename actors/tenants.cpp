// The tenants router (one per node, child of the root supervisor): spawns a tenant's subtree
// the first time one of its messages or API calls arrives, forwards to it, and keeps the
// node-wide cap on active conversations by passivating the least recently used ones. In a
// cluster, its router_extension (cluster/tenants_placement.cpp) decides which tenants run here
// and forwards the others' work.
#include "actors/tenants.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <list>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "actors/outbox.hpp"
#include "actors/services.hpp"
#include "actors/tenant.hpp"
#include "actors/tenants_state.hpp"
#include "common/log.hpp"
#include "messages/conversation.hpp"
#include "messages/introspection.hpp"
#include "supervisors/introspect.hpp"

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

void publish(caf::actor_system& sys, caf::atom_value name, const caf::actor& handle) {
  sys.registry().erase(name);
  sys.registry().put(name, caf::actor_cast<caf::strong_actor_ptr>(handle));
}

namespace {

using self_ptr = tenants_ptr;

}  // namespace

tenant_actor tenant_for(self_ptr self, const services& svc, const std::string& tenant_id,
                        int64_t epoch) {
  auto& st = self->state;
  auto it = st.tenants.find(tenant_id);
  if (it != st.tenants.end()) return it->second;
  auto tenant_svc = svc;
  tenant_svc.lease_epoch = epoch;
  auto t =
      spawn_tenant(self->system(), tenant_svc, tenant_id, caf::actor_cast<tenants_actor>(self));
  self->monitor(t);
  st.tenants.emplace(tenant_id, t);
  st.by_addr.emplace(t.address(), tenant_id);
  st.live->emplace(t.address(), caf::actor_cast<caf::actor>(t));
  return t;
}

namespace {

void touch(self_ptr self, const services& svc, const std::string& tenant_id,
           const std::string& conv_id) {
  auto& st = self->state;
  auto it = st.active.find(conv_id);
  if (it != st.active.end()) {
    st.lru.splice(st.lru.end(), st.lru, it->second.pos);
    return;
  }
  st.lru.push_back(conv_id);
  st.active.emplace(conv_id, lru_entry{tenant_id, std::prev(st.lru.end()), false});
  if (st.active.size() > st.high_water) st.high_water = st.trimmed_at = st.active.size();
  // Over the cap: passivate from the least recently used end.
  std::size_t over = st.active.size() > svc.limit.max_active_conversations
                         ? st.active.size() - svc.limit.max_active_conversations
                         : 0;
  for (auto lit = st.lru.begin(); over > 0 && lit != st.lru.end(); ++lit) {
    auto& e = st.active[*lit];
    if (e.evicting) continue;
    e.evicting = true;
    --over;
    ++st.evicted;
    auto t = st.tenants.find(e.tenant_id);
    if (t != st.tenants.end()) self->send(t->second, passivate_atom::value, *lit);
  }
}

}  // namespace

caf::result<double> admit_at(self_ptr self, const tenant_actor& tenant) {
  auto rp = self->make_response_promise<double>();
  self->request(tenant, std::chrono::seconds{2}, admit_atom::value)
      .then([rp](double wait) mutable { rp.deliver(wait); },
            [rp](caf::error&) mutable { rp.deliver(0.0); });  // limiter unreachable: fail open
  return rp;
}

void deliver_local(self_ptr self, const services& svc, inbound_msg&& m, int64_t epoch) {
  auto t = tenant_for(self, svc, m.tenant_id, epoch);
  touch(self, svc, m.tenant_id, m.conversation_id);
  self->send(t, std::move(m));
}

namespace {

// A tenant's subtree ended: its conversations are gone with it (and, in a cluster, its lease).
void on_subtree_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  st.live->erase(dm.source);
  auto it = st.by_addr.find(dm.source);
  if (it == st.by_addr.end()) return;
  auto tenant_id = it->second;
  if (st.ext) st.ext->tenant_down(self, tenant_id, dm.reason);
  st.tenants.erase(tenant_id);
  st.by_addr.erase(it);
  for (auto a = st.active.begin(); a != st.active.end();) {
    if (a->second.tenant_id == tenant_id) {
      st.lru.erase(a->second.pos);
      a = st.active.erase(a);
    } else {
      ++a;
    }
  }
}

void on_conversation_gone(self_ptr self, const std::string& conv_id) {
  auto& st = self->state;
  auto it = st.active.find(conv_id);
  if (it == st.active.end()) return;
  st.lru.erase(it->second.pos);
  st.active.erase(it);
  // After a mass passivation glibc keeps the freed memory in its arenas; hand it back so a
  // node's footprint follows its active conversations (cheap, and rare).
  if (st.high_water < 1000 || (st.active.size() * 2 >= st.trimmed_at && !st.active.empty())) return;
  malloc_trim(0);
  st.trimmed_at = st.active.size();
  if (!st.active.empty()) return;
  st.high_water = 0;
  // Work that trails the last passivation (database results, outbox records, the stopped
  // actors themselves) frees memory after this trim: trim again as it settles.
  self->delayed_send(self, std::chrono::seconds{1}, trim_atom::value);
  self->delayed_send(self, std::chrono::seconds{4}, trim_atom::value);
}

caf::result<child_info> describe(self_ptr self) {
  auto& st = self->state;
  child_info me;
  me.name = "tenants";
  me.kind = "router";
  me.state = "running";
  me.mailbox = self->mailbox().size();
  me.handled = ++st.handled;
  me.detail = "tenants=" + std::to_string(st.tenants.size()) +
              " active_conversations=" + std::to_string(st.active.size()) +
              " evicted=" + std::to_string(st.evicted);
  if (st.ext) {
    auto placed = st.ext->report(self);
    me.detail += " placed=" + std::to_string(placed.tenants.size()) +
                 " forwarded=" + std::to_string(placed.forwarded) +
                 " received=" + std::to_string(placed.received);
  }
  std::vector<supervision::named_child> kids;
  for (auto& [id, t] : st.tenants)
    kids.push_back({"tenant/" + id, caf::actor_cast<caf::actor>(t), 0, {}, "running"});
  auto rp = self->make_response_promise<child_info>();
  supervision::gather_children(self, std::move(me), std::move(kids), rp);
  return rp;
}

// A notice for a tenant: to its actor if it runs here (knowledge changes also start it, so it
// loads the new knowledge before its next message).
template <class Atom>
void notify_local(self_ptr self, const services& svc, Atom a, const std::string& tenant_id) {
  auto& st = self->state;
  auto it = st.tenants.find(tenant_id);
  if (it != st.tenants.end()) return self->send(it->second, a);
  if constexpr (std::is_same<Atom, kb_changed_atom>::value)
    self->send(tenant_for(self, svc, tenant_id), a);
}

// An API call also starts the tenant's subtree on demand.
caf::result<double> admit_local(self_ptr self, const services& svc, const std::string& tenant_id) {
  return admit_at(self, tenant_for(self, svc, tenant_id));
}

// Messages from the node and from its tenants. On a single node every tenant is local; a
// clustered node's extension decides.
auto local_handlers(self_ptr self, const services& svc) {
  auto ext = [self] { return self->state.ext.get(); };
  return std::make_tuple(
      [self, svc, ext](inbound_msg& m) {
        ++self->state.handled;
        if (auto* e = ext()) return e->route(self, std::move(m));
        deliver_local(self, svc, std::move(m));
      },
      [self, svc, ext](kb_changed_atom a, const std::string& tenant_id) {
        if (auto* e = ext()) return e->notify(self, tenant_notice::knowledge, tenant_id, false);
        notify_local(self, svc, a, tenant_id);
      },
      [self, svc, ext](changed_atom a, const std::string& tenant_id) {
        if (auto* e = ext()) return e->notify(self, tenant_notice::settings, tenant_id, false);
        notify_local(self, svc, a, tenant_id);
      },
      [self, svc, ext](admit_atom, const std::string& tenant_id) -> caf::result<double> {
        if (auto* e = ext()) return e->admit(self, tenant_id);
        return admit_local(self, svc, tenant_id);
      },
      [self, ext](cancel_atom, const std::string& conversation_id) {
        // On a single node the HTTP edge cancels in the outbox itself.
        if (auto* e = ext()) e->cancel(self, conversation_id);
      },
      [self, ext](view_changed_atom) {
        if (auto* e = ext()) e->view_changed(self);
      },
      [self](gone_atom, const std::string& conv_id) { on_conversation_gone(self, conv_id); },
      [](trim_atom) { malloc_trim(0); }, [self](info_atom) { return describe(self); });
}

// Messages from other nodes' routers; a single node answers them as the owner of every tenant.
auto forwarded_handlers(self_ptr self, const services& svc) {
  auto ext = [self] { return self->state.ext.get(); };
  return std::make_tuple(
      [self, svc, ext](forwarded_atom, inbound_msg& m) -> caf::result<forwarded_atom> {
        ++self->state.handled;
        if (auto* e = ext()) return e->forwarded(self, std::move(m));
        deliver_local(self, svc, std::move(m));
        return forwarded_atom::value;
      },
      [self, svc, ext](forwarded_atom, admit_atom,
                       const std::string& tenant_id) -> caf::result<double> {
        // In a cluster it counts where the tenant runs; not running here: nothing to count.
        if (ext() && self->state.tenants.count(tenant_id) == 0) return 0.0;
        return admit_local(self, svc, tenant_id);
      },
      [self, svc, ext](forwarded_atom, kb_changed_atom a, const std::string& tenant_id) {
        if (auto* e = ext()) return e->notify(self, tenant_notice::knowledge, tenant_id, true);
        notify_local(self, svc, a, tenant_id);
      },
      [self, svc, ext](forwarded_atom, changed_atom a, const std::string& tenant_id) {
        if (auto* e = ext()) return e->notify(self, tenant_notice::settings, tenant_id, true);
        notify_local(self, svc, a, tenant_id);
      },
      [self](forwarded_atom, cancel_atom a, const std::string& conversation_id) {
        caf::anon_send(find_outbox(self->system()), a, conversation_id);
      },
      [self, ext](forwarded_atom, placement_atom) {
        if (auto* e = ext()) return e->report(self);
        return placement_report{};
      },
      [ext](forwarded_atom, cluster::view_atom) {
        if (auto* e = ext()) return e->view();
        return cluster::cluster_view{};
      },
      [self, ext](placement_step_atom, caf::message& m) {
        if (auto* e = ext()) e->step(self, m);
      });
}

template <class Local, class Forwarded>
tenants_actor::behavior_type behavior_of(Local local, Forwarded forwarded) {
  return std::apply(
      [](auto&&... handlers) { return tenants_actor::behavior_type{std::move(handlers)...}; },
      std::tuple_cat(std::move(local), std::move(forwarded)));
}

}  // namespace

tenants_actor spawn_tenants(caf::actor_system& sys, services svc,
                            router_extension_factory extension) {
  auto tenants = sys.spawn([svc, extension](self_ptr self) -> tenants_actor::behavior_type {
    auto live = self->state.live;
    self->attach_functor([live](const caf::error&) {
      for (auto& [addr, t] : *live) caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
    });
    self->set_down_handler([self](caf::down_msg& dm) { on_subtree_down(self, dm); });
    if (extension) {
      self->state.ext = extension();
      self->state.ext->start(self);
    }
    return behavior_of(local_handlers(self, svc), forwarded_handlers(self, svc));
  });
  publish(sys, tenants_name(), caf::actor_cast<caf::actor>(tenants));
  return tenants;
}

tenants_actor find_tenants(caf::actor_system& sys) {
  return caf::actor_cast<tenants_actor>(lookup(sys, tenants_name()));
}

caf::actor spawn_placeholder(caf::actor_system& sys, std::string kind) {
  return sys.spawn([kind](caf::event_based_actor* self) -> caf::behavior {
    return {
        [self, kind](info_atom) {
          child_info me;
          me.name = kind;
          me.kind = "placeholder";
          me.state = "running";
          me.mailbox = self->mailbox().size();
          me.detail = "reserved: no agent of this kind runs yet";
          return me;
        },
    };
  });
}

}  // namespace parley::actors
