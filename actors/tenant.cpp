#include "actors/tenant.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <unordered_map>
#include <unordered_set>

#include "actors/conversation/conversation_actor.hpp"
#include "actors/convert.hpp"
#include "actors/escalation/escalation_agent.hpp"
#include "actors/media/media_agent.hpp"
#include "actors/support.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "logic/crash_strikes.hpp"
#include "logic/restart_policy.hpp"
#include "logic/tenant_intake.hpp"
#include "logic/token_bucket.hpp"
#include "messages/cluster.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "messages/media.hpp"
#include "messages/support.hpp"
#include "messages/tenant.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/pool.hpp"
#include "supervisors/introspect.hpp"

namespace parley::actors {

namespace {

using namespace std::chrono_literals;

struct conv_entry {
  conversation_actor handle;
  bool draining = false;
  bool given_up = false;          // crashed too often without a turn: wait for new work
  std::vector<inbound_msg> held;  // arrived while draining: for the next instance
  logic::crash_strikes strikes;
  uint32_t restarts = 0;
  std::string last_error;
  std::unique_ptr<logic::restart_policy> policy;
};

// The tenant's agents, by name.
enum class agent_slot : std::size_t { support, escalation, media };
constexpr std::array<agent_slot, 3> all_agents{agent_slot::support, agent_slot::escalation,
                                               agent_slot::media};

const char* name_of(agent_slot a) {
  switch (a) {
    case agent_slot::support:
      return "support";
    case agent_slot::escalation:
      return "escalation";
    case agent_slot::media:
      return "media";
  }
  return "?";
}

// How an agent fared, for its restarts and for introspection.
struct agent_record {
  caf::actor_addr addr;  // of the running instance; null while it restarts
  uint32_t restarts = 0;
  std::string last_error;
  // An agent that keeps crashing is restarted with a growing delay (1 ms, doubling, at most
  // 1 s), not at once in a tight loop; past 5 restarts in 10 s it waits the longest delay each
  // time. Short, because while it is down the tenant's conversations cannot answer.
  logic::restart_policy policy{logic::strategy::one_for_one, logic::intensity{5, 10s},
                               logic::backoff{1ms, 1000ms, 0.2}};
};

struct tenant_agents {
  support_actor support;
  escalation_actor escalation;
  media_actor media;
  std::array<agent_record, all_agents.size()> records;

  agent_record& record(agent_slot a) { return records[static_cast<std::size_t>(a)]; }
  [[nodiscard]] caf::actor handle(agent_slot a) const {
    switch (a) {
      case agent_slot::support:
        return caf::actor_cast<caf::actor>(support);
      case agent_slot::escalation:
        return caf::actor_cast<caf::actor>(escalation);
      case agent_slot::media:
        return caf::actor_cast<caf::actor>(media);
    }
    return {};
  }
  void forget(agent_slot a) {
    record(a).addr = nullptr;
    switch (a) {
      case agent_slot::support:
        support = nullptr;
        break;
      case agent_slot::escalation:
        escalation = nullptr;
        break;
      case agent_slot::media:
        media = nullptr;
        break;
    }
  }
};

// Private to the tenant (messages to itself), one meaning each.
/// Restart this agent after its backoff.
using agent_restart_atom = caf::atom_constant<caf::atom("agentrst")>;
/// Resume intake from the inbox after backpressure or a rate limit.
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// A page of the inbox read for a replay (and how many were asked for; -1: the read failed).
using replay_page_atom = caf::atom_constant<caf::atom("replaypg")>;

using live_set = std::shared_ptr<std::unordered_map<caf::actor_addr, caf::actor>>;

struct tenant_counters {
  common::counter* messages = nullptr;
  common::counter* api = nullptr;
  common::counter* throttled_messages = nullptr;
  common::counter* throttled_api = nullptr;
  common::counter* conv_restarts = nullptr;
  common::counter* agent_restarts = nullptr;
  common::counter* paused = nullptr;
};

struct tenant_state {
  static inline const char* name = "tenant";
  std::string id;
  services svc;
  tenants_actor router;
  tenant_agents agents;
  std::unordered_map<std::string, conv_entry> convs;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  live_set live = std::make_shared<live_set::element_type>();
  std::unique_ptr<logic::tenant_intake> intake;
  uint64_t handled = 0;
  int idle_checks = 0;
  // API calls over the tenant's budget are refused with Retry-After.
  logic::token_bucket api{10, 600};
  // For conversations created a moment ago, which start without reading PostgreSQL.
  bool settings_loaded = false;
  std::string handoff_message;
  int handoff_hours = 24;
  tenant_counters count;
};

// The public protocol plus what the tenant tells itself: restart an agent or a conversation
// after its backoff, resume intake, a replay page, its settings, an idle check.
using tenant_impl = tenant_actor::extend<
    caf::reacts_to<agent_restart_atom, uint64_t>, caf::reacts_to<restart_atom, std::string>,
    caf::reacts_to<resume_atom>,
    caf::reacts_to<replay_page_atom, std::vector<inbound_msg>, int32_t>,
    caf::reacts_to<settings_atom, int32_t, int32_t, bool, std::string, int32_t>,
    caf::reacts_to<idle_atom>>;
using self_ptr = tenant_impl::stateful_pointer<tenant_state>;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void start_agent(self_ptr self, agent_slot slot) {
  auto& st = self->state;
  auto& sys = self->system();
  switch (slot) {
    case agent_slot::support:
      st.agents.support = spawn_support(sys, st.svc, st.id);
      break;
    case agent_slot::escalation:
      st.agents.escalation = spawn_escalation(sys, st.svc, st.id);
      break;
    case agent_slot::media:
      st.agents.media = spawn_media_agent(sys, st.svc, st.id);
      break;
  }
  auto handle = st.agents.handle(slot);
  self->monitor(handle);
  st.agents.record(slot).addr = handle.address();
  st.live->emplace(handle.address(), handle);
}

conv_entry& start_conversation(self_ptr self, const std::string& conv_id,
                               std::optional<new_conversation> fresh = std::nullopt) {
  auto& st = self->state;
  auto& e = st.convs[conv_id];
  e.handle = spawn_conversation(self->system(), st.svc, caf::actor_cast<tenant_actor>(self), st.id,
                                conv_id, e.strikes.poisoned(st.svc.limit.poison_strikes),
                                e.last_error, std::move(fresh));
  e.draining = false;
  e.given_up = false;
  e.strikes.restarted();
  self->monitor(e.handle);
  st.by_addr[e.handle.address()] = conv_id;
  st.live->emplace(e.handle.address(), caf::actor_cast<caf::actor>(e.handle));
  return e;
}

// A conversation created by this message's intake a moment ago starts from a known snapshot.
// Only a moment ago: a message that took a long way (a forward retried across a partition) may
// find a conversation that has history by now, and then the actor reads it.
std::optional<new_conversation> fresh_start(self_ptr self, const inbound_msg& m) {
  auto& st = self->state;
  auto age_ms = common::unix_ms() - m.received_ms;
  if (!m.new_conversation || !st.settings_loaded || m.received_ms <= 0 || age_ms > 1000)
    return std::nullopt;
  return new_conversation{st.handoff_message, st.handoff_hours};
}

void wake_in(self_ptr self, double seconds) {
  self->delayed_send(self, std::chrono::milliseconds{static_cast<int64_t>(seconds * 1000)},
                     resume_atom::value);
}

// The intake decides whether the message goes on now; if not, it stays in the inbox table and
// a replay brings it back.
void forward(self_ptr self, inbound_msg&& m) {
  auto& st = self->state;
  auto a = st.intake->admit(m.id, m.conversation_id, now_s());
  if (a.throttled) st.count.throttled_messages->inc();
  if (a.paused_now) {
    st.count.paused->inc();
    common::log::get("actors")->warn(
        "tenant {}: {} messages in flight, intake paused (the inbox holds the rest)", st.id,
        st.intake->in_flight());
  }
  if (a.wake_in_s) wake_in(self, *a.wake_in_s);
  if (!a.deliver) return;
  st.count.messages->inc();
  auto it = st.convs.find(m.conversation_id);
  if (it == st.convs.end() || (!it->second.handle && !it->second.draining)) {
    // a pending delayed restart then finds it running
    start_conversation(self, m.conversation_id,
                       it == st.convs.end() ? fresh_start(self, m) : std::nullopt);
    it = st.convs.find(m.conversation_id);
  }
  auto& e = it->second;
  if (e.draining) {
    e.held.push_back(std::move(m));
    return;
  }
  st.intake->delivered(m.conversation_id);
  self->send(e.handle, std::move(m));
}

// Intake resumes when the actors hold little again: replay the inbox from where we paused.
void maybe_resume(self_ptr self) {
  auto& st = self->state;
  auto step = st.intake->maybe_resume(now_s());
  if (step.what == logic::tenant_intake::resume_step::wake) return wake_in(self, step.wake_in_s);
  if (step.what != logic::tenant_intake::resume_step::read_page) return;
  auto me = caf::actor_cast<tenant_impl>(self);
  st.svc.db->submit(
      [me, tenant_id = st.id, after = step.after, limit = step.limit](pqxx::connection& c) {
        std::vector<inbound_msg> out;
        for (auto& s : persistence::unprocessed_for_tenant(c, tenant_id, after, limit))
          out.push_back(to_inbound(std::move(s), 0));
        caf::anon_send(me, replay_page_atom::value, std::move(out), limit);
      },
      [me](const persistence::db_failure&) {
        caf::anon_send(me, replay_page_atom::value, std::vector<inbound_msg>{}, -1);
      });
}

void on_replay_page(self_ptr self, std::vector<inbound_msg>& batch, int32_t limit) {
  auto& intake = *self->state.intake;
  if (limit < 0) {  // database unavailable: try again shortly
    intake.page_failed();
    self->delayed_send(self, 500ms, resume_atom::value);
    return;
  }
  intake.page_started(batch.size(), limit);
  for (auto& m : batch) {
    intake.replayed(m.id);
    forward(self, std::move(m));
    if (intake.paused()) break;  // full again: the rest stays in the inbox
  }
  if (intake.page_done()) maybe_resume(self);
  if (!intake.paused())
    common::log::get("actors")->info("tenant {}: intake resumed", self->state.id);
}

void replay_from_start(self_ptr self) {
  if (self->state.intake->replay_from_start()) maybe_resume(self);
}

// Crashed: restart it after the policy's backoff; its turn's messages take a strike.
void restart_crashed(self_ptr self, conv_entry& e, const std::string& conv_id,
                     const caf::error& reason) {
  auto& st = self->state;
  e.last_error = self->system().render(reason);
  e.strikes.crashed();
  st.count.conv_restarts->inc();
  ++e.restarts;
  common::log::get("actors")->warn("tenant {}: conversation {} crashed ({}), restarting", st.id,
                                   conv_id, e.last_error);
  // Made at the first crash, kept while the entry lives: most conversations never crash,
  // and a policy (its RNG and history) costs ~3 KB.
  if (!e.policy)
    e.policy = std::make_unique<logic::restart_policy>(
        logic::strategy::one_for_one, logic::intensity{5, 10s}, logic::backoff{10ms, 1000ms, 0.2});
  auto d = e.policy->on_child_exit(0, 1, logic::restart_type::permanent, true, logic::clock::now());
  if (d.what == logic::decision::escalate && e.strikes.idle()) {
    // Crashing without even taking a turn: stop trying until new work arrives.
    e.given_up = true;
    return;
  }
  self->delayed_send(self, d.delay, restart_atom::value, conv_id);
}

void on_conversation_down(self_ptr self, const caf::down_msg& dm, const std::string& conv_id) {
  auto& st = self->state;
  auto& e = st.convs[conv_id];
  e.handle = nullptr;
  st.intake->holds(conv_id, 0);
  bool crashed = static_cast<bool>(dm.reason) && !e.draining;
  if (!crashed && e.held.empty()) {
    st.convs.erase(conv_id);
    st.intake->ended(conv_id);
    self->send(st.router, gone_atom::value, conv_id);
    return maybe_resume(self);
  }
  if (crashed) return restart_crashed(self, e, conv_id, dm.reason);
  // Passivated while messages were held for it: a new instance takes them, in order.
  auto held = std::move(e.held);
  auto& fresh = start_conversation(self, conv_id);
  for (auto& m : held) {
    st.intake->delivered(conv_id);
    self->send(fresh.handle, std::move(m));
  }
}

void on_agent_down(self_ptr self, agent_slot slot, const caf::down_msg& dm) {
  auto& st = self->state;
  auto& a = st.agents.record(slot);
  st.agents.forget(slot);
  a.last_error = self->system().render(dm.reason);
  ++a.restarts;
  st.count.agent_restarts->inc();
  auto d = a.policy.on_child_exit(0, 1, logic::restart_type::permanent, true, logic::clock::now());
  auto delay = d.what == logic::decision::escalate ? std::chrono::milliseconds{1000} : d.delay;
  auto lg = common::log::get("actors");
  if (d.what == logic::decision::escalate)
    lg->error("tenant {}: {} agent keeps crashing ({}), restarting in {} ms", st.id, name_of(slot),
              a.last_error, delay.count());
  else
    lg->warn("tenant {}: {} agent ended ({}), restarting in {} ms", st.id, name_of(slot),
             a.last_error, delay.count());
  self->delayed_send(self, delay, agent_restart_atom::value, static_cast<uint64_t>(slot));
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  st.live->erase(dm.source);
  for (auto slot : all_agents)
    if (st.agents.record(slot).addr == dm.source) return on_agent_down(self, slot, dm);
  auto it = st.by_addr.find(dm.source);
  if (it == st.by_addr.end()) return;
  auto conv_id = it->second;
  st.by_addr.erase(it);
  on_conversation_down(self, dm, conv_id);
}

void load_settings(self_ptr self) {
  auto me = caf::actor_cast<tenant_impl>(self);
  auto id = self->state.id;
  self->state.svc.db->submit(
      [me, id](pqxx::connection& c) {
        auto t = persistence::find_tenant(c, id, id);
        if (!t)
          return caf::anon_send(me, settings_atom::value, int32_t{1}, int32_t{1}, false,
                                std::string{}, int32_t{24});
        caf::anon_send(
            me, settings_atom::value, static_cast<int32_t>(t->settings.messages_per_minute),
            static_cast<int32_t>(t->settings.api_requests_per_minute), t->status == "active",
            t->settings.handoff_message, static_cast<int32_t>(t->settings.handoff_hours));
      },
      [id](const persistence::db_failure& why) {
        common::log::get("actors")->warn("tenant {}: cannot load settings (defaults apply): {}", id,
                                         why.what());
      });
}

tenant_counters make_counters(common::metrics_registry& m, const std::string& tenant) {
  tenant_counters c;
  const char* restarts = "Actors restarted after a crash, by kind.";
  c.conv_restarts =
      &m.get_counter("parley_actor_restarts_total", restarts, {{"kind", "conversation"}});
  c.agent_restarts = &m.get_counter("parley_actor_restarts_total", restarts, {{"kind", "agent"}});
  c.paused = &m.get_counter("parley_tenant_intake_paused_total",
                            "Times a tenant paused intake (backpressure).");
  c.messages =
      &m.get_counter("parley_tenant_messages_total",
                     "Inbound messages handed to a tenant's actors.", {{"tenant", tenant}});
  c.api = &m.get_counter("parley_tenant_api_requests_total", "API calls admitted per tenant.",
                         {{"tenant", tenant}});
  const char* throttled = "Messages or API calls over a tenant's rate limit.";
  c.throttled_messages = &m.get_counter("parley_tenant_throttled_total", throttled,
                                        {{"tenant", tenant}, {"kind", "messages"}});
  c.throttled_api = &m.get_counter("parley_tenant_throttled_total", throttled,
                                   {{"tenant", tenant}, {"kind", "api"}});
  return c;
}

void on_settings(self_ptr self, int32_t messages_per_minute, int32_t api_per_minute,
                 const std::string& handoff_message, int32_t handoff_hours) {
  auto& st = self->state;
  st.settings_loaded = true;
  st.handoff_message = handoff_message;
  st.handoff_hours = handoff_hours;
  st.intake->set_budget(messages_per_minute);
  // Bursts of a sixth of a minute's budget; a new budget starts full.
  st.api = logic::token_bucket{api_per_minute / 60.0, std::max(1.0, api_per_minute / 6.0)};
}

caf::result<child_info> describe(self_ptr self) {
  auto& st = self->state;
  child_info me;
  me.name = "tenant/" + st.id;
  me.kind = "tenant";
  me.state = st.intake->paused() ? "paused" : "running";
  me.mailbox = self->mailbox().size();
  me.handled = ++st.handled;
  me.detail = "conversations=" + std::to_string(st.convs.size()) +
              " in_flight=" + std::to_string(st.intake->in_flight());
  std::vector<supervision::named_child> kids;
  for (auto slot : all_agents) {
    auto& a = st.agents.record(slot);
    auto handle = st.agents.handle(slot);
    kids.push_back(
        {name_of(slot), handle, a.restarts, a.last_error, handle ? "running" : "restarting"});
  }
  for (auto& [id, e] : st.convs)
    kids.push_back({"conv/" + id, caf::actor_cast<caf::actor>(e.handle), e.restarts, e.last_error,
                    e.draining ? "passivating"
                    : e.handle ? "running"
                               : "restarting"});
  auto rp = self->make_response_promise();
  supervision::gather_children(self, std::move(me), std::move(kids), rp);
  return rp;
}

// A tenant without conversations frees its subtree; it starts again on demand.
void on_idle_check(self_ptr self) {
  auto& st = self->state;
  if (st.convs.empty() && !st.intake->paused()) {
    if (st.idle_checks++ > 0) return self->quit();  // empty for a whole period
  } else {
    st.idle_checks = 0;
  }
  self->delayed_send(self, st.svc.limit.tenant_idle, idle_atom::value);
}

void start(self_ptr self, services svc, std::string tenant_id, tenants_actor router) {
  auto& st = self->state;
  st.id = std::move(tenant_id);
  st.svc = svc;
  st.router = std::move(router);
  st.intake = std::make_unique<logic::tenant_intake>(svc.limit.tenant_max_in_flight,
                                                     svc.limit.conversation_max_queued);
  st.count = make_counters(*svc.metrics, st.id);
  load_settings(self);
  auto live = st.live;
  self->attach_functor([live](const caf::error&) {
    for (auto& [addr, child] : *live) caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  });
  self->delayed_send(self, svc.limit.tenant_idle, idle_atom::value);
  for (auto slot : all_agents) start_agent(self, slot);
  // Just taken over (cluster): whatever the previous holder left unanswered is in the inbox,
  // and so is everything forwarded while the lease was being acquired. Replay it in order.
  if (st.svc.lease_epoch > 0) replay_from_start(self);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
}

void on_inbound(self_ptr self, inbound_msg& m) {
  ++self->state.handled;
  auto it = self->state.convs.find(m.conversation_id);
  if (it != self->state.convs.end() && it->second.given_up) it->second.given_up = false;
  forward(self, std::move(m));
}

void on_load(self_ptr self, const std::string& conv_id, uint64_t held) {
  auto it = self->state.convs.find(conv_id);
  if (it == self->state.convs.end()) return;
  it->second.strikes.turn_ended();
  self->state.intake->holds(conv_id, held);
  maybe_resume(self);
}

double admit_api_call(self_ptr self) {
  auto& st = self->state;
  if (st.api.try_take(now_s())) {
    st.count.api->inc();
    return 0.0;
  }
  st.count.throttled_api->inc();
  return std::max(0.001, st.api.retry_after(now_s()));
}

void passivate(self_ptr self, const std::string& conv_id) {
  auto it = self->state.convs.find(conv_id);
  if (it == self->state.convs.end() || !it->second.handle || it->second.draining) return;
  it->second.draining = true;
  self->send(it->second.handle, shutdown_atom::value);
}

void restart_agent(self_ptr self, uint64_t slot) {
  if (slot >= all_agents.size()) return;
  auto a = static_cast<agent_slot>(slot);
  if (!self->state.agents.handle(a)) start_agent(self, a);
}

// The broker in front of the agents: conversations ask the tenant, which delegates to the
// running agent. While one restarts after a crash the asker's turn fails at once and is
// retried, instead of a request delegated to nobody that would wait for its timeout.
template <class Answer, class Agent, class... Ts>
caf::result<Answer> broker(self_ptr self, const Agent& agent, Ts&&... xs) {
  if (!agent) return caf::make_error(caf::sec::request_receiver_down);
  return self->delegate(agent, std::forward<Ts>(xs)...);
}

tenant_impl::behavior_type tenant_behavior(self_ptr self) {
  return {
      [self](inbound_msg& m) { on_inbound(self, m); },
      [self](kb_changed_atom a) { self->send(self->state.agents.support, a); },
      [self](changed_atom a) {
        load_settings(self);
        self->send(self->state.agents.escalation, a);
      },
      [self](admit_atom) { return admit_api_call(self); },
      // Work may have been acknowledged elsewhere and never reached us (its node died before
      // forwarding it): replay the inbox from its start; conversations skip what they already
      // hold or answered.
      [self](sweep_atom) { replay_from_start(self); },
      [self](passivate_atom, const std::string& conv_id) { passivate(self, conv_id); },
      [self](turn_atom, const std::string& conv_id, std::vector<int64_t>& ids) {
        auto it = self->state.convs.find(conv_id);
        if (it != self->state.convs.end()) it->second.strikes.turn_started(std::move(ids));
      },
      [self](load_atom, const std::string& conv_id, uint64_t held) {
        on_load(self, conv_id, held);
      },
      [self](ask_atom a, const std::string& question) {
        return broker<support_answer>(self, self->state.agents.support, a, question);
      },
      [self](score_atom a, const std::string& text, double confidence, bool fallback,
             int32_t turns) {
        return broker<escalation_verdict>(self, self->state.agents.escalation, a, text, confidence,
                                          fallback, turns);
      },
      [self](media_atom a, const media_job& job) {
        return broker<std::string>(self, self->state.agents.media, a, job);
      },
      [self](notify_atom a, const std::string& conv, const std::string& customer,
             const escalation_verdict& v) {
        self->send(self->state.agents.escalation, a, conv, customer, v);
      },
      [self](info_atom) { return describe(self); },
      // To itself.
      [self](agent_restart_atom, uint64_t slot) { restart_agent(self, slot); },
      [self](restart_atom, const std::string& conv_id) {
        auto it = self->state.convs.find(conv_id);
        if (it != self->state.convs.end() && !it->second.handle) start_conversation(self, conv_id);
      },
      [self](resume_atom) {
        self->state.intake->woke();
        maybe_resume(self);
      },
      [self](replay_page_atom, std::vector<inbound_msg>& batch, int32_t limit) {
        on_replay_page(self, batch, limit);
      },
      [self](settings_atom, int32_t messages_per_minute, int32_t api_per_minute, bool active,
             const std::string& handoff_message, int32_t handoff_hours) {
        if (!active) return self->quit();  // deleted: its subtree stops; nothing new arrives
        on_settings(self, messages_per_minute, api_per_minute, handoff_message, handoff_hours);
      },
      [self](idle_atom) { on_idle_check(self); },
  };
}

}  // namespace

tenant_actor spawn_tenant(caf::actor_system& sys, services svc, std::string tenant_id,
                          tenants_actor router) {
  return sys.spawn([svc = std::move(svc), tenant_id = std::move(tenant_id),
                    router = std::move(router)](self_ptr self) mutable {
    start(self, std::move(svc), std::move(tenant_id), std::move(router));
    return tenant_behavior(self);
  });
}

}  // namespace parley::actors
