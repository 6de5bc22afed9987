// /v1/tenants: create, list, read, update (partial), delete (soft, or purge).
#include <simdjson.h>

#include <pqxx/pqxx>

#include "edge/admin_routes.hpp"
#include "channels/channel_directory.hpp"
#include "common/json_writer.hpp"
#include "edge/origin_directory.hpp"
#include "edge/route_helpers.hpp"
#include "common/security/permissions.hpp"
#include "common/security/secret_box.hpp"
#include "persistence/admin_store.hpp"

namespace parley::edge {

namespace perm = common::security::perm;
using persistence::tenant_row;
using persistence::tenant_settings;

namespace {

std::string tenant_json(const tenant_row& t) {
  const auto& s = t.settings;
  common::json_writer w;
  w.begin_object()
      .field("id", t.id)
      .field("name", t.name)
      .field("status", t.status)
      .field("created_at", t.created_at)
      .field("updated_at", t.updated_at)
      .key("allowed_origins")
      .begin_array();
  for (const auto& o : s.allowed_origins) w.value(o);
  w.end_array().key("limits").begin_object();
  w.field("messages_per_minute", s.messages_per_minute)
      .field("api_requests_per_minute", s.api_requests_per_minute)
      .field("llm_tokens_per_day", s.llm_tokens_per_day)
      .field("max_active_conversations", s.max_active_conversations)
      .end_object();
  w.key("handoff")
      .begin_object()
      .field("message", s.handoff_message)
      .field("hours", s.handoff_hours);
  w.field("notify_url", s.notify_url).field("notify_secret_set", !s.notify_secret.empty());
  w.end_object().end_object();
  return w.take();
}

bool valid_origin(const std::string& o) {
  auto scheme = o.find("://");
  if (scheme == std::string::npos || (o.rfind("http://", 0) != 0 && o.rfind("https://", 0) != 0))
    return false;
  if (o.size() > 255 || o.find('/', scheme + 3) != std::string::npos) return false;
  for (unsigned char c : o)
    if (c <= ' ' || c == '\\' || c >= 0x7f) return false;
  return o.size() > scheme + 3;
}

// Range errors overwrite `err` rather than returning, so a caller can read several keys and
// report the last bad one.
void read_int_in_range(simdjson::dom::object o, const char* key, int64_t lo, int64_t hi,
                       int64_t& out, std::string& err) {
  simdjson::dom::element e;
  if (o[key].get(e)) return;
  int64_t x = 0;
  if (e.get(x) || x < lo || x > hi)
    err = std::string{key} + " must be an integer between " + std::to_string(lo) + " and " +
          std::to_string(hi);
  else
    out = x;
}

std::string apply_name(simdjson::dom::object obj, tenant_settings& s, bool require_name) {
  std::string_view sv;
  simdjson::dom::element v;
  if (!obj["name"].get(v)) {
    if (v.get(sv)) return "name must be a string";
    auto name = trim(std::string{sv});
    if (name.empty() || name.size() > 200) return "name must be between 1 and 200 bytes";
    s.name = name;
  } else if (require_name) {
    return "name is required";
  }
  return {};
}

std::string apply_allowed_origins(simdjson::dom::object obj, tenant_settings& s) {
  simdjson::dom::element v;
  if (obj["allowed_origins"].get(v)) return {};
  simdjson::dom::array arr;
  if (v.get(arr) || arr.size() > 50) return "allowed_origins must be an array of up to 50 origins";
  s.allowed_origins.clear();
  std::string_view sv;
  for (auto item : arr) {
    if (item.get(sv)) return "allowed_origins must hold strings";
    std::string origin{sv};
    if (!valid_origin(origin)) return "invalid origin '" + origin + "' (scheme://host[:port])";
    s.allowed_origins.push_back(origin);
  }
  return {};
}

std::string apply_limits(simdjson::dom::object obj, tenant_settings& s) {
  simdjson::dom::element v;
  if (obj["limits"].get(v)) return {};
  simdjson::dom::object limits;
  if (v.get(limits)) return "limits must be an object";
  // Read into 64-bit locals: the settings hold ints, and the ranges keep the narrowing safe.
  int64_t mpm = s.messages_per_minute, apm = s.api_requests_per_minute,
          mac = s.max_active_conversations;
  std::string err;
  read_int_in_range(limits, "messages_per_minute", 1, 1000000, mpm, err);
  read_int_in_range(limits, "api_requests_per_minute", 1, 1000000, apm, err);
  read_int_in_range(limits, "llm_tokens_per_day", 0, int64_t{1} << 40, s.llm_tokens_per_day, err);
  read_int_in_range(limits, "max_active_conversations", 1, 10000000, mac, err);
  if (!err.empty()) return err;
  s.messages_per_minute = static_cast<int>(mpm);
  s.api_requests_per_minute = static_cast<int>(apm);
  s.max_active_conversations = static_cast<int>(mac);
  return {};
}

std::string apply_handoff_notify(simdjson::dom::object handoff, tenant_settings& s) {
  std::string_view sv;
  simdjson::dom::element v;
  if (!handoff["notify_url"].get(v)) {
    if (v.get(sv)) return "handoff.notify_url must be a string";
    std::string url{sv};
    if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      return "handoff.notify_url must start with http:// or https://";
    s.notify_url = url;
  }
  if (!handoff["notify_secret"].get(v)) {
    if (v.get(sv) || sv.empty() || sv.size() > 512) return "handoff.notify_secret must be a string";
    s.notify_secret = std::string{sv};  // sealed by the caller
  }
  return {};
}

std::string apply_handoff(simdjson::dom::object obj, tenant_settings& s) {
  std::string_view sv;
  simdjson::dom::element v;
  if (obj["handoff"].get(v)) return {};
  simdjson::dom::object handoff;
  if (v.get(handoff)) return "handoff must be an object";
  if (!handoff["message"].get(v)) {
    if (v.get(sv) || trim(std::string{sv}).empty() || sv.size() > 4096)
      return "handoff.message must be a non-empty string";
    s.handoff_message = trim(std::string{sv});
  }
  int64_t hours = s.handoff_hours;
  std::string err;
  read_int_in_range(handoff, "hours", 1, 720, hours, err);
  if (!err.empty()) return "handoff." + err;
  s.handoff_hours = static_cast<int>(hours);
  return apply_handoff_notify(handoff, s);
}

// Applies the body's fields onto `s` (a partial update); returns an error text or "".
std::string apply_settings(std::string_view body, tenant_settings& s, bool require_name) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{body};
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (parser.parse(padded).get(root) || root.get(obj)) return "request body must be a JSON object";
  if (auto err = apply_name(obj, s, require_name); !err.empty()) return err;
  if (auto err = apply_allowed_origins(obj, s); !err.empty()) return err;
  if (auto err = apply_limits(obj, s); !err.empty()) return err;
  return apply_handoff(obj, s);
}

void publish(const api_context& api, const tenant_row& t) {
  if (t.status == "active")
    api.origins->set(t.id, t.settings.allowed_origins);
  else
    api.origins->remove(t.id);
  if (api.tenant_changed) api.tenant_changed(t.id);
}

void handle_create_tenant(const api_ptr& api, http_request&& req, const path_params&,
                          const principal& who, respond_fn respond) {
  tenant_settings s;
  if (auto err = apply_settings(req.body, s, true); !err.empty())
    return respond(json_error(400, "invalid_field", err));
  if (!s.notify_secret.empty()) s.notify_secret = api->secrets->seal(s.notify_secret);
  auto remote = req.remote;
  on_db(*api, respond, [api, s, who, remote](pqxx::connection& c) {
    auto t = persistence::create_tenant(c, s);
    publish(*api, t);
    audit(*api, t.id, who.actor, "tenant.created", t.id, "ok", remote);
    return json_ok(201, tenant_json(t));
  });
}

void handle_list_tenants(const api_ptr& api, http_request&& req, const path_params&,
                         const principal&, respond_fn respond) {
  bool deleted = req.query_param("include_deleted") == "true";
  auto limit = limit_param(req, 100, 1000);
  on_db(*api, respond, [deleted, limit](pqxx::connection& c) {
    common::json_writer w;
    w.begin_object().key("tenants").begin_array();
    for (auto& t : persistence::all_tenants(c, deleted, limit)) w.raw(tenant_json(t));
    w.end_array().end_object();
    return json_ok(200, w.take());
  });
}

void handle_read_tenant(const api_ptr& api, http_request&&, const path_params& p,
                        const principal& who, respond_fn respond) {
  auto id = p.get("tenant_id");
  auto scope = who.scope();
  on_db(*api, respond, [id, scope](pqxx::connection& c) {
    auto t = persistence::find_tenant(c, scope, id);
    if (!t) return json_error(404, "not_found", "no tenant " + id);
    return json_ok(200, tenant_json(*t));
  });
}

void handle_update_tenant(const api_ptr& api, http_request&& req, const path_params& p,
                          const principal& who, respond_fn respond) {
  auto id = p.get("tenant_id");
  auto body = std::make_shared<std::string>(std::move(req.body));
  auto remote = req.remote;
  on_db(*api, respond, [api, id, body, who, remote](pqxx::connection& c) {
    auto current = persistence::find_tenant(c, id, id);
    if (!current || current->status != "active")
      return json_error(404, "not_found", "no tenant " + id);
    auto s = current->settings;
    s.notify_secret.clear();  // kept unless the body sets a new one
    if (auto err = apply_settings(*body, s, false); !err.empty())
      return json_error(400, "invalid_field", err);
    if (!s.notify_secret.empty()) s.notify_secret = api->secrets->seal(s.notify_secret);
    auto t = persistence::update_tenant(c, id, s);
    if (!t) return json_error(404, "not_found", "no tenant " + id);
    publish(*api, *t);
    audit(*api, id, who.actor, "tenant.updated", id, "ok", remote);
    return json_ok(200, tenant_json(*t));
  });
}

void handle_delete_tenant(const api_ptr& api, http_request&& req, const path_params& p,
                          const principal& who, respond_fn respond) {
  auto id = p.get("tenant_id");
  bool purge = req.query_param("purge") == "true";
  auto remote = req.remote;
  on_db(*api, respond, [api, id, purge, who, remote](pqxx::connection& c) {
    bool done = purge ? persistence::purge_tenant(c, id) : persistence::soft_delete_tenant(c, id);
    if (!done) return json_error(404, "not_found", "no (active) tenant " + id);
    api->origins->remove(id);
    api->channels->forget_tenant(id);
    if (api->tenant_changed) api->tenant_changed(id);
    audit(*api, purge ? "" : id, who.actor, purge ? "tenant.purged" : "tenant.deleted", id, "ok",
          remote);
    common::json_writer w;
    w.begin_object().field("id", id).field("status", purge ? "purged" : "deleted");
    w.end_object();
    return json_ok(200, w.take());
  });
}

// Handlers are plain functions so that add_tenant_routes reads as the route table; this gives
// each one the api it would otherwise have captured.
using tenant_handler = void (*)(const api_ptr&, http_request&&, const path_params&,
                                const principal&, respond_fn);

guarded_handler with_api(api_ptr api, tenant_handler handler) {
  return [api, handler](http_request&& req, const path_params& p, const principal& who,
                        respond_fn respond) {
    handler(api, std::move(req), p, who, std::move(respond));
  };
}

}  // namespace

void add_tenant_routes(router& r, api_ptr api) {
  r.add("POST", "/v1/tenants",
        guarded(api, std::string{perm::tenants_write}, with_api(api, handle_create_tenant)));
  r.add("GET", "/v1/tenants",
        guarded(api, std::string{perm::tenants_write}, with_api(api, handle_list_tenants)));
  r.add("GET", "/v1/tenants/{tenant_id}",
        guarded(api, std::string{perm::tenants_read}, with_api(api, handle_read_tenant)));
  r.add("PUT", "/v1/tenants/{tenant_id}",
        guarded(api, std::string{perm::tenants_write}, with_api(api, handle_update_tenant)));
  r.add("DELETE", "/v1/tenants/{tenant_id}",
        guarded(api, std::string{perm::tenants_write}, with_api(api, handle_delete_tenant)));
}

}  // namespace parley::edge
