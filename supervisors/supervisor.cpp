#include "supervisors/supervisor.hpp"

#include <caf/all.hpp>

#include "messages/atoms.hpp"
#include "messages/introspection.hpp"
#include "supervisors/introspect.hpp"

namespace parley::supervision {

namespace {

struct child_slot {
  child_spec spec;
  caf::actor handle;
  uint32_t restarts = 0;
  std::string last_error;
  bool removed = false;  // a temporary/transient child that ended for good
};

struct supervisor_state {
  static inline const char* name = "supervisor";
  supervisor_spec spec;
  std::vector<child_slot> children;
  std::unique_ptr<logic::restart_policy> policy;
  bool stopping = false;
  caf::error stop_reason;
  uint64_t handled = 0;
  // Handles shared with attach_functor, which kills the children however we end.
  std::shared_ptr<std::vector<caf::actor>> live = std::make_shared<std::vector<caf::actor>>();
};

using self_ptr = caf::stateful_actor<supervisor_state>*;

void sync_live(self_ptr self) {
  auto& st = self->state;
  st.live->clear();
  for (auto& c : st.children)
    if (c.handle) st.live->push_back(c.handle);
}

void start_child(self_ptr self, std::size_t i) {
  auto& c = self->state.children[i];
  c.handle = c.spec.start(self->system());
  self->monitor(c.handle);
  sync_live(self);
}

// Stops the last running child; the down handler calls us again until none is left.
void stop_next(self_ptr self) {
  auto& st = self->state;
  for (auto i = st.children.rbegin(); i != st.children.rend(); ++i) {
    if (i->handle) {
      self->send_exit(i->handle, caf::exit_reason::user_shutdown);
      return;
    }
  }
  self->quit(st.stop_reason);
}

// A child ended: the policy decides whether it (and which siblings) restart, or we give up.
void on_child_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  auto it = std::find_if(st.children.begin(), st.children.end(), [&](const child_slot& c) {
    return c.handle && c.handle.address() == dm.source;
  });
  if (it == st.children.end()) return;
  auto index = static_cast<std::size_t>(it - st.children.begin());
  it->handle = nullptr;
  sync_live(self);
  if (st.stopping) return stop_next(self);
  bool abnormal = static_cast<bool>(dm.reason) && dm.reason != caf::exit_reason::normal;
  if (abnormal) it->last_error = self->system().render(dm.reason);
  auto d = st.policy->on_child_exit(index, st.children.size(), it->spec.type, abnormal,
                                    logic::clock::now());
  switch (d.what) {
    case logic::decision::ignore:
      it->removed = true;
      return;
    case logic::decision::escalate:
      self->quit(caf::make_error(caf::sec::runtime_error,
                                 st.spec.name + ": restart intensity exceeded (" + it->spec.name +
                                     ": " + it->last_error + ")"));
      return;
    case logic::decision::restart:
      if (st.spec.on_restart) st.spec.on_restart(it->spec.name);
      for (auto i : d.restart_children) {
        auto& c = st.children[i];
        if (i != index && c.handle) {
          self->demonitor(c.handle);
          self->send_exit(c.handle, caf::exit_reason::user_shutdown);
          c.handle = nullptr;
        }
        self->delayed_send(self, d.delay, restart_atom::value, static_cast<uint64_t>(i));
      }
      sync_live(self);
  }
}

std::vector<child_info> children_of(self_ptr self) {
  std::vector<child_info> out;
  for (auto& c : self->state.children) {
    if (c.removed) continue;
    child_info ci;
    ci.name = c.spec.name;
    ci.state = c.handle ? "running" : "restarting";
    ci.restarts = c.restarts;
    ci.last_error = c.last_error;
    out.push_back(std::move(ci));
  }
  return out;
}

caf::result<child_info> describe(self_ptr self) {
  auto& st = self->state;
  ++st.handled;
  child_info me;
  me.name = st.spec.name;
  me.kind = "supervisor";
  me.state = st.stopping ? "stopping" : "running";
  me.mailbox = self->mailbox().size();
  me.handled = st.handled;
  me.detail = "strategy=" + to_string(st.spec.how);
  std::vector<named_child> kids;
  for (auto& c : st.children) {
    if (c.removed) continue;
    kids.push_back(named_child{c.spec.name, c.handle, c.restarts, c.last_error,
                               c.handle ? "running" : "restarting"});
  }
  auto rp = self->make_response_promise<child_info>();
  gather_children(self, std::move(me), std::move(kids), rp);
  return rp;
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, supervisor_spec spec) {
  return sys.spawn([spec = std::move(spec)](self_ptr self) mutable -> caf::behavior {
    auto& st = self->state;
    st.policy = std::make_unique<logic::restart_policy>(spec.how, spec.limits, spec.delays);
    for (auto& c : spec.children) st.children.push_back(child_slot{c, {}, 0, {}, false});
    st.spec = std::move(spec);
    self->attach_functor([live = st.live](const caf::error&) {
      for (auto i = live->rbegin(); i != live->rend(); ++i)
        caf::anon_send_exit(*i, caf::exit_reason::user_shutdown);
    });
    self->set_exit_handler([self](caf::exit_msg& msg) {
      auto& st = self->state;
      if (st.stopping) return;
      st.stopping = true;
      st.stop_reason = msg.reason == caf::exit_reason::kill ? msg.reason : caf::error{};
      stop_next(self);
    });
    self->set_down_handler([self](caf::down_msg& dm) { on_child_down(self, dm); });
    for (std::size_t i = 0; i < st.children.size(); ++i) start_child(self, i);
    return {
        [self](restart_atom, uint64_t i) {
          auto& st = self->state;
          ++st.handled;
          if (st.stopping || i >= st.children.size() || st.children[i].handle) return;
          ++st.children[i].restarts;
          start_child(self, i);
        },
        [self](children_atom) { return children_of(self); },
        [self](info_atom) { return describe(self); },
    };
  });
}

void stop_and_wait(caf::actor_system& sys, const caf::actor& sup) {
  caf::scoped_actor self{sys};
  self->monitor(sup);
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {});
}

}  // namespace parley::supervision
