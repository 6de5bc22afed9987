#include "actors/escalation/escalation_agent.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <ctime>
#include <pqxx/pqxx>

#include "edge/http_client.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/security/secret_box.hpp"
#include "common/signature.hpp"
#include "logic/escalation/escalation_scorer.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/pool.hpp"

namespace parley::actors {

namespace {

using notified_atom = caf::atom_constant<caf::atom("notified")>;

struct escalation_state {
  static inline const char* name = "escalation";
  std::string notify_url;
  std::string notify_secret;  // opened
  uint64_t scored = 0;
  uint64_t escalated = 0;
  uint64_t notified = 0;
  uint64_t notify_failed = 0;
};

// The public protocol plus what the agent tells itself: a notification's HTTP status, its
// retry, the tenant's notification settings loaded.
using escalation_impl =
    escalation_actor::extend<caf::reacts_to<notified_atom, int32_t, std::string, int32_t>,
                             caf::reacts_to<retry_atom, std::string, int32_t>,
                             caf::reacts_to<loaded_atom, std::string, std::string>>;
using self_ptr = escalation_impl::stateful_pointer<escalation_state>;

escalation_verdict to_verdict(const logic::escalation::decision& d) {
  escalation_verdict v;
  v.escalate = d.escalate;
  v.score = d.score;
  v.priority = logic::escalation::to_string(d.level);
  v.department = d.department;
  v.language = d.language;
  common::json_writer w;
  w.begin_array();
  for (const auto& r : d.reasons)
    w.begin_object()
        .field("code", r.code)
        .field("detail", r.detail)
        .field("points", r.points)
        .end_object();
  w.end_array();
  v.reasons_json = w.take();
  return v;
}

std::string now_iso() {
  auto t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void load(self_ptr self, const services& svc, const std::string& tenant_id) {
  auto me = caf::actor_cast<escalation_impl>(self);
  svc.db->submit(
      [me, tenant_id](pqxx::connection& c) {
        auto t = persistence::find_tenant(c, tenant_id, tenant_id);
        if (t)
          caf::anon_send(me, loaded_atom::value, t->settings.notify_url, t->settings.notify_secret);
      },
      [tenant_id](const persistence::db_failure& why) {
        common::log::get("actors")->warn("tenant {}: escalation agent cannot load settings: {}", tenant_id,
                                 why.what());
      });
}

void post(self_ptr self, const services& svc, std::string body, int attempt) {
  auto& st = self->state;
  if (st.notify_url.empty()) return;
  edge::client_request req;
  req.url = st.notify_url;
  req.headers = {{"Content-Type", "application/json"}, {"X-Parley-Event", "escalation.requested"}};
  if (!st.notify_secret.empty())
    req.headers.emplace_back("X-Parley-Signature", common::sign_body(st.notify_secret, body));
  req.body = body;
  req.timeout = svc.outbox.send_timeout;
  auto me = caf::actor_cast<escalation_impl>(self);
  svc.http->request(std::move(req), [me, body, attempt](edge::client_response res) {
    caf::anon_send(me, notified_atom::value, static_cast<int32_t>(res.status), body, attempt);
  });
}

}  // namespace

escalation_actor spawn_escalation(caf::actor_system& sys, services svc, std::string tenant_id) {
  return sys.spawn([svc, tenant_id](self_ptr self) -> escalation_impl::behavior_type {
    load(self, svc, tenant_id);
    return {
        [self](score_atom, const std::string& text, double confidence, bool fallback,
               int32_t customer_turns) {
          logic::escalation::turn_signals s;
          s.text = text;
          s.responder_confidence = confidence;
          s.responder_fallback = fallback;
          s.customer_turns = customer_turns;
          ++self->state.scored;
          auto v = to_verdict(logic::escalation::score(s));
          if (v.escalate) ++self->state.escalated;
          return v;
        },
        [self, svc, tenant_id](notify_atom, const std::string& conversation_id,
                               const std::string& customer, const escalation_verdict& v) {
          common::json_writer w;
          w.begin_object()
              .field("event", "escalation.requested")
              .field("tenant_id", tenant_id)
              .field("conversation_id", conversation_id)
              .field("customer", customer)
              .field("score", v.score)
              .field("priority", v.priority)
              .field("department", v.department)
              .field("language", v.language)
              .key("reasons")
              .raw(v.reasons_json)
              .field("at", now_iso())
              .end_object();
          post(self, svc, w.take(), 1);
        },
        [self, svc](notified_atom, int32_t status, std::string& body, int32_t attempt) {
          auto& st = self->state;
          if (status >= 200 && status < 300) {
            ++st.notified;
            return;
          }
          if (attempt >= svc.outbox.max_attempts) {
            ++st.notify_failed;
            common::log::get("actors")->error("escalation notification failed for good (HTTP {})", status);
            return;
          }
          auto delay = svc.outbox.retry_base * (1 << std::min(attempt - 1, 10));
          self->delayed_send(self, std::min(delay, svc.outbox.retry_max), retry_atom::value,
                             std::move(body), attempt + 1);
        },
        [self, svc](retry_atom, std::string& body, int32_t attempt) {
          post(self, svc, std::move(body), attempt);
        },
        [self, svc](loaded_atom, const std::string& url, const std::string& sealed_secret) {
          auto& st = self->state;
          st.notify_url = url;
          st.notify_secret.clear();
          if (!sealed_secret.empty() && svc.secrets)
            st.notify_secret = svc.secrets->open(sealed_secret).value_or("");
        },
        [self, svc, tenant_id](changed_atom) { load(self, svc, tenant_id); },
        [self](info_atom) {
          auto& st = self->state;
          child_info me;
          me.name = "escalation";
          me.kind = "escalation";
          me.state = "running";
          me.mailbox = self->mailbox().size();
          me.handled = st.scored;
          me.detail = "escalated=" + std::to_string(st.escalated) +
                      " notified=" + std::to_string(st.notified) +
                      " notify_failed=" + std::to_string(st.notify_failed);
          return me;
        },
    };
  });
}

}  // namespace parley::actors
