#include "edge/webhook_routes.hpp"

#include <chrono>

#include "channels/channel_directory.hpp"
#include "channels/whatsapp.hpp"
#include "common/clock.hpp"
#include "common/json_writer.hpp"
#include "common/metrics.hpp"
#include "common/signature.hpp"
#include "edge/http_errors.hpp"
#include "edge/router.hpp"

namespace parley::edge {

namespace {

std::string errors_json(const std::vector<channels::whatsapp::api_error>& errors) {
  if (errors.empty()) return {};
  common::json_writer w;
  w.begin_array();
  for (const auto& e : errors)
    w.begin_object()
        .field("code", e.code)
        .field("title", e.title)
        .field("message", e.message)
        .field("details", e.details)
        .end_object();
  w.end_array();
  return w.take();
}

persistence::ingest_request to_request(const persistence::channel_row& ch, std::string&& raw,
                                       channels::whatsapp::webhook_batch&& batch) {
  persistence::ingest_request r;
  r.tenant_id = ch.tenant_id;
  r.channel_id = ch.id;
  r.raw_body = std::move(raw);
  for (auto& m : batch.messages) {
    persistence::inbound_item item{std::move(m.wamid),
                                   std::move(m.from),
                                   std::move(m.contact_name),
                                   std::move(m.type),
                                   std::move(m.text),
                                   std::move(m.raw),
                                   m.timestamp,
                                   {}};
    if (m.media)
      item.media = {m.media->id, m.media->mime_type, m.media->sha256, m.media->filename,
                    m.media->voice};
    r.messages.push_back(std::move(item));
  }
  for (auto& s : batch.statuses)
    r.statuses.push_back(persistence::status_item{std::move(s.wamid), std::move(s.status),
                                                  errors_json(s.errors), s.timestamp,
                                                  channels::whatsapp::bubble_of(s.callback_data)});
  return r;
}

struct webhook_metrics {
  common::counter* received;
  common::counter* duplicates;
  common::counter* statuses;
  common::counter* rejected;
  common::histogram* ack;
};

void verify(const webhook_deps& deps, http_request&& req, const path_params& p,
            respond_fn respond) {
  auto mode = req.query_param("hub.mode");
  auto token = req.query_param("hub.verify_token");
  auto challenge = req.query_param("hub.challenge");
  deps.channels->find(
      p.get("channel_id"),
      [mode, token, challenge, respond](std::optional<persistence::channel_row> ch) {
        if (!ch) return respond(json_error(404, "unknown_channel", "no such channel"));
        if (mode != "subscribe" || token.empty() || token != ch->verify_token)
          return respond(json_error(403, "verification_failed", "mode or verify token mismatch"));
        respond(http_response{200, "text/plain", challenge, {}});
      },
      [respond](const persistence::db_failure& why) {
        respond(db_failure_response(why, "webhook verification"));
      });
}

void notify(const webhook_deps& deps, const webhook_metrics& m, http_request&& req,
            const path_params& p, respond_fn respond) {
  if (deps.accepting && !deps.accepting())
    return respond(json_error(503, "starting", "the node is starting; retry shortly"));
  auto started = req.received_at;
  auto body = std::make_shared<std::string>(std::move(req.body));
  auto signature = std::string{req.header("x-hub-signature-256")};
  deps.channels->find(
      p.get("channel_id"),
      [deps, m, body, signature, started, respond](std::optional<persistence::channel_row> ch) {
        auto reject = [&](int status, const char* code, std::string msg) {
          m.rejected->inc();
          respond(json_error(status, code, msg));
        };
        if (!ch) return reject(404, "unknown_channel", "no such channel");
        if (signature.empty())
          return reject(401, "missing_signature", "X-Hub-Signature-256 is required");
        if (!common::verify_signature(ch->app_secret, *body, signature))
          return reject(401, "invalid_signature", "X-Hub-Signature-256 does not match the body");
        auto parsed = channels::whatsapp::parse_webhook(*body);
        if (parsed.error != channels::whatsapp::parse_errc::ok)
          return reject(400,
                        parsed.error == channels::whatsapp::parse_errc::invalid_json
                            ? "invalid_json"
                            : "invalid_payload",
                        parsed.message);
        for (const auto& id : parsed.batch.phone_number_ids)
          if (id != ch->phone_number_id)
            return reject(403, "phone_number_mismatch",
                          "metadata.phone_number_id " + id + " does not belong to this channel");
        auto statuses = parsed.batch.statuses.size();
        auto request = to_request(*ch, std::move(*body), std::move(parsed.batch));
        deps.inbox->submit(std::move(request), [deps, m, statuses, started,
                                                respond](persistence::ingest_result r) {
          if (!r.ok) {
            // Not stored (queue full, stopping, or the batch failed): Meta retries a 503.
            respond(db_failure_response(
                persistence::db_failure{persistence::db_errc::unavailable, r.error},
                "webhook intake"));
            return;
          }
          m.received->inc(r.stored.size());
          m.duplicates->inc(r.duplicates);
          m.statuses->inc(statuses);
          common::json_writer w;
          w.begin_object()
              .field("status", "ok")
              .field("stored", static_cast<uint64_t>(r.stored.size()))
              .field("duplicates", static_cast<uint64_t>(r.duplicates))
              .end_object();
          respond(json_ok(200, w.take()));
          m.ack->observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
          if (!r.stored.empty() && deps.dispatch)
            deps.dispatch(std::move(r.stored), common::unix_ms());
        });
      },
      [respond](const persistence::db_failure& why) {
        respond(db_failure_response(why, "webhook channel lookup"));
      });
}

}  // namespace

void add_webhook_routes(router& r, webhook_deps deps) {
  auto& reg = *deps.metrics;
  webhook_metrics m{
      &reg.get_counter("parley_messages_received_total", "Inbound messages stored (new)."),
      &reg.get_counter("parley_messages_duplicate_total",
                       "Inbound messages dropped as duplicates."),
      &reg.get_counter("parley_statuses_received_total", "Status updates received."),
      &reg.get_counter("parley_webhooks_rejected_total", "Webhook requests refused (4xx)."),
      &reg.get_histogram("parley_webhook_ack_seconds",
                         "From request received to durable acknowledgement, in seconds.")};
  r.add("GET", "/webhooks/whatsapp/{channel_id}",
        [deps](http_request&& req, const path_params& p, respond_fn respond) {
          verify(deps, std::move(req), p, std::move(respond));
        });
  r.add("POST", "/webhooks/whatsapp/{channel_id}",
        [deps, m](http_request&& req, const path_params& p, respond_fn respond) {
          notify(deps, m, std::move(req), p, std::move(respond));
        });
}

}  // namespace parley::edge
