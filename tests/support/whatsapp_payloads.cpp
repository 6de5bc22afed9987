#include "tests/support/whatsapp_payloads.hpp"

#include <simdjson.h>

#include <ctime>
#include <stdexcept>

#include "common/json_writer.hpp"
#include "common/signature.hpp"

namespace parley::test {

namespace {
std::string now_s() {
  return std::to_string(std::time(nullptr));
}
// One notification, one entry, one "messages" change for the phone number: `body` writes what
// goes into the change's value after the metadata (messages, statuses, contacts) and must leave
// exactly one array open, which the envelope closes.
template <class Body>
std::string envelope(const std::string& phone_number_id, Body body) {
  common::json_writer w;
  w.begin_object().field("object", "whatsapp_business_account").key("entry").begin_array();
  w.begin_object().field("id", "102290129340398").key("changes").begin_array();
  w.begin_object().field("field", "messages").key("value").begin_object();
  w.field("messaging_product", "whatsapp");
  w.key("metadata").begin_object().field("display_phone_number", "15550783881");
  w.field("phone_number_id", phone_number_id).end_object();
  body(w);
  w.end_array().end_object().end_object().end_array().end_object().end_array().end_object();
  return w.take();
}

}  // namespace

std::string text_webhook(const std::string& phone_number_id, const std::vector<text_in>& msgs) {
  return envelope(phone_number_id, [&](common::json_writer& w) {
    w.key("contacts").begin_array();
    if (!msgs.empty())
      w.begin_object()
          .key("profile")
          .begin_object()
          .field("name", msgs[0].name)
          .end_object()
          .field("wa_id", msgs[0].from)
          .end_object();
    w.end_array().key("messages").begin_array();
    for (const auto& m : msgs) {
      w.begin_object().field("from", m.from).field("id", m.wamid).field("timestamp", now_s());
      w.field("type", "text").key("text").begin_object().field("body", m.text).end_object();
      w.end_object();
    }
  });
}

std::string media_webhook(const std::string& phone_number_id, const std::string& from,
                          const std::string& wamid, const std::string& type,
                          const std::string& media_id, const std::string& mime,
                          const std::string& sha256_b64, const std::string& caption,
                          const std::string& filename) {
  return envelope(phone_number_id, [&](common::json_writer& w) {
    w.key("messages").begin_array();
    w.begin_object().field("from", from).field("id", wamid).field("timestamp", now_s());
    w.field("type", type).key(type).begin_object().field("id", media_id).field("mime_type", mime);
    w.field("sha256", sha256_b64);
    if (!caption.empty()) w.field("caption", caption);
    if (!filename.empty()) w.field("filename", filename);
    w.end_object().end_object();
  });
}

std::string status_webhook(const std::string& phone_number_id, const std::string& recipient,
                           const std::vector<std::pair<std::string, std::string>>& wamid_status) {
  return envelope(phone_number_id, [&](common::json_writer& w) {
    w.key("statuses").begin_array();
    for (const auto& [wamid, status] : wamid_status) {
      w.begin_object().field("id", wamid).field("status", status).field("timestamp", now_s());
      w.field("recipient_id", recipient);
      if (status == "failed") {
        w.key("errors").begin_array().begin_object().field("code", 131026);
        w.field("title", "Message undeliverable").end_object().end_array();
      }
      w.end_object();
    }
  });
}

std::string status_webhook_with_callback(const std::string& phone_number_id,
                                         const std::string& recipient, const std::string& wamid,
                                         const std::string& status, const std::string& callback) {
  return envelope(phone_number_id, [&](common::json_writer& w) {
    w.key("statuses").begin_array().begin_object();
    w.field("id", wamid).field("status", status).field("timestamp", now_s());
    w.field("recipient_id", recipient).field("biz_opaque_callback_data", callback);
    w.end_object();  // the envelope closes the array
  });
}

std::string json_string(const std::string& json, const std::string& key) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(json).get(root) != simdjson::SUCCESS) return {};
  std::string_view sv;
  if (root[key].get(sv) != simdjson::SUCCESS) return {};
  return std::string{sv};
}

int json_array_size(const std::string& json, const std::string& key) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(json).get(root) != simdjson::SUCCESS) return -1;
  simdjson::dom::array arr;
  if (root[key].get(arr) != simdjson::SUCCESS) return -1;
  return static_cast<int>(arr.size());
}

http_reply admin_call(int port, const std::string& method, const std::string& target,
                      const std::string& body) {
  return http_call(method, port, target, body,
                   {{"Authorization", std::string{"Bearer "} + admin_token}});
}

demo_tenant make_tenant(int port, const std::string& api_base_url,
                        const std::string& phone_number_id) {
  demo_tenant t;
  t.phone_number_id = phone_number_id;
  auto tenant = admin_call(port, "POST", "/v1/tenants", R"({"name":"Tienda Demo"})");
  if (tenant.status != 201) throw std::runtime_error("create tenant: " + tenant.body);
  t.tenant_id = json_string(tenant.body, "id");
  common::json_writer w;
  w.begin_object()
      .field("type", "whatsapp")
      .field("phone_number_id", phone_number_id)
      .field("app_secret", t.app_secret)
      .field("verify_token", t.verify_token)
      .field("access_token", t.access_token)
      .field("api_base_url", api_base_url)
      .field("api_version", "v21.0")
      .end_object();
  auto ch = admin_call(port, "POST", "/v1/tenants/" + t.tenant_id + "/channels", w.str());
  if (ch.status != 201) throw std::runtime_error("create channel: " + ch.body);
  t.channel_id = json_string(ch.body, "id");
  const char* kb[] = {
      R"({"question":"¿Cuál es el horario de atención?","answer":"Atendemos de lunes a viernes de 9:00 a 18:00."})",
      R"({"question":"¿Cuánto tarda el envío?","answer":"Los envíos nacionales tardan de 2 a 4 días hábiles."})",
      R"({"question":"How long does shipping take?","answer":"Domestic shipping takes 2 to 4 business days."})",
      R"({"title":"Devoluciones","content":"Puedes devolver un producto dentro de los 30 días posteriores a la compra. El reembolso se hace al mismo medio de pago."})",
  };
  for (const char* k : kb) {
    auto r = admin_call(port, "POST", "/v1/tenants/" + t.tenant_id + "/knowledge", k);
    if (r.status != 201) throw std::runtime_error("add knowledge: " + r.body);
  }
  return t;
}

http_reply post_webhook(int port, const demo_tenant& t, const std::string& body) {
  return http_call("POST", port, "/webhooks/whatsapp/" + t.channel_id, body,
                   {{"X-Hub-Signature-256", common::sign_body(t.app_secret, body)}});
}

}  // namespace parley::test
