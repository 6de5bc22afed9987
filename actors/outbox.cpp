// The outbox: sends stored bubbles to the channel API.
//
// One per node, child of the root supervisor. Bubbles of one conversation leave strictly in
// order, one at a time (so replies and their bubbles arrive in order); different conversations
// are sent concurrently up to a cap. Transient failures and rate limits are retried with
// exponential backoff and jitter; permanent failures, and the last failed try, become dead
// letters. Every outcome is written to PostgreSQL on a pool thread; HTTP runs on the client's
// own threads and reports back as a message.
#include "actors/outbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <random>

#include "channels/channel_directory.hpp"
#include "channels/whatsapp.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "edge/http_client.hpp"
#include "logic/outbox_queue.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/pool.hpp"
#include "persistence/send_log.hpp"

namespace parley::actors {

namespace {

/// Private: the channel of a conversation's head bubble was looked up (found or not).
using resolved_atom = caf::atom_constant<caf::atom("resolved")>;
/// Private: an uncertain head waited long enough for its status; settle or claim it now.
using verify_atom = caf::atom_constant<caf::atom("verify")>;
/// Private: the claim of an uncertain head was tried (true: ours to send; false: settled).
using claimed_atom = caf::atom_constant<caf::atom("claimed")>;

struct outbox_state {
  static inline const char* name = "outbox";
  std::optional<logic::outbox_queue> queue;  // made at spawn, with the configured cap
  std::mt19937_64 rng{std::random_device{}()};
  common::counter* sent = nullptr;
  common::counter* failed = nullptr;
  common::counter* retried = nullptr;
  common::histogram* e2e = nullptr;
  uint64_t uncertain = 0;  // heads of another process waited for (see settle_later)
  uint64_t settled = 0;    // of those, found sent or claimed elsewhere: not sent here
};

// The public protocol plus what the outbox tells itself: a send's HTTP result, a retry due.
using outbox_impl = outbox_actor::extend<
    caf::reacts_to<result_atom, int64_t, std::string, int32_t, std::string, std::string>,
    caf::reacts_to<retry_atom, std::string>,
    caf::reacts_to<resolved_atom, std::string, int64_t, bool>,
    caf::reacts_to<verify_atom, std::string, int64_t>,
    caf::reacts_to<claimed_atom, std::string, int64_t, bool>>;
using self_ptr = outbox_impl::stateful_pointer<outbox_state>;

// Test-only fault switch (parley.fault-injection): the first bubble answering a message whose
// wamid contains "#outbox-down" crashes the outbox, once per process.
void maybe_crash(const services& svc, const outbound_msg& m) {
  static std::atomic<bool> crashed{false};
  if (svc.fault_injection && m.reply_to.find("#outbox-down") != std::string::npos &&
      !crashed.exchange(true))
    throw std::runtime_error("fault injection: the outbox crashed");
}

// A restarted outbox lost the bubbles its predecessor held: they are pending in the database.
void reload_pending(self_ptr self, const services& svc) {
  auto me = caf::actor_cast<outbox_impl>(self);
  svc.db->submit(
      [me](pqxx::connection& c) {
        auto pending = persistence::pending_outbox(c);
        if (!pending.empty()) caf::anon_send(me, requeue_atom::value, std::move(pending));
      },
      [](const persistence::db_failure& why) {
        common::log::get("actors")->error("outbox: cannot reload pending bubbles: {}", why.what());
      });
}

// A channel this node has not seen (created through another node): ask the directory, which
// reads it from the database, then try the send again.
void look_up_channel(self_ptr self, const services& svc, const std::string& conv, int64_t id,
                     const std::string& channel_id) {
  auto me = caf::actor_cast<outbox_impl>(self);
  if (!svc.channels) return caf::anon_send(me, resolved_atom::value, conv, id, false);
  svc.channels->find(
      channel_id,
      [me, conv, id](std::optional<persistence::channel_row> ch) {
        caf::anon_send(me, resolved_atom::value, conv, id, ch.has_value());
      },
      [me, conv, id](const persistence::db_failure& why) {
        caf::anon_send(me, result_atom::value, id, conv, int32_t{0}, std::string{},
                       "channel lookup: " + why.what());
      });
}

// A bubble another process stored may have been accepted by the channel API just before that
// process died, its "sent" mark lost. Its status webhook names it (biz_opaque_callback_data)
// and marks the row; so wait for it (the head holds no slot meanwhile and nothing of its
// conversation overtakes it), then claim what is still pending, unmarked and unclaimed.
void settle_later(self_ptr self, const services& svc, const std::string& conv, int64_t id) {
  self->state.queue->defer(conv, id);
  ++self->state.uncertain;
  self->delayed_send(self, svc.outbox.uncertain_wait, verify_atom::value, conv, id);
}

void verify(self_ptr self, const services& svc, const std::string& conv, int64_t id) {
  auto* head = self->state.queue->head(conv);
  if (head == nullptr || head->id != id) return;  // cancelled meanwhile
  auto me = caf::actor_cast<outbox_impl>(self);
  auto tenant = head->tenant_id;
  auto previous = head->sender;
  svc.db->submit(
      [me, conv, id, tenant, previous](pqxx::connection& c) {
        bool ours =
            persistence::claim_bubble(c, tenant, id, previous, common::process_incarnation());
        caf::anon_send(me, claimed_atom::value, conv, id, ours);
      },
      [me, conv, id, svc](const persistence::db_failure& why) {
        common::log::get("actors")->warn("outbox: cannot claim bubble {}: {}", id, why.what());
        caf::delayed_anon_send(me, svc.outbox.uncertain_wait, verify_atom::value, conv, id);
      });
}

void on_claimed(self_ptr self, const services& svc, const std::string& conv, int64_t id, bool ours);

void start_send(self_ptr self, const services& svc, const std::string& conv) {
  auto& m = *self->state.queue->head(conv);
  if (self->state.queue->uncertain(m)) return settle_later(self, svc, conv, m.id);
  maybe_crash(svc, m);
  // The sender resolves the channel's sending details itself (tokens opened in memory).
  auto ch = svc.channels ? svc.channels->cached(m.channel_id) : std::nullopt;
  if (!ch) return look_up_channel(self, svc, conv, m.id, m.channel_id);
  edge::client_request req;
  req.method = "POST";
  req.url = ch->api_base_url + "/" + ch->api_version + "/" + ch->phone_number_id + "/messages";
  req.headers = {{"Authorization", "Bearer " + ch->access_token},
                 {"Content-Type", "application/json"}};
  req.body = channels::whatsapp::build_text_message(m.to, m.text, m.bubble == 0 ? m.reply_to : "",
                                                    channels::whatsapp::bubble_key(m.id));
  req.timeout = svc.outbox.send_timeout;
  auto me = caf::actor_cast<outbox_impl>(self);
  auto id = m.id;
  svc.http->request(std::move(req), [me, id, conv](edge::client_response res) {
    caf::anon_send(me, result_atom::value, id, conv, static_cast<int32_t>(res.status),
                   std::move(res.body), std::move(res.error));
  });
}

void pump(self_ptr self, const services& svc) {
  for (const auto& conv : self->state.queue->take_sends()) start_send(self, svc, conv);
}

// Outcomes are written in batches by the node's send log (one statement for a batch of "sent"),
// or one pool job each without it.
void record(const services& svc, persistence::send_outcome o) {
  if (svc.sends) return svc.sends->submit(std::move(o));
  svc.db->submit([o](pqxx::connection& c) { persistence::record_outcomes(c, &o, 1); },
                 [](const persistence::db_failure& why) {
                   // The row stays pending and is sent again after a restart: at least once.
                   common::log::get("actors")->error("outbox: cannot record a send outcome: {}",
                                                     why.what());
                 });
}

std::chrono::milliseconds backoff(self_ptr self, const services& svc, int attempt) {
  auto base = svc.outbox.retry_base.count() * (int64_t{1} << std::min(attempt, 16));
  base = std::min<int64_t>(base, svc.outbox.retry_max.count());
  std::uniform_real_distribution<double> jitter{0.8, 1.2};
  return std::chrono::milliseconds{static_cast<int64_t>(base * jitter(self->state.rng))};
}

void fail_for_good(self_ptr self, const services& svc, const std::string& conv,
                   const outbound_msg& m, const std::string& error) {
  auto& st = self->state;
  st.failed->inc();
  common::log::get("actors")->warn("outbox: message {} failed for good after {} tries: {}", m.id,
                                   m.attempts, error);
  record(svc, {persistence::send_outcome::dead, m.tenant_id, m.id, error});
  st.queue->finish(conv, m.id);
  pump(self, svc);
}

void on_result(self_ptr self, const services& svc, int64_t id, const std::string& conv,
               int32_t status, const std::string& body, const std::string& transport_error) {
  auto& st = self->state;
  auto* head = st.queue->head(conv);
  if (head == nullptr || head->id != id) return;  // stale: cancelled or finished meanwhile
  auto& m = *head;
  auto result = channels::whatsapp::parse_send_response(status, body);
  if (status != 0 && result.ok) {
    st.sent->inc();
    if (m.received_ms > 0)
      st.e2e->observe(static_cast<double>(common::unix_ms() - m.received_ms) / 1000.0);
    record(svc, {persistence::send_outcome::sent, m.tenant_id, id, result.wamid});
    st.queue->finish(conv, id);
    return pump(self, svc);
  }
  std::string error = status == 0
                          ? "transport: " + transport_error
                          : "HTTP " + std::to_string(status) + " code " +
                                std::to_string(result.error.code) + ": " + result.error.message;
  auto kind = channels::whatsapp::classify_failure(status, result.error.code);
  ++m.attempts;
  bool retryable = kind == channels::whatsapp::failure_kind::retry ||
                   kind == channels::whatsapp::failure_kind::rate_limited;
  if (retryable && m.attempts < svc.outbox.max_attempts) {
    st.retried->inc();
    record(svc, {persistence::send_outcome::attempt, m.tenant_id, id, error});
    self->delayed_send(self, backoff(self, svc, m.attempts - 1), retry_atom::value, conv);
    st.queue->defer(conv, id);  // the slot is free while we wait; the conversation stays busy
    return pump(self, svc);
  }
  fail_for_good(self, svc, conv, m, error);
}

// The channel of the head was looked up: send it now, or dead-letter it when the channel is gone.
void on_resolved(self_ptr self, const services& svc, const std::string& conv, int64_t id,
                 bool found) {
  auto* head = self->state.queue->head(conv);
  if (head == nullptr || head->id != id) return;  // cancelled meanwhile
  if (found) return start_send(self, svc, conv);
  fail_for_good(self, svc, conv, *head, "channel " + head->channel_id + " not found");
}

void on_claimed(self_ptr self, const services& svc, const std::string& conv, int64_t id,
                bool ours) {
  auto& st = self->state;
  auto* head = st.queue->head(conv);
  if (head == nullptr || head->id != id) return;
  if (!ours) {
    // Sent by its first sender (its status came), claimed by another node, or cancelled.
    ++st.settled;
    st.queue->settle(conv, id);
    return pump(self, svc);
  }
  head->sender = common::process_incarnation();
  if (st.queue->retry_due(conv)) start_send(self, svc, conv);
}

}  // namespace

outbox_actor find_outbox(caf::actor_system& sys) {
  return caf::actor_cast<outbox_actor>(sys.registry().get(outbox_name()));
}

outbox_actor spawn_outbox(caf::actor_system& sys, services svc, bool restarted) {
  auto outbox = sys.spawn([svc, restarted](self_ptr self) -> outbox_impl::behavior_type {
    // In a cluster the placement sweep requeues the pending bubbles of the tenants this node
    // owns (reading every tenant's here would send other nodes' bubbles a second time).
    if (restarted && svc.cluster.view == nullptr) reload_pending(self, svc);
    auto& st = self->state;
    st.sent = &svc.metrics->get_counter("parley_replies_sent_total",
                                        "Bubbles accepted by the channel API.");
    st.failed = &svc.metrics->get_counter("parley_replies_failed_total",
                                          "Bubbles that became dead letters.");
    st.retried = &svc.metrics->get_counter("parley_replies_retried_total",
                                           "Send attempts that will be retried.");
    st.e2e = &svc.metrics->get_histogram(
        "parley_reply_e2e_seconds",
        "From webhook acknowledgement to the reply accepted by the channel API.");
    st.queue.emplace(svc.outbox.max_in_flight, 8192, common::process_incarnation());
    return {
        [self, svc](requeue_atom, std::vector<outbound_msg>& batch) {
          // Bubbles a sweep read as pending.
          self->state.queue->add(std::move(batch));
          pump(self, svc);
        },
        [self, svc](send_atom, std::vector<outbound_msg>& batch) {
          self->state.queue->add(std::move(batch));
          pump(self, svc);
        },
        [self, svc](result_atom, int64_t id, const std::string& conv, int32_t status,
                    const std::string& body, const std::string& error) {
          on_result(self, svc, id, conv, status, body, error);
        },
        [self, svc](resolved_atom, const std::string& conv, int64_t id, bool found) {
          on_resolved(self, svc, conv, id, found);
        },
        [self, svc](verify_atom, const std::string& conv, int64_t id) {
          verify(self, svc, conv, id);
        },
        [self, svc](claimed_atom, const std::string& conv, int64_t id, bool ours) {
          on_claimed(self, svc, conv, id, ours);
        },
        [self, svc](retry_atom, const std::string& conv) {
          if (self->state.queue->retry_due(conv)) start_send(self, svc, conv);
        },
        [self](cancel_atom, const std::string& conv) {
          // A handed-off conversation: queued bot bubbles (already cancelled in the database)
          // must not leave; the one in flight, if any, cannot be recalled.
          self->state.queue->cancel(conv);
        },
        [self](info_atom) {
          auto& st = self->state;
          child_info me;
          me.name = "outbox";
          me.kind = "outbox";
          me.state = "running";
          me.mailbox = self->mailbox().size();
          me.handled = st.sent->value() + st.failed->value();
          me.detail = "pending=" + std::to_string(st.queue->pending()) +
                      " in_flight=" + std::to_string(st.queue->in_flight()) +
                      " conversations=" + std::to_string(st.queue->conversations()) +
                      " uncertain=" + std::to_string(st.uncertain) +
                      " settled=" + std::to_string(st.settled) +
                      " overtaken=" + std::to_string(st.queue->overtaken());
          return me;
        },
        [self](count_atom) { return static_cast<uint64_t>(self->state.queue->pending()); },
    };
  });
  publish(sys, outbox_name(), caf::actor_cast<caf::actor>(outbox));
  return outbox;
}

}  // namespace parley::actors
