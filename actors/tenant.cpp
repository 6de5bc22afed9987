#include "actors/tenant.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <unordered_map>
#include <unordered_set>

#include "actors/conversation/conversation_actor.hpp"
#include "actors/convert.hpp"
#include "actors/escalation/escalation_agent.hpp"
#include "actors/media/media_agent.hpp"
#include "actors/support.hpp"
#include "io/logging.hpp"
#include "io/metrics.hpp"
#include "io/security/token_bucket.hpp"
#include "messages/cluster.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "messages/media.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/pool.hpp"
#include "supervisors/introspect.hpp"
#include "supervisors/restart_policy.hpp"

namespace parley::actors {

namespace {

using namespace std::chrono_literals;

struct conv_entry {
  caf::actor handle;
  bool draining = false;
  bool given_up = false;              // crashed too often without a turn: wait for new work
  std::vector<inbound_msg> held;      // arrived while draining: for the next instance
  std::size_t outstanding = 0;        // messages it holds (its own last report + forwarded since)
  std::vector<int64_t> current_turn;  // ids of the turn it is working on
  std::unordered_map<int64_t, int> strikes;  // crashes per inbound id
  uint32_t restarts = 0;
  std::string last_error;
  std::unique_ptr<supervision::restart_policy> policy;
};

struct agent_entry {
  std::string name;
  caf::actor handle;
  uint32_t restarts = 0;
  std::string last_error;
  // An agent that keeps crashing is restarted with a growing delay (1 ms, doubling, at most
  // 1 s), not at once in a tight loop; past 5 restarts in 10 s it waits the longest delay each
  // time. Short, because while it is down the tenant's conversations cannot answer.
  supervision::restart_policy policy{supervision::strategy::one_for_one,
                                     supervision::intensity{5, 10s},
                                     supervision::backoff{1ms, 1000ms, 0.2}};
};

// The tenant's agents, by name (their order in tenant_state::agents).
enum agent_slot : std::size_t { support_slot = 0, escalation_slot = 1, media_slot = 2 };

// Private to the tenant (messages to itself), one meaning each.
/// Restart the agent in this slot after its backoff.
using agent_restart_atom = caf::atom_constant<caf::atom("agentrst")>;
/// Resume intake from the inbox after backpressure or a rate limit.
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// A page of the inbox read for a replay (and how many were asked for; -1: the read failed).
using replay_page_atom = caf::atom_constant<caf::atom("replaypg")>;

using live_set = std::shared_ptr<std::unordered_map<caf::actor_addr, caf::actor>>;

struct tenant_state {
  static inline const char* name = "tenant";
  std::string id;
  services svc;
  caf::actor router;
  std::vector<agent_entry> agents;  // support first
  std::unordered_map<std::string, conv_entry> convs;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  live_set live = std::make_shared<live_set::element_type>();
  std::size_t in_flight = 0;  // sum of outstanding
  bool paused = false;        // backpressure: forwarding stopped, the inbox holds the work
  bool replaying = false;
  bool dropped_while_replaying = false;
  bool rewind = false;  // a sweep asked to replay the inbox from its start
  int64_t replay_after = 0;
  uint64_t handled = 0;
  int idle_checks = 0;
  // Rate limits (tenant settings): inbound messages are held in the inbox when over budget,
  // API calls are refused with Retry-After.
  io::security::token_bucket messages{10, 600};
  io::security::token_bucket api{10, 600};
  bool resume_scheduled = false;
  // For conversations created a moment ago, which start without reading PostgreSQL.
  bool settings_loaded = false;
  std::string handoff_message;
  int handoff_hours = 24;
  io::counter* messages_total = nullptr;
  io::counter* api_total = nullptr;
  io::counter* throttled_messages = nullptr;
  io::counter* throttled_api = nullptr;
  io::counter* conv_restarts = nullptr;
  io::counter* agent_restarts = nullptr;
  io::counter* paused_total = nullptr;
};

using self_ptr = caf::stateful_actor<tenant_state>*;

caf::actor& agent(self_ptr self, agent_slot slot) {
  return self->state.agents[slot].handle;
}

caf::actor& support(self_ptr self) {
  return agent(self, support_slot);
}

caf::actor start_agent(self_ptr self, agent_entry& a) {
  auto& st = self->state;
  if (a.name == "support")
    a.handle = spawn_support(self->system(), st.svc, st.id);
  else if (a.name == "escalation")
    a.handle = spawn_escalation(self->system(), st.svc, st.id);
  else if (a.name == "media")
    a.handle = spawn_media_agent(self->system(), st.svc, st.id);
  else
    a.handle = spawn_placeholder(self->system(), a.name);
  self->monitor(a.handle);
  st.live->emplace(a.handle.address(), a.handle);
  return a.handle;
}

void set_outstanding(self_ptr self, conv_entry& e, std::size_t n) {
  auto& st = self->state;
  st.in_flight = st.in_flight - std::min(st.in_flight, e.outstanding) + n;
  e.outstanding = n;
}

std::vector<int64_t> poisoned(const conv_entry& e, int strikes) {
  std::vector<int64_t> out;
  for (auto& [id, n] : e.strikes)
    if (n >= strikes) out.push_back(id);
  return out;
}

conv_entry& start_conversation(self_ptr self, const std::string& conv_id,
                               std::optional<new_conversation> fresh = std::nullopt) {
  auto& st = self->state;
  auto& e = st.convs[conv_id];
  e.handle =
      spawn_conversation(self->system(), st.svc, caf::actor_cast<caf::actor>(self), st.id, conv_id,
                         poisoned(e, st.svc.limit.poison_strikes), e.last_error, std::move(fresh));
  e.draining = false;
  e.given_up = false;
  e.current_turn.clear();
  self->monitor(e.handle);
  st.by_addr[e.handle.address()] = conv_id;
  st.live->emplace(e.handle.address(), e.handle);
  return e;
}

void pause(self_ptr self, int64_t from_id) {
  auto& st = self->state;
  if (!st.paused) {
    st.paused = true;
    st.replay_after = from_id - 1;
    st.paused_total->inc();
    log::get("actors")->warn(
        "tenant {}: {} messages in flight, intake paused (the inbox holds the rest)", st.id,
        st.in_flight);
  }
  if (st.replaying) st.dropped_while_replaying = true;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A conversation created by this message's intake a moment ago starts from a known snapshot.
// Only a moment ago: a message that took a long way (a forward retried across a partition) may
// find a conversation that has history by now, and then the actor reads it.
std::optional<new_conversation> fresh_start(self_ptr self, const inbound_msg& m) {
  auto& st = self->state;
  auto age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count() -
                m.received_ms;
  if (!m.new_conversation || !st.settings_loaded || m.received_ms <= 0 || age_ms > 1000)
    return std::nullopt;
  return new_conversation{st.handoff_message, st.handoff_hours};
}

void forward(self_ptr self, inbound_msg&& m) {
  auto& st = self->state;
  auto& lim = st.svc.limit;
  if (st.paused || st.in_flight >= lim.tenant_max_in_flight) return pause(self, m.id);
  if (!st.messages.try_take(now_s())) {
    // Over the tenant's message budget: the message stays in the inbox until there is budget.
    st.throttled_messages->inc();
    pause(self, m.id);
    if (!st.resume_scheduled) {
      st.resume_scheduled = true;
      auto wait = std::max(0.01, st.messages.retry_after(now_s()));
      self->delayed_send(self, std::chrono::milliseconds{static_cast<int64_t>(wait * 1000)},
                         resume_atom::value);
    }
    return;
  }
  st.messages_total->inc();
  auto it = st.convs.find(m.conversation_id);
  if (it != st.convs.end() && it->second.outstanding >= lim.conversation_max_queued)
    return pause(self, m.id);
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
  set_outstanding(self, e, e.outstanding + 1);
  self->send(e.handle, std::move(m));
}

// Intake resumes when the actors hold little again: replay the inbox from where we paused.
void maybe_resume(self_ptr self) {
  auto& st = self->state;
  if (!st.paused || st.replaying || st.in_flight > st.svc.limit.tenant_max_in_flight / 2) return;
  if (st.messages.available(now_s()) < 1) {
    // Out of message budget: come back when there is some (nothing else would wake us).
    if (!st.resume_scheduled) {
      st.resume_scheduled = true;
      auto wait = std::max(0.01, st.messages.retry_after(now_s()));
      self->delayed_send(self, std::chrono::milliseconds{static_cast<int64_t>(wait * 1000)},
                         resume_atom::value);
    }
    return;
  }
  st.replaying = true;
  st.dropped_while_replaying = false;
  auto me = caf::actor_cast<caf::actor>(self);
  auto tenant_id = st.id;
  auto after = st.replay_after;
  auto batch = static_cast<int>(st.svc.limit.tenant_max_in_flight / 2 + 1);
  st.svc.db->submit(
      [me, tenant_id, after, batch](pqxx::connection& c) {
        std::vector<inbound_msg> out;
        for (auto& s : persistence::unprocessed_for_tenant(c, tenant_id, after, batch))
          out.push_back(to_inbound(std::move(s), 0));
        caf::anon_send(me, replay_page_atom::value, std::move(out), batch);
      },
      [me](const persistence::db_failure&) {
        caf::anon_send(me, replay_page_atom::value, std::vector<inbound_msg>{}, -1);
      });
}

void on_resume(self_ptr self, std::vector<inbound_msg>& batch, int32_t limit) {
  auto& st = self->state;
  st.replaying = false;
  if (limit < 0) {  // database unavailable: try again shortly
    self->delayed_send(self, 500ms, resume_atom::value);
    return;
  }
  st.paused = false;
  bool more = static_cast<int32_t>(batch.size()) == limit || st.dropped_while_replaying;
  for (auto& m : batch) {
    st.replay_after = std::max(st.replay_after, m.id);
    forward(self, std::move(m));
    if (st.paused) break;  // full again: the rest stays in the inbox
  }
  if (st.rewind) {
    st.rewind = false;
    st.replay_after = 0;
    more = true;
  }
  if (!st.paused && more) {
    st.paused = true;  // keep new arrivals in the inbox until the replay has caught up
    maybe_resume(self);
  }
  if (!st.paused) log::get("actors")->info("tenant {}: intake resumed", st.id);
}

void on_conversation_down(self_ptr self, const caf::down_msg& dm, const std::string& conv_id) {
  auto& st = self->state;
  auto& e = st.convs[conv_id];
  e.handle = nullptr;
  set_outstanding(self, e, 0);
  bool crashed = static_cast<bool>(dm.reason) && !e.draining;
  if (!crashed && e.held.empty()) {
    st.convs.erase(conv_id);
    self->send(st.router, gone_atom::value, conv_id);
    return maybe_resume(self);
  }
  if (crashed) {
    e.last_error = self->system().render(dm.reason);
    for (auto id : e.current_turn) ++e.strikes[id];
    st.conv_restarts->inc();
    ++e.restarts;
    log::get("actors")->warn("tenant {}: conversation {} crashed ({}), restarting", st.id, conv_id,
                             e.last_error);
    // Made at the first crash, kept while the entry lives: most conversations never crash,
    // and a policy (its RNG and history) costs ~3 KB.
    if (!e.policy)
      e.policy = std::make_unique<supervision::restart_policy>(
          supervision::strategy::one_for_one, supervision::intensity{5, 10s},
          supervision::backoff{10ms, 1000ms, 0.2});
    auto d = e.policy->on_child_exit(0, 1, supervision::restart_type::permanent, true,
                                     supervision::clock::now());
    if (d.what == supervision::decision::escalate && e.current_turn.empty()) {
      // Crashing without even taking a turn: stop trying until new work arrives.
      e.given_up = true;
      return;
    }
    self->delayed_send(self, d.delay, restart_atom::value, conv_id);
    return;
  }
  // Passivated while messages were held for it: a new instance takes them, in order.
  auto held = std::move(e.held);
  auto& fresh = start_conversation(self, conv_id);
  for (auto& m : held) {
    set_outstanding(self, fresh, fresh.outstanding + 1);
    self->send(fresh.handle, std::move(m));
  }
}

void on_agent_down(self_ptr self, std::size_t slot, const caf::down_msg& dm) {
  auto& a = self->state.agents[slot];
  a.handle = nullptr;
  a.last_error = self->system().render(dm.reason);
  ++a.restarts;
  self->state.agent_restarts->inc();
  auto d = a.policy.on_child_exit(0, 1, supervision::restart_type::permanent, true,
                                  supervision::clock::now());
  auto delay =
      d.what == supervision::decision::escalate ? std::chrono::milliseconds{1000} : d.delay;
  auto lg = log::get("actors");
  if (d.what == supervision::decision::escalate)
    lg->error("tenant {}: {} agent keeps crashing ({}), restarting in {} ms", self->state.id,
              a.name, a.last_error, delay.count());
  else
    lg->warn("tenant {}: {} agent ended ({}), restarting in {} ms", self->state.id, a.name,
             a.last_error, delay.count());
  self->delayed_send(self, delay, agent_restart_atom::value, static_cast<uint64_t>(slot));
}

void load_settings(self_ptr self) {
  auto me = caf::actor_cast<caf::actor>(self);
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
        log::get("actors")->warn("tenant {}: cannot load settings (defaults apply): {}", id,
                                 why.what());
      });
}

caf::behavior tenant_actor(self_ptr self, services svc, std::string tenant_id, caf::actor router) {
  auto& st = self->state;
  st.id = std::move(tenant_id);
  st.svc = svc;
  st.router = std::move(router);
  st.conv_restarts = &svc.metrics->get_counter("parley_actor_restarts_total",
                                               "Actors restarted after a crash, by kind.",
                                               {{"kind", "conversation"}});
  st.agent_restarts =
      &svc.metrics->get_counter("parley_actor_restarts_total",
                                "Actors restarted after a crash, by kind.", {{"kind", "agent"}});
  st.paused_total = &svc.metrics->get_counter("parley_tenant_intake_paused_total",
                                              "Times a tenant paused intake (backpressure).");
  io::labels who{{"tenant", st.id}};
  st.messages_total = &svc.metrics->get_counter(
      "parley_tenant_messages_total", "Inbound messages handed to a tenant's actors.", who);
  st.api_total = &svc.metrics->get_counter("parley_tenant_api_requests_total",
                                           "API calls admitted per tenant.", who);
  st.throttled_messages = &svc.metrics->get_counter(
      "parley_tenant_throttled_total", "Messages or API calls over a tenant's rate limit.",
      {{"tenant", st.id}, {"kind", "messages"}});
  st.throttled_api = &svc.metrics->get_counter("parley_tenant_throttled_total",
                                               "Messages or API calls over a tenant's rate limit.",
                                               {{"tenant", st.id}, {"kind", "api"}});
  load_settings(self);
  auto live = st.live;
  self->attach_functor([live](const caf::error&) {
    for (auto& [addr, child] : *live) caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  });
  self->delayed_send(self, svc.limit.tenant_idle, idle_atom::value);
  for (const char* name : {"support", "escalation", "media"}) {
    st.agents.emplace_back();
    st.agents.back().name = name;
    start_agent(self, st.agents.back());
  }
  if (st.svc.lease_epoch > 0) {
    // Just taken over (cluster): whatever the previous holder left unanswered is in the inbox,
    // and so is everything forwarded while the lease was being acquired. Replay it in order.
    st.paused = true;
    st.replay_after = 0;
    maybe_resume(self);
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    st.live->erase(dm.source);
    for (std::size_t i = 0; i < st.agents.size(); ++i)
      if (st.agents[i].handle && st.agents[i].handle.address() == dm.source)
        return on_agent_down(self, i, dm);
    auto it = st.by_addr.find(dm.source);
    if (it == st.by_addr.end()) return;
    auto conv_id = it->second;
    st.by_addr.erase(it);
    on_conversation_down(self, dm, conv_id);
  });
  return {
      [self](inbound_msg& m) {
        ++self->state.handled;
        auto it = self->state.convs.find(m.conversation_id);
        if (it != self->state.convs.end() && it->second.given_up) it->second.given_up = false;
        forward(self, std::move(m));
      },
      [self](agent_restart_atom, uint64_t slot) {
        auto& st = self->state;
        if (slot < st.agents.size() && !st.agents[slot].handle) start_agent(self, st.agents[slot]);
      },
      [self](restart_atom, const std::string& conv_id) {
        auto it = self->state.convs.find(conv_id);
        if (it == self->state.convs.end() || it->second.handle) return;
        start_conversation(self, conv_id);
      },
      [self](turn_atom, const std::string& conv_id, std::vector<int64_t>& ids) {
        auto it = self->state.convs.find(conv_id);
        if (it != self->state.convs.end()) it->second.current_turn = std::move(ids);
      },
      [self](load_atom, const std::string& conv_id, uint64_t held) {
        auto it = self->state.convs.find(conv_id);
        if (it == self->state.convs.end()) return;
        it->second.current_turn.clear();
        set_outstanding(self, it->second, held);
        maybe_resume(self);
      },
      [self](resume_atom) {
        self->state.resume_scheduled = false;
        maybe_resume(self);
      },
      [self](admit_atom) -> double {
        auto& st = self->state;
        if (st.api.try_take(now_s())) {
          st.api_total->inc();
          return 0.0;
        }
        st.throttled_api->inc();
        return std::max(0.001, st.api.retry_after(now_s()));
      },
      [self](changed_atom) {
        load_settings(self);
        self->send(agent(self, escalation_slot), changed_atom::value);
      },
      [self](score_atom, const std::string& text, double confidence, bool fallback,
             int32_t turns) -> caf::result<caf::message> {
        if (!agent(self, escalation_slot)) return caf::make_error(caf::sec::request_receiver_down);
        return self->delegate(agent(self, escalation_slot), score_atom::value, text, confidence,
                              fallback, turns);
      },
      [self](media_atom, const media_job& job) -> caf::result<caf::message> {
        if (!agent(self, media_slot)) return caf::make_error(caf::sec::request_receiver_down);
        return self->delegate(agent(self, media_slot), media_atom::value, job);
      },
      [self](notify_atom, const std::string& conv, const std::string& customer,
             const escalation_verdict& v) {
        self->send(agent(self, escalation_slot), notify_atom::value, conv, customer, v);
      },
      [self](settings_atom, int32_t messages_per_minute, int32_t api_per_minute, bool active,
             const std::string& handoff_message, int32_t handoff_hours) {
        auto& st = self->state;
        if (!active) return self->quit();  // deleted: its subtree stops; nothing new arrives
        st.settings_loaded = true;
        st.handoff_message = handoff_message;
        st.handoff_hours = handoff_hours;
        // Bursts of a sixth of a minute's budget; a new budget starts full.
        st.messages = io::security::token_bucket{messages_per_minute / 60.0,
                                                 std::max(1.0, messages_per_minute / 6.0)};
        st.api =
            io::security::token_bucket{api_per_minute / 60.0, std::max(1.0, api_per_minute / 6.0)};
      },
      [self](replay_page_atom, std::vector<inbound_msg>& batch, int32_t limit) {
        on_resume(self, batch, limit);
      },
      [self](passivate_atom, const std::string& conv_id) {
        auto it = self->state.convs.find(conv_id);
        if (it == self->state.convs.end() || !it->second.handle || it->second.draining) return;
        it->second.draining = true;
        self->send(it->second.handle, shutdown_atom::value);
      },
      [self](ask_atom, const std::string& question) -> caf::result<caf::message> {
        // Restarting after a crash: the asker's turn fails and is retried, instead of a request
        // delegated to nobody that would wait for its timeout.
        if (!support(self)) return caf::make_error(caf::sec::request_receiver_down);
        return self->delegate(support(self), ask_atom::value, question);
      },
      [self](kb_changed_atom) { self->send(support(self), kb_changed_atom::value); },
      [self](sweep_atom) {
        // Work may have been acknowledged elsewhere and never reached us (its node died
        // before forwarding it): replay the inbox from its start; conversations skip what
        // they already hold or answered.
        auto& st = self->state;
        if (st.replaying) {
          st.rewind = true;
          return;
        }
        st.paused = true;
        st.replay_after = 0;
        maybe_resume(self);
      },
      [self](info_atom) -> caf::result<child_info> {
        auto& st = self->state;
        child_info me;
        me.name = "tenant/" + st.id;
        me.kind = "tenant";
        me.state = st.paused ? "paused" : "running";
        me.mailbox = self->mailbox().size();
        me.handled = ++st.handled;
        me.detail = "conversations=" + std::to_string(st.convs.size()) +
                    " in_flight=" + std::to_string(st.in_flight);
        std::vector<supervision::named_child> kids;
        for (auto& a : st.agents)
          kids.push_back(
              {a.name, a.handle, a.restarts, a.last_error, a.handle ? "running" : "restarting"});
        for (auto& [id, e] : st.convs)
          kids.push_back({"conv/" + id, e.handle, e.restarts, e.last_error,
                          e.draining ? "passivating"
                          : e.handle ? "running"
                                     : "restarting"});
        auto rp = self->make_response_promise<child_info>();
        supervision::gather_children(self, std::move(me), std::move(kids), rp);
        return rp;
      },
      [self](idle_atom) {
        // A tenant without conversations frees its subtree; it starts again on demand.
        auto& st = self->state;
        if (st.convs.empty() && !st.paused) {
          if (st.idle_checks++ > 0) return self->quit();  // empty for a whole period
        } else {
          st.idle_checks = 0;
        }
        self->delayed_send(self, st.svc.limit.tenant_idle, idle_atom::value);
      },
  };
}

}  // namespace

caf::actor spawn_tenant(caf::actor_system& sys, services svc, std::string tenant_id,
                        caf::actor router) {
  return sys.spawn(tenant_actor, std::move(svc), std::move(tenant_id), std::move(router));
}

}  // namespace parley::actors
