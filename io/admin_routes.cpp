#include "io/admin_routes.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <memory>
#include <pqxx/pqxx>

#include "io/channel_directory.hpp"
#include "io/json_body.hpp"
#include "io/json_writer.hpp"
#include "io/router.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/pool.hpp"

namespace parley::io {

namespace {

using persistence::channel_row;

constexpr std::size_t max_text = 100 * 1024;

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Runs `work` on the pool; a database failure answers 503.
void on_db(const admin_deps& deps, respond_fn respond,
           std::function<http_response(pqxx::connection&)> work) {
  deps.db->submit([respond, work = std::move(work)](pqxx::connection& c) { respond(work(c)); },
                  [respond](const std::string& why) {
                    respond(json_error(503, "unavailable", "database unavailable: " + why));
                  });
}

// Wraps a handler with the admin token check and JSON body parsing for POSTs.
router::handler admin(const admin_deps& deps,
                      std::function<void(http_request&&, const path_params&, respond_fn)> h) {
  return [deps, h = std::move(h)](http_request&& req, const path_params& p, respond_fn respond) {
    if (!bearer_matches(req.header("authorization"), deps.admin_token))
      return respond(json_error(401, "unauthorized", "a valid admin bearer token is required"));
    h(std::move(req), p, std::move(respond));
  };
}

std::optional<json_fields> body_or_400(const http_request& req, respond_fn& respond) {
  std::string error;
  auto fields = parse_object(req.body, error);
  if (!fields) respond(json_error(400, "invalid_json", error));
  return fields;
}

// A required string field, trimmed, within [1, max] bytes; answers 400 otherwise.
std::optional<std::string> required(const json_fields& f, const std::string& key, std::size_t max,
                                    respond_fn& respond) {
  auto v = f.get(key);
  if (!v) {
    respond(json_error(400, "invalid_field",
                       f.has(key) ? key + " must be a string" : key + " is required"));
    return std::nullopt;
  }
  auto t = trim(*v);
  if (t.empty() || t.size() > max) {
    respond(json_error(400, "invalid_field",
                       key + " must be between 1 and " + std::to_string(max) + " bytes"));
    return std::nullopt;
  }
  return t;
}

std::string channel_json(const channel_row& ch) {
  json_writer w;
  w.begin_object()
      .field("id", ch.id)
      .field("tenant_id", ch.tenant_id)
      .field("type", ch.type)
      .field("phone_number_id", ch.phone_number_id)
      .field("api_base_url", ch.api_base_url)
      .field("api_version", ch.api_version)
      .field("webhook_path", "/webhooks/whatsapp/" + ch.id)
      .field("created_at", ch.created_at)
      .end_object();
  return w.take();
}

bool all_digits(const std::string& s) {
  for (unsigned char c : s)
    if (!std::isdigit(c)) return false;
  return !s.empty();
}

bool valid_version(const std::string& v) {
  // v21.0 style
  if (v.size() < 4 || v[0] != 'v') return false;
  auto dot = v.find('.');
  return dot != std::string::npos && all_digits(v.substr(1, dot - 1)) &&
         all_digits(v.substr(dot + 1));
}

void create_tenant(const admin_deps& deps, http_request&& req, const path_params&,
                   respond_fn respond) {
  auto f = body_or_400(req, respond);
  if (!f) return;
  auto name = required(*f, "name", 200, respond);
  if (!name) return;
  on_db(deps, respond, [name = *name](pqxx::connection& c) {
    auto t = persistence::create_tenant(c, name);
    json_writer w;
    w.begin_object().field("id", t.id).field("name", t.name).field("created_at", t.created_at);
    w.end_object();
    return json_ok(201, w.take());
  });
}

void create_channel(const admin_deps& deps, http_request&& req, const path_params& p,
                    respond_fn respond) {
  auto f = body_or_400(req, respond);
  if (!f) return;
  channel_row ch;
  ch.tenant_id = p.get("tenant_id");
  if (auto type = f->get("type"); type && *type != "whatsapp")
    return respond(json_error(400, "invalid_field", "type must be \"whatsapp\""));
  auto phone = required(*f, "phone_number_id", 64, respond);
  if (!phone) return;
  if (!all_digits(*phone))
    return respond(json_error(400, "invalid_field", "phone_number_id must be digits"));
  auto secret = required(*f, "app_secret", 512, respond);
  if (!secret) return;
  auto verify = required(*f, "verify_token", 512, respond);
  if (!verify) return;
  auto token = required(*f, "access_token", 4096, respond);
  if (!token) return;
  ch.phone_number_id = *phone;
  ch.app_secret = *secret;
  ch.verify_token = *verify;
  ch.access_token = *token;
  if (f->has("api_base_url")) {
    auto url = required(*f, "api_base_url", 2048, respond);
    if (!url) return;
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
      return respond(
          json_error(400, "invalid_field", "api_base_url must start with http:// or https://"));
    while (!url->empty() && url->back() == '/') url->pop_back();
    ch.api_base_url = *url;
  }
  if (f->has("api_version")) {
    auto v = required(*f, "api_version", 16, respond);
    if (!v) return;
    if (!valid_version(*v))
      return respond(json_error(400, "invalid_field", "api_version must look like v21.0"));
    ch.api_version = *v;
  }
  auto* channels = deps.channels;
  on_db(deps, respond, [ch, channels](pqxx::connection& c) {
    if (!persistence::find_tenant(c, ch.tenant_id))
      return json_error(404, "not_found", "no tenant " + ch.tenant_id);
    auto created = persistence::create_channel(c, ch);
    if (!created)
      return json_error(409, "conflict",
                        "phone_number_id " + ch.phone_number_id + " is already connected");
    channels->put(*created);
    return json_ok(201, channel_json(*created));
  });
}

void add_knowledge(const admin_deps& deps, http_request&& req, const path_params& p,
                   respond_fn respond) {
  auto f = body_or_400(req, respond);
  if (!f) return;
  persistence::knowledge_row k;
  k.tenant_id = p.get("tenant_id");
  bool faq = f->has("question") || f->has("answer");
  if (faq && (f->has("title") || f->has("content")))
    return respond(
        json_error(400, "invalid_field", "give either title and content, or question and answer"));
  auto title = required(*f, faq ? "question" : "title", 1000, respond);
  if (!title) return;
  auto content = required(*f, faq ? "answer" : "content", max_text, respond);
  if (!content) return;
  k.kind = faq ? "faq" : "article";
  k.title = *title;
  k.content = *content;
  auto changed = deps.knowledge_changed;
  on_db(deps, respond, [k, changed](pqxx::connection& c) {
    if (!persistence::find_tenant(c, k.tenant_id))
      return json_error(404, "not_found", "no tenant " + k.tenant_id);
    auto row = persistence::add_knowledge(c, k);
    if (changed) changed(row.tenant_id);
    json_writer w;
    w.begin_object().field("id", row.id).field("tenant_id", row.tenant_id).field("kind", row.kind);
    w.end_object();
    return json_ok(201, w.take());
  });
}

int limit_param(const http_request& req, int fallback, int max) {
  auto v = req.query_param("limit");
  if (v.empty() || v.size() > 6 || !all_digits(v)) return fallback;
  return std::max(1, std::min(max, std::stoi(v)));
}

void list_conversations(const admin_deps& deps, http_request&& req, const path_params& p,
                        respond_fn respond) {
  auto tenant_id = p.get("tenant_id");
  auto limit = limit_param(req, 100, 1000);
  on_db(deps, respond, [tenant_id, limit](pqxx::connection& c) {
    if (!persistence::find_tenant(c, tenant_id))
      return json_error(404, "not_found", "no tenant " + tenant_id);
    json_writer w;
    w.begin_object().key("conversations").begin_array();
    for (const auto& cv : persistence::tenant_conversations(c, tenant_id, limit)) {
      w.begin_object()
          .field("id", cv.id)
          .field("tenant_id", cv.tenant_id)
          .field("channel_id", cv.channel_id)
          .field("customer", cv.customer)
          .field("customer_name", cv.customer_name)
          .field("created_at", cv.created_at)
          .field("last_message_at", cv.last_message_at);
      w.key("human_override_until");
      if (cv.human_override_until.empty())
        w.null();
      else
        w.value(cv.human_override_until);
      w.end_object();
    }
    w.end_array().end_object();
    return json_ok(200, w.take());
  });
}

void list_messages(const admin_deps& deps, http_request&& req, const path_params& p,
                   respond_fn respond) {
  auto conv_id = p.get("conversation_id");
  auto limit = limit_param(req, 1000, 10000);
  on_db(deps, respond, [conv_id, limit](pqxx::connection& c) {
    if (!persistence::find_conversation(c, conv_id))
      return json_error(404, "not_found", "no conversation " + conv_id);
    json_writer w;
    w.begin_object().field("conversation_id", conv_id).key("messages").begin_array();
    auto opt = [&w](const char* k, const std::string& v) {
      w.key(k);
      if (v.empty())
        w.null();
      else
        w.value(v);
    };
    for (const auto& m : persistence::conversation_messages(c, conv_id, limit)) {
      w.begin_object()
          .field("id", m.id)
          .field("direction", m.direction)
          .field("type", m.type)
          .field("text", m.text)
          .field("status", m.status)
          .field("bubble", m.bubble)
          .field("attempts", m.attempts);
      opt("provider_id", m.provider_id);
      opt("error", m.error);
      opt("created_at", m.created_at);
      opt("processed_at", m.processed_at);
      opt("sent_at", m.sent_at);
      opt("delivered_at", m.delivered_at);
      opt("read_at", m.read_at);
      opt("failed_at", m.failed_at);
      w.end_object();
    }
    w.end_array().end_object();
    return json_ok(200, w.take());
  });
}

}  // namespace

bool bearer_matches(std::string_view authorization, std::string_view expected) {
  constexpr std::string_view prefix = "Bearer ";
  if (expected.empty() || authorization.size() != prefix.size() + expected.size()) return false;
  if (authorization.substr(0, prefix.size()) != prefix) return false;
  return CRYPTO_memcmp(authorization.data() + prefix.size(), expected.data(), expected.size()) == 0;
}

void add_admin_routes(router& r, admin_deps deps) {
  auto bind = [&deps](auto fn) {
    return admin(deps, [deps, fn](http_request&& req, const path_params& p, respond_fn respond) {
      fn(deps, std::move(req), p, std::move(respond));
    });
  };
  r.add("POST", "/v1/tenants", bind(create_tenant));
  r.add("POST", "/v1/tenants/{tenant_id}/channels", bind(create_channel));
  r.add("POST", "/v1/tenants/{tenant_id}/knowledge", bind(add_knowledge));
  r.add("GET", "/v1/tenants/{tenant_id}/conversations", bind(list_conversations));
  r.add("GET", "/v1/conversations/{conversation_id}/messages", bind(list_messages));
}

}  // namespace parley::io
