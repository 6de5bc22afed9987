// The outbox: sends stored bubbles to the channel API.
//
// One per node, child of the root supervisor. Bubbles of one conversation leave strictly in
// order, one at a time (so replies and their bubbles arrive in order); different conversations
// are sent concurrently up to a cap. Transient failures and rate limits are retried with
// exponential backoff and jitter; permanent failures, and the last failed try, become dead
// letters. Every outcome is written to PostgreSQL on a pool thread; HTTP runs on the client's
// own threads and reports back as a message.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <pqxx/pqxx>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "actors/services.hpp"
#include "common/clock.hpp"
#include "io/http_client.hpp"
#include "io/logging.hpp"
#include "io/metrics.hpp"
#include "io/security/secret_box.hpp"
#include "io/whatsapp.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/fair_queue.hpp"
#include "persistence/pool.hpp"
#include "persistence/send_log.hpp"

namespace parley::actors {

namespace {

int64_t now_ms() {
  return common::unix_ms();
}

struct outbox_state {
  static inline const char* name = "outbox";
  std::unordered_map<std::string, std::deque<outbound_msg>> queues;  // by conversation
  std::unordered_set<std::string> busy;                              // conversation in flight
  std::unordered_set<int64_t> known;                                 // queued or in flight
  // Finished lately: their outcome may not be committed yet, so a sweep reading 'pending' rows
  // must not queue them again. A ring allocated once: per-bubble nodes would pin heap pages
  // that malloc_trim must give back after a mass passivation.
  std::vector<int64_t> finished = std::vector<int64_t>(8192, 0);
  std::size_t finished_next = 0;
  // Conversations waiting for a send slot, served round robin by tenant: a tenant that bursts
  // does not hold back the others' replies.
  persistence::fair_queue<std::string, std::string> ready;
  std::size_t in_flight = 0;
  std::mt19937_64 rng{std::random_device{}()};
  io::counter* sent = nullptr;
  io::counter* failed = nullptr;
  io::counter* retried = nullptr;
  io::histogram* e2e = nullptr;
};

using self_ptr = caf::stateful_actor<outbox_state>*;

void start_send(self_ptr self, const services& svc, const std::string& conv);

void pump(self_ptr self, const services& svc) {
  auto& st = self->state;
  while (st.in_flight < svc.outbox.max_in_flight && !st.ready.empty()) {
    auto conv = st.ready.pop();
    if (st.busy.count(conv) || st.queues[conv].empty()) continue;
    start_send(self, svc, conv);
  }
}

void start_send(self_ptr self, const services& svc, const std::string& conv) {
  auto& st = self->state;
  auto& m = st.queues[conv].front();
  st.busy.insert(conv);
  ++st.in_flight;
  io::client_request req;
  req.method = "POST";
  req.url = m.api_base_url + "/" + m.api_version + "/" + m.phone_number_id + "/messages";
  // The token is stored sealed; open it only for the call.
  auto token = svc.secrets ? svc.secrets->open(m.access_token, "channel:" + m.phone_number_id)
                           : std::optional<std::string>{m.access_token};
  req.headers = {{"Authorization", "Bearer " + token.value_or("")},
                 {"Content-Type", "application/json"}};
  req.body = io::whatsapp::build_text_message(m.to, m.text, m.bubble == 0 ? m.reply_to : "");
  req.timeout = svc.outbox.send_timeout;
  auto me = caf::actor_cast<caf::actor>(self);
  auto id = m.id;
  svc.http->request(std::move(req), [me, id, conv](io::client_response res) {
    caf::anon_send(me, result_atom::value, id, conv, static_cast<int32_t>(res.status),
                   std::move(res.body), std::move(res.error));
  });
}

void finish(self_ptr self, const services& svc, const std::string& conv) {
  auto& st = self->state;
  auto& q = st.queues[conv];
  if (!q.empty()) {
    auto id = q.front().id;
    st.known.erase(id);
    st.finished[st.finished_next++ % st.finished.size()] = id;
    q.pop_front();
  }
  st.busy.erase(conv);
  --st.in_flight;
  if (q.empty())
    st.queues.erase(conv);
  else
    st.ready.push(q.front().tenant_id, conv);
  pump(self, svc);
}

void enqueue(self_ptr self, const services& svc, std::vector<outbound_msg>& batch) {
  auto& st = self->state;
  for (auto& m : batch) {
    if (!st.known.insert(m.id).second) continue;  // queued already (recovery overlap)
    auto conv = m.conversation_id;
    auto& q = st.queues[conv];
    q.push_back(std::move(m));
    if (q.size() == 1 && !st.busy.count(conv)) st.ready.push(q.front().tenant_id, conv);
  }
  pump(self, svc);
}

// Outcomes are written in batches by the node's send log (one statement for a batch of "sent"),
// or one pool job each without it.
void record(const services& svc, persistence::send_outcome o) {
  if (svc.sends) return svc.sends->submit(std::move(o));
  svc.db->submit([o](pqxx::connection& c) { persistence::record_outcomes(c, &o, 1); },
                 [](const persistence::db_failure& why) {
                   // The row stays pending and is sent again after a restart: at least once.
                   log::get("actors")->error("outbox: cannot record a send outcome: {}",
                                             why.what());
                 });
}

std::chrono::milliseconds backoff(self_ptr self, const services& svc, int attempt) {
  auto base = svc.outbox.retry_base.count() * (int64_t{1} << std::min(attempt, 16));
  base = std::min<int64_t>(base, svc.outbox.retry_max.count());
  std::uniform_real_distribution<double> jitter{0.8, 1.2};
  return std::chrono::milliseconds{static_cast<int64_t>(base * jitter(self->state.rng))};
}

void on_result(self_ptr self, const services& svc, int64_t id, const std::string& conv,
               int32_t status, const std::string& body, const std::string& transport_error) {
  auto& st = self->state;
  auto qi = st.queues.find(conv);
  if (qi == st.queues.end() || qi->second.empty() || qi->second.front().id != id) return;
  auto& m = qi->second.front();
  auto result = io::whatsapp::parse_send_response(status, body);
  if (status != 0 && result.ok) {
    st.sent->inc();
    if (m.received_ms > 0) st.e2e->observe(static_cast<double>(now_ms() - m.received_ms) / 1000.0);
    record(svc, {persistence::send_outcome::sent, m.tenant_id, id, result.wamid});
    return finish(self, svc, conv);
  }
  std::string error = status == 0
                          ? "transport: " + transport_error
                          : "HTTP " + std::to_string(status) + " code " +
                                std::to_string(result.error.code) + ": " + result.error.message;
  auto kind = io::whatsapp::classify_failure(status, result.error.code);
  ++m.attempts;
  bool retryable =
      kind == io::whatsapp::failure_kind::retry || kind == io::whatsapp::failure_kind::rate_limited;
  if (retryable && m.attempts < svc.outbox.max_attempts) {
    st.retried->inc();
    record(svc, {persistence::send_outcome::attempt, m.tenant_id, id, error});
    self->delayed_send(self, backoff(self, svc, m.attempts - 1), retry_atom::value, conv);
    --st.in_flight;  // the slot is free while we wait; the conversation stays busy
    return;
  }
  st.failed->inc();
  log::get("actors")->warn("outbox: message {} failed for good after {} tries: {}", id, m.attempts,
                           error);
  record(svc, {persistence::send_outcome::dead, m.tenant_id, id, error});
  finish(self, svc, conv);
}

}  // namespace

caf::actor spawn_outbox(caf::actor_system& sys, services svc) {
  return sys.spawn([svc](self_ptr self) -> caf::behavior {
    self->system().registry().put(outbox_name(), caf::actor_cast<caf::strong_actor_ptr>(self));
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
    return {
        [self, svc](resume_atom, std::vector<outbound_msg>& batch) {
          // Bubbles a sweep read as pending: skip those finished lately (rare; a linear scan).
          auto& f = self->state.finished;
          batch.erase(std::remove_if(batch.begin(), batch.end(),
                                     [&f](const outbound_msg& m) {
                                       return std::find(f.begin(), f.end(), m.id) != f.end();
                                     }),
                      batch.end());
          enqueue(self, svc, batch);
        },
        [self, svc](send_atom, std::vector<outbound_msg>& batch) { enqueue(self, svc, batch); },
        [self, svc](result_atom, int64_t id, const std::string& conv, int32_t status,
                    const std::string& body, const std::string& error) {
          on_result(self, svc, id, conv, status, body, error);
        },
        [self, svc](retry_atom, const std::string& conv) {
          auto& st = self->state;
          auto qi = st.queues.find(conv);
          if (qi == st.queues.end() || qi->second.empty()) {
            st.busy.erase(conv);
            return;
          }
          st.busy.erase(conv);
          if (st.in_flight < svc.outbox.max_in_flight)
            start_send(self, svc, conv);
          else
            st.ready.push(qi->second.front().tenant_id, conv);
        },
        [self](cancel_atom, const std::string& conv) {
          // A handed-off conversation: queued bot bubbles (already cancelled in the database)
          // must not leave; the one in flight, if any, cannot be recalled.
          auto& st = self->state;
          auto qi = st.queues.find(conv);
          if (qi == st.queues.end()) return;
          auto& q = qi->second;
          bool head_in_flight = st.busy.count(conv) != 0;
          for (auto it = q.begin() + (head_in_flight ? 1 : 0); it != q.end();) {
            st.known.erase(it->id);
            it = q.erase(it);
          }
          if (q.empty()) st.queues.erase(qi);
        },
        [self](info_atom) {
          auto& st = self->state;
          child_info me;
          me.name = "outbox";
          me.kind = "outbox";
          me.state = "running";
          me.mailbox = self->mailbox().size();
          me.handled = st.sent->value() + st.failed->value();
          me.detail = "pending=" + std::to_string(st.known.size()) +
                      " in_flight=" + std::to_string(st.in_flight) +
                      " conversations=" + std::to_string(st.queues.size());
          return me;
        },
        [self](count_atom) { return static_cast<uint64_t>(self->state.known.size()); },
    };
  });
}

}  // namespace parley::actors
