#include "actors/conversation/conversation_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <unordered_map>

#include "actors/convert.hpp"
#include "actors/outbox.hpp"
#include "channels/whatsapp.hpp"
#include "common/clock.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "logic/conversation_logic.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "messages/local.hpp"
#include "messages/media.hpp"
#include "messages/support.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/pool.hpp"
#include "persistence/reply_writer.hpp"

namespace parley::actors {

namespace {

struct ctx {
  services svc;
  tenant_actor tenant;
  std::string tenant_id;
  std::string conversation_id;
  std::string poison_error;  // why earlier instances crashed, for dead-lettered messages
};

struct conversation_state {
  static inline const char* name = "conversation";
  // Who we are, once per actor: handlers and continuations refer to it (a copy in each of them
  // cost ~5 KB per conversation, with 100,000 of them on a node).
  ctx c;
  std::unique_ptr<logic::conversation_logic> logic;
  uint64_t handled = 0;
  uint64_t turns = 0;
  std::chrono::steady_clock::time_point spawned = std::chrono::steady_clock::now();
  // From the snapshot: escalation needs the conversation's length and the tenant's handoff.
  int customer_turns = 0;
  std::string handoff_message;
  int handoff_hours = 24;
  std::string customer;
  escalation_verdict pending_verdict;            // of the turn being stored
  std::unordered_map<int64_t, media_job> media;  // media messages not yet answered, by inbox id
  int64_t turn_acked_ms = 0;      // when the current turn's last message was acknowledged (e2e)
  bool stranded_checked = false;  // a reply stored: older bubbles of other processes were found
};

// The public protocol plus what the conversation tells itself: its state loaded, a turn stored
// or failed, the burst window's timer, a retry, an idle check.
using conversation_impl = conversation_actor::extend<
    caf::reacts_to<loaded_atom, snapshot_ptr>, caf::reacts_to<stored_atom, outcome_ptr>,
    caf::reacts_to<failed_atom, std::string>, caf::reacts_to<timer_atom, uint64_t>,
    caf::reacts_to<retry_atom>, caf::reacts_to<idle_atom>>;
using self_ptr = conversation_impl::stateful_pointer<conversation_state>;

void act(self_ptr self, const ctx& c, logic::conversation_action a);

// Tells the tenant how many messages we hold, so it can apply backpressure.
void report_load(self_ptr self, const ctx& c) {
  self->send(c.tenant, load_atom::value, c.conversation_id,
             static_cast<uint64_t>(self->state.logic->held()));
}

void maybe_quit(self_ptr self) {
  if (self->state.logic->finished()) self->quit();
}

void store(self_ptr self, const ctx& c, persistence::reply_plan plan) {
  // Only a node that took the tenant over can meet bubbles another process left in the
  // conversation; a single node sends a previous process's at start, before any new answer.
  plan.find_stranded = !self->state.stranded_checked && c.svc.lease_epoch > 0;
  auto me = caf::actor_cast<conversation_impl>(self);
  auto deliver = [me](persistence::reply_outcome outcome) {
    if (!outcome.error.empty()) return caf::anon_send(me, failed_atom::value, outcome.error);
    caf::anon_send(me, stored_atom::value,
                   outcome_ptr{std::make_shared<persistence::reply_outcome>(std::move(outcome))});
  };
  // Many conversations' turns share one transaction (group commit) when the node has a writer.
  if (c.svc.replies) return c.svc.replies->submit(std::move(plan), std::move(deliver));
  c.svc.db->submit([deliver, plan = std::move(plan)](
                       pqxx::connection& conn) { deliver(persistence::store_reply(conn, plan)); },
                   [me](const persistence::db_failure& why) {
                     caf::anon_send(me, failed_atom::value, why.what());
                   });
}

void dead_letter(const ctx& c, std::vector<int64_t> ids) {
  if (ids.empty()) return;
  auto error = "crashed its conversation too often: " + c.poison_error;
  common::log::get("actors")->error("conversation {}: dead-lettering messages {} ({})",
                                    c.conversation_id, ids.front(), error);
  c.svc.db->submit(
      [c, ids, error](pqxx::connection& conn) {
        persistence::dead_letter_inbound(conn, c.tenant_id, c.conversation_id, ids, error);
      },
      [](const persistence::db_failure& why) {
        // They stay 'received' and come back with the next activation.
        common::log::get("actors")->error("cannot dead-letter messages: {}", why.what());
      });
}

persistence::reply_plan plan_for(const ctx& c, const logic::turn& t) {
  persistence::reply_plan plan;
  plan.tenant_id = c.tenant_id;
  plan.conversation_id = c.conversation_id;
  for (const auto& m : t.messages) plan.inbound_ids.push_back(m.id);
  plan.idempotency_key = std::to_string(t.last_id());
  plan.reply_to = t.last_wamid();
  plan.lease_node = c.svc.cluster.node;
  plan.lease_epoch = c.svc.lease_epoch;
  return plan;
}

void fail_turn(self_ptr self, const caf::error& err) {
  caf::anon_send(caf::actor_cast<conversation_impl>(self), failed_atom::value,
                 self->system().render(err));
}

// The answer is ready; the escalation agent decides whether a person takes over instead.
void decide(self_ptr self, const ctx& c, const logic::turn& t, const support_answer& answer) {
  auto turns = static_cast<int32_t>(self->state.customer_turns + 1);
  self->request(c.tenant, std::chrono::seconds{10}, score_atom::value, t.text, answer.confidence,
                answer.fallback, turns)
      .then(
          [self, &c, t, answer](const escalation_verdict& v) {
            auto& st = self->state;
            auto plan = plan_for(c, t);
            plan.confidence = answer.confidence;
            plan.fallback = answer.fallback;
            st.pending_verdict = v;
            auto reply = logic::answer_or_handoff(v.escalate, st.handoff_message, answer.text);
            plan.bubbles = channels::whatsapp::split_bubbles(*reply.text);
            if (reply.handoff) {
              plan.escalate = true;
              plan.handoff_hours = st.handoff_hours;
              plan.priority = v.priority;
              plan.department = v.department;
              common::json_writer w;
              w.begin_object().field("score", v.score).field("priority", v.priority);
              w.field("department", v.department).key("reasons").raw(v.reasons_json).end_object();
              plan.escalation_json = w.take();
            }
            store(self, c, std::move(plan));
          },
          [self](const caf::error& err) { fail_turn(self, err); });
}

void answer(self_ptr self, const ctx& c, const logic::turn& t, const std::string& question) {
  self->request(c.tenant, std::chrono::seconds{10}, ask_atom::value, question)
      .then([self, &c, t](const support_answer& a) { decide(self, c, t, a); },
            [self](const caf::error& err) { fail_turn(self, err); });
}

// Media first, in order: the media agent fetches and describes each one (other conversations
// go on meanwhile); the descriptions join the turn's text before it is answered.
void describe_media_then_answer(self_ptr self, const ctx& c, const logic::turn& t) {
  std::vector<media_job> jobs;
  for (const auto& m : t.messages) {
    auto it = self->state.media.find(m.id);
    if (it != self->state.media.end()) jobs.push_back(it->second);
  }
  if (jobs.empty()) return answer(self, c, t, t.text);
  struct gather {
    std::vector<std::string> descriptions;
    std::size_t waiting;
  };
  auto g = std::make_shared<gather>(gather{std::vector<std::string>(jobs.size()), jobs.size()});
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    auto finish = [self, &c, t, g, i](std::string description) {
      g->descriptions[i] = std::move(description);
      if (--g->waiting > 0) return;
      auto question = t.text;
      for (auto& d : g->descriptions) question += (question.empty() ? "" : "\n") + d;
      for (const auto& m : t.messages) self->state.media.erase(m.id);
      answer(self, c, t, question);
    };
    self->request(c.tenant, std::chrono::minutes{2}, media_atom::value, jobs[i])
        .then([finish](const std::string& d) { finish(d); },
              [finish, job = jobs[i]](const caf::error&) {
                finish("Media (" + job.type + ", could not be processed)");
              });
  }
}

void run_turn(self_ptr self, const ctx& c, logic::turn t) {
  ++self->state.turns;
  self->state.turn_acked_ms = t.messages.empty() ? 0 : t.messages.back().arrived_ms;
  self->send(c.tenant, turn_atom::value, c.conversation_id, plan_for(c, t).inbound_ids);
  if (c.svc.fault_injection && t.text.find("#crash") != std::string::npos)
    throw std::runtime_error("injected fault (parley.fault-injection)");
  if (t.silent) return store(self, c, plan_for(c, t));
  describe_media_then_answer(self, c, t);
}

void remember_media(self_ptr self, const ctx& c, const inbound_msg& m) {
  if (m.media.empty()) return;
  self->state.media[m.id] = media_job{m.id, c.tenant_id, m.channel_id, m.type, m.media};
}

void act(self_ptr self, const ctx& c, logic::conversation_action a) {
  switch (a.what) {
    case logic::conversation_action::none:
      break;
    case logic::conversation_action::arm_timer: {
      auto delay = std::max<int64_t>(0, a.timer_at_ms - common::unix_ms());
      self->delayed_send(self, std::chrono::milliseconds{delay}, timer_atom::value,
                         static_cast<uint64_t>(a.timer_token));
      break;
    }
    case logic::conversation_action::start_turn:
      run_turn(self, c, std::move(a.next));
      break;
  }
}

void on_inbound(self_ptr self, const ctx& c, const inbound_msg& m) {
  ++self->state.handled;
  if (self->state.customer.empty()) self->state.customer = m.customer;
  remember_media(self, c, m);
  auto a = self->state.logic->on_message(
      logic::incoming{m.id, m.type, m.text, m.wamid,
                      m.received_ms ? m.received_ms : common::unix_ms()},
      common::unix_ms());
  if (a.dead_letter) dead_letter(c, {m.id});
  if (a.ignored || a.dead_letter) report_load(self, c);
  act(self, c, std::move(a));
}

void on_loaded(self_ptr self, const ctx& c, const persistence::conversation_snapshot& snap) {
  std::vector<logic::context_line> lines;
  for (const auto& l : snap.context) lines.push_back({l.direction == "in", l.text});
  auto& logic = *self->state.logic;
  self->state.customer_turns = snap.customer_turns;
  self->state.handoff_message = snap.handoff_message;
  self->state.handoff_hours = snap.handoff_hours;
  if (!snap.unprocessed.empty() && self->state.customer.empty())
    self->state.customer = snap.unprocessed.front().customer;
  std::vector<int64_t> poisoned;
  // Messages acknowledged while no instance ran (or before a crash) come first.
  for (const auto& s : snap.unprocessed) {
    auto a = logic.on_message(logic::incoming{s.id, s.type, s.text, s.wamid, common::unix_ms()},
                              common::unix_ms());
    if (a.dead_letter)
      poisoned.push_back(s.id);
    else
      remember_media(self, c, s);
  }
  dead_letter(c, std::move(poisoned));
  act(self, c, logic.on_loaded(snap.override_until_ms, std::move(lines), common::unix_ms()));
}

child_info describe(self_ptr self, const ctx& c) {
  auto& l = *self->state.logic;
  child_info me;
  me.name = "conv/" + c.conversation_id;
  me.kind = "conversation";
  me.state = l.draining() ? "passivating" : l.loaded() ? "running" : "loading";
  me.mailbox = self->mailbox().size();
  me.handled = self->state.handled;
  me.detail = "context=" + std::to_string(l.context().size()) +
              " queued=" + std::to_string(l.queued()) + " busy=" + (l.busy() ? "1" : "0") +
              " turns=" + std::to_string(self->state.turns);
  return me;
}

conversation_impl::behavior_type behavior_of(self_ptr self, const ctx& c) {
  return {
      [self, &c](const inbound_msg& m) { on_inbound(self, c, m); },
      [self, &c](loaded_atom, const snapshot_ptr& snap) {
        c.svc.metrics
            ->get_histogram("parley_conversation_activation_seconds",
                            "From spawning a conversation actor to its state loaded from "
                            "PostgreSQL, in seconds.")
            .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                   self->state.spawned)
                         .count());
        on_loaded(self, c, *snap);
      },
      [self, &c](timer_atom, uint64_t token) {
        act(self, c, self->state.logic->on_timer(token, common::unix_ms()));
      },
      [self, &c](stored_atom, const outcome_ptr& outcome) {
        self->state.stranded_checked = true;
        if (outcome->fenced) {
          // This node lost the tenant's lease: the new holder answers from the inbox.
          common::log::get("actors")->warn("conversation {}: lease epoch {} is gone, stopping",
                                           c.conversation_id, c.svc.lease_epoch);
          return self->quit();
        }
        std::vector<std::string> replies;
        if (!outcome->locked && !outcome->to_send.empty()) {
          std::vector<outbound_msg> out;
          for (const auto& o : outcome->to_send) {
            replies.push_back(o.text);
            out.push_back(to_outbound(o, self->state.turn_acked_ms));
          }
          // Without an outbox the bubbles stay pending in the database and are sent when it
          // (or the node) restarts.
          if (auto outbox = find_outbox(self->system()))
            self->send(outbox, send_atom::value, std::move(out));
        }
        ++self->state.customer_turns;
        if (outcome->escalated)
          self->send(c.tenant, notify_atom::value, c.conversation_id, self->state.customer,
                     self->state.pending_verdict);
        act(self, c, self->state.logic->on_turn_done(replies, common::unix_ms()));
        report_load(self, c);
        maybe_quit(self);
      },
      [self, &c](failed_atom, const std::string& why) {
        common::log::get("actors")->warn("conversation {}: {}; retrying", c.conversation_id, why);
        self->delayed_send(self, std::chrono::seconds{1}, retry_atom::value);
      },
      [self, &c](retry_atom) {
        if (!self->state.logic->loaded()) {
          // The initial load failed: end, and let the tenant start a fresh instance.
          self->quit(caf::make_error(caf::sec::runtime_error, "cannot load the conversation"));
          return;
        }
        act(self, c, self->state.logic->on_turn_failed(common::unix_ms()));
      },
      [self](shutdown_atom) {
        self->state.logic->drain();
        maybe_quit(self);
      },
      [self, &c](info_atom) { return describe(self, c); },
      [self, &c](idle_atom) {
        auto v =
            self->state.logic->on_idle_check(common::unix_ms(), c.svc.conversation_idle.count());
        if (v.passivate) return self->send(c.tenant, passivate_atom::value, c.conversation_id);
        self->delayed_send(self, std::chrono::milliseconds{v.check_again_in_ms}, idle_atom::value);
      },
  };
}

}  // namespace

conversation_actor spawn_conversation(caf::actor_system& sys, services svc, tenant_actor tenant,
                                      std::string tenant_id, std::string conversation_id,
                                      std::vector<int64_t> poison, std::string poison_error,
                                      std::optional<new_conversation> fresh) {
  ctx c{svc, std::move(tenant), std::move(tenant_id), std::move(conversation_id),
        std::move(poison_error)};
  return sys.spawn([init = std::move(c), poison = std::move(poison),
                    fresh](self_ptr self) mutable -> conversation_impl::behavior_type {
    self->state.c = std::move(init);
    const ctx& c = self->state.c;  // the handlers below refer to it, never copy it
    // Keep the exception text in the exit reason (CAF drops it by default).
    self->set_exception_handler([](std::exception_ptr& eptr) -> caf::error {
      try {
        std::rethrow_exception(eptr);
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, e.what());
      } catch (...) {
        return caf::make_error(caf::sec::runtime_error, "unknown exception");
      }
    });
    self->state.logic = std::make_unique<logic::conversation_logic>(
        logic::conversation_settings{c.svc.buffer_window, c.svc.context_size}, std::move(poison),
        common::unix_ms());
    self->delayed_send(self, c.svc.conversation_idle, idle_atom::value);
    if (fresh) {
      // Created a moment ago by the intake of the message that starts us: the snapshot is
      // known without asking PostgreSQL (store_reply still checks the lockout under its lock).
      persistence::conversation_snapshot snap;
      snap.found = true;
      snap.handoff_message = fresh->handoff_message;
      snap.handoff_hours = fresh->handoff_hours;
      on_loaded(self, c, snap);
      return behavior_of(self, c);
    }
    auto me = caf::actor_cast<conversation_impl>(self);
    auto conv_id = c.conversation_id;
    auto tenant_id = c.tenant_id;
    auto context_size = static_cast<int>(c.svc.context_size);
    c.svc.db->submit(
        [me, tenant_id, conv_id, context_size](pqxx::connection& conn) {
          auto snap = persistence::load_conversation(conn, tenant_id, conv_id, context_size);
          caf::anon_send(
              me, loaded_atom::value,
              snapshot_ptr{std::make_shared<persistence::conversation_snapshot>(std::move(snap))});
        },
        [me](const persistence::db_failure& why) {
          caf::anon_send(me, failed_atom::value, why.what());
        });
    return behavior_of(self, c);
  });
}

}  // namespace parley::actors
