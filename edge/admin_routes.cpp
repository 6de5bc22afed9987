// /v1 routes for channels, knowledge and conversations.
#include "edge/admin_routes.hpp"

#include <openssl/crypto.h>

#include <pqxx/pqxx>

#include "channels/channel_directory.hpp"
#include "common/json_writer.hpp"
#include "edge/route_helpers.hpp"
#include "common/security/permissions.hpp"
#include "common/security/secret_box.hpp"
#include "persistence/admin_store.hpp"

namespace parley::edge {

namespace perm = common::security::perm;
using persistence::channel_row;

namespace {

constexpr std::size_t max_text = 100 * 1024;

std::string channel_json(const channel_row& ch) {
  common::json_writer w;
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

bool valid_version(const std::string& v) {
  if (v.size() < 4 || v[0] != 'v') return false;
  auto dot = v.find('.');
  return dot != std::string::npos && all_digits(v.substr(1, dot - 1)) &&
         all_digits(v.substr(dot + 1));
}

void create_channel(const api_ptr& api, http_request&& req, const path_params& p, const principal&,
                    respond_fn respond) {
  auto f = body_or_400(req, respond);
  if (!f) return;
  channel_row ch;
  ch.tenant_id = p.get("tenant_id");
  if (auto type = f->get("type"); (type && *type != "whatsapp") || (!type && f->has("type")))
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
  // Secrets at rest are sealed, bound to this phone number so a copied value opens nowhere else.
  auto ad = "channel:" + ch.phone_number_id;
  ch.app_secret = api->secrets->seal(*secret, ad);
  ch.verify_token = api->secrets->seal(*verify, ad);
  ch.access_token = api->secrets->seal(*token, ad);
  auto plain = ch;
  plain.app_secret = *secret;
  plain.verify_token = *verify;
  plain.access_token = *token;
  on_db(*api, respond, [ch, plain, api](pqxx::connection& c) {
    if (!persistence::find_tenant(c, ch.tenant_id, ch.tenant_id))
      return json_error(404, "not_found", "no tenant " + ch.tenant_id);
    auto created = persistence::create_channel(c, ch);
    if (!created)
      return json_error(409, "conflict",
                        "phone_number_id " + ch.phone_number_id + " is already connected");
    auto cached = plain;
    cached.id = created->id;
    cached.created_at = created->created_at;
    api->channels->put(cached);
    return json_ok(201, channel_json(*created));
  });
}

void add_knowledge(const api_ptr& api, http_request&& req, const path_params& p, const principal&,
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
  on_db(*api, respond, [k, api](pqxx::connection& c) {
    auto tenant = persistence::find_tenant(c, k.tenant_id, k.tenant_id);
    if (!tenant || tenant->status != "active")
      return json_error(404, "not_found", "no tenant " + k.tenant_id);
    auto row = persistence::add_knowledge(c, k);
    if (api->knowledge_changed) api->knowledge_changed(row.tenant_id);
    common::json_writer w;
    w.begin_object().field("id", row.id).field("tenant_id", row.tenant_id).field("kind", row.kind);
    w.end_object();
    return json_ok(201, w.take());
  });
}

void list_conversations(const api_ptr& api, http_request&& req, const path_params& p,
                        const principal&, respond_fn respond) {
  auto tenant_id = p.get("tenant_id");
  auto limit = limit_param(req, 100, 1000);
  on_db(*api, respond, [tenant_id, limit](pqxx::connection& c) {
    if (!persistence::find_tenant(c, tenant_id, tenant_id))
      return json_error(404, "not_found", "no tenant " + tenant_id);
    common::json_writer w;
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

void list_messages(const api_ptr& api, http_request&& req, const path_params& p,
                   const principal& who, respond_fn respond) {
  auto conv_id = p.get("conversation_id");
  auto limit = limit_param(req, 1000, 10000);
  auto scope = who.scope();
  on_db(*api, respond, [conv_id, limit, scope](pqxx::connection& c) {
    // Scoped to the caller's tenant: another tenant's conversation is simply not found.
    if (!persistence::find_conversation(c, scope, conv_id))
      return json_error(404, "not_found", "no conversation " + conv_id);
    common::json_writer w;
    w.begin_object().field("conversation_id", conv_id).key("messages").begin_array();
    auto opt = [&w](const char* k, const std::string& v) {
      w.key(k);
      if (v.empty())
        w.null();
      else
        w.value(v);
    };
    for (const auto& m : persistence::conversation_messages(c, scope, conv_id, limit)) {
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

void add_admin_routes(router& r, api_ptr api) {
  auto bind = [&api](std::string_view permission, auto fn) {
    return guarded(
        api, std::string{permission},
        [api, fn](http_request&& req, const path_params& p, const principal& who,
                  respond_fn respond) { fn(api, std::move(req), p, who, std::move(respond)); });
  };
  r.add("POST", "/v1/tenants/{tenant_id}/channels", bind(perm::channels_write, create_channel));
  r.add("POST", "/v1/tenants/{tenant_id}/knowledge", bind(perm::knowledge_write, add_knowledge));
  r.add("GET", "/v1/tenants/{tenant_id}/conversations",
        bind(perm::conversations_read, list_conversations));
  r.add("GET", "/v1/conversations/{conversation_id}/messages",
        bind(perm::conversations_read, list_messages));
}

}  // namespace parley::edge
