// /v1 credentials: API keys (shown once, stored hashed), rotation with a grace period,
// revocation, and the exchange of a key for a short-lived signed access token.
#include <chrono>
#include <pqxx/pqxx>

#include "common/clock.hpp"
#include "common/json_writer.hpp"
#include "common/security/api_keys.hpp"
#include "common/security/jwt.hpp"
#include "common/security/permissions.hpp"
#include "edge/admin_routes.hpp"
#include "edge/route_helpers.hpp"
#include "persistence/key_store.hpp"

namespace parley::edge {

namespace perm = common::security::perm;

namespace {

std::string key_json(const persistence::api_key_row& k, const std::string& api_key = {}) {
  common::json_writer w;
  w.begin_object().field("id", k.id).field("tenant_id", k.tenant_id).field("prefix", k.prefix);
  w.field("role", k.role).field("name", k.name).field("created_at", k.created_at);
  w.key("expires_at");
  k.expires_at.empty() ? w.null() : w.value(k.expires_at);
  w.key("revoked_at");
  k.revoked_at.empty() ? w.null() : w.value(k.revoked_at);
  w.field("usable", k.usable);
  if (!api_key.empty()) w.field("api_key", api_key);  // shown once, never again
  w.end_object();
  return w.take();
}

// Reads {"role"?, "name"?}; answers 400 on a bad value.
bool key_request(const http_request& req, respond_fn& respond, std::string& role, std::string& name,
                 int64_t* grace) {
  role = "tenant_admin";
  if (req.body.empty()) return true;
  auto f = body_or_400(req, respond);
  if (!f) return false;
  if (auto r = f->get("role")) role = *r;
  if (role != "tenant_admin" && role != "agent" && role != "viewer") {
    respond(json_error(400, "invalid_field", "role must be tenant_admin, agent or viewer"));
    return false;
  }
  if (auto n = f->get("name")) name = trim(*n).substr(0, 200);
  if (grace) {
    auto g = f->others.find("grace_seconds");
    if (g != f->others.end()) {
      if (!all_digits(g->second) || g->second.size() > 8) {
        respond(json_error(400, "invalid_field", "grace_seconds must be a non-negative integer"));
        return false;
      }
      *grace = std::stoll(g->second);
    }
  }
  return true;
}

http_response issue_key(const api_context& api, pqxx::connection& c, const std::string& tenant_id,
                        const std::string& role, const std::string& name) {
  auto key = common::security::generate_api_key();
  auto row = persistence::create_key(c, tenant_id, common::security::key_prefix(key),
                                     common::security::hash_api_key(key), role, name);
  return json_ok(201, key_json(row, key));
}

void exchange_token(const api_ptr& api, http_request&& req, const path_params&,
                    respond_fn respond) {
  auto f = body_or_400(req, respond);
  if (!f) return;
  auto key = f->get("api_key");
  if (!key) return respond(json_error(400, "invalid_field", "api_key is required"));
  // A browser's Origin is authoritative; a server may name the origin it will use the token from.
  std::string origin{req.header("origin")};
  if (origin.empty())
    if (auto o = f->get("origin")) origin = *o;
  auto remote = req.remote;
  auto api_key = *key;
  auto denied = [api, remote](const std::string& tenant, const std::string& prefix,
                              const std::string& why) {
    common::json_writer d;
    d.begin_object().field("prefix", prefix).field("reason", why).end_object();
    audit(*api, tenant, "key:" + prefix, "token.denied", "POST /v1/token", "denied", remote,
          d.str());
    return json_error(401, "invalid_credentials", "the API key is not valid");
  };
  if (!common::security::looks_like_api_key(api_key))
    return respond(denied("", "", "malformed key"));
  on_db(*api, respond, [api, api_key, origin, denied, remote](pqxx::connection& c) {
    auto prefix = common::security::key_prefix(api_key);
    auto row = persistence::find_key_by_prefix(c, prefix);
    if (!row) return denied("", prefix, "unknown key");
    if (!common::security::verify_api_key(api_key, row->key_hash))
      return denied(row->tenant_id, prefix, "wrong key");
    if (!row->usable) return denied(row->tenant_id, prefix, "revoked, expired or tenant deleted");
    common::security::token_claims claims;
    claims.tenant_id = row->tenant_id;
    claims.role = row->role;
    claims.permissions = common::security::permissions_for(row->role);
    claims.origin = origin;
    claims.issued_at = common::unix_s();
    claims.expires_at = claims.issued_at + api->token_ttl_s;
    claims.key_id = row->id;
    auto token = common::security::issue_token(claims, api->signing_key);
    persistence::touch_key(c, row->tenant_id, row->id);
    audit(*api, row->tenant_id, "key:" + prefix, "token.issued", "POST /v1/token", "ok", remote);
    common::json_writer w;
    w.begin_object().field("access_token", token).field("token_type", "Bearer");
    w.field("expires_in", api->token_ttl_s)
        .field("tenant_id", row->tenant_id)
        .field("role", row->role);
    w.key("permissions").begin_array();
    for (auto& p : claims.permissions) w.value(p);
    w.end_array().end_object();
    return json_ok(200, w.take());
  });
}

void validate_token(const api_ptr& api, http_request&& req, const path_params&,
                    respond_fn respond) {
  std::string token;
  if (!req.body.empty()) {
    auto f = body_or_400(req, respond);
    if (!f) return;
    if (auto t = f->get("token")) token = *t;
  }
  auto auth = req.header("authorization");
  if (token.empty() && auth.rfind("Bearer ", 0) == 0) token = std::string{auth.substr(7)};
  if (token.empty()) return respond(json_error(400, "invalid_field", "token is required"));
  common::security::token_error why = common::security::token_error::none;
  auto claims = common::security::verify_token(token, api->signing_key, common::unix_s(), why);
  common::json_writer w;
  w.begin_object().field("valid", claims.has_value());
  if (!claims) {
    w.field("error", common::security::to_string(why)).end_object();
    return respond(json_ok(401, w.take()));
  }
  w.field("tenant_id", claims->tenant_id)
      .field("role", claims->role)
      .field("origin", claims->origin);
  w.field("expires_at", claims->expires_at).key("permissions").begin_array();
  for (auto& p : claims->permissions) w.value(p);
  w.end_array().end_object();
  respond(json_ok(200, w.take()));
}

}  // namespace

void add_credential_routes(router& r, api_ptr api) {
  auto write = std::string{perm::credentials_write};
  r.add("POST", "/v1/tenants/{tenant_id}/credentials",
        guarded(api, write,
                [api](http_request&& req, const path_params& p, const principal& who,
                      respond_fn respond) {
                  std::string role, name;
                  if (!key_request(req, respond, role, name, nullptr)) return;
                  auto tenant = p.get("tenant_id");
                  auto remote = req.remote;
                  on_db(*api, respond, [api, tenant, role, name, who, remote](pqxx::connection& c) {
                    auto res = issue_key(*api, c, tenant, role, name);
                    audit(*api, tenant, who.actor, "credentials.generated", tenant, "ok", remote);
                    return res;
                  });
                }));
  r.add("GET", "/v1/tenants/{tenant_id}/credentials",
        guarded(api, write,
                [api](http_request&&, const path_params& p, const principal&, respond_fn respond) {
                  auto tenant = p.get("tenant_id");
                  on_db(*api, respond, [tenant](pqxx::connection& c) {
                    common::json_writer w;
                    w.begin_object().key("credentials").begin_array();
                    for (auto& k : persistence::tenant_keys(c, tenant)) w.raw(key_json(k));
                    w.end_array().end_object();
                    return json_ok(200, w.take());
                  });
                }));
  r.add("POST", "/v1/tenants/{tenant_id}/rotate",
        guarded(api, write,
                [api](http_request&& req, const path_params& p, const principal& who,
                      respond_fn respond) {
                  std::string role, name;
                  int64_t grace = api->default_grace_s;
                  if (!key_request(req, respond, role, name, &grace)) return;
                  auto tenant = p.get("tenant_id");
                  auto remote = req.remote;
                  on_db(*api, respond,
                        [api, tenant, role, name, grace, who, remote](pqxx::connection& c) {
                          auto res = issue_key(*api, c, tenant, role, name);
                          auto new_id = json_string_field(res.body, "id");
                          auto expiring = persistence::expire_keys(c, tenant, grace, new_id);
                          audit(*api, tenant, who.actor, "credentials.rotated", tenant, "ok",
                                remote,
                                "{\"expiring\":" + std::to_string(expiring) +
                                    ",\"grace_seconds\":" + std::to_string(grace) + "}");
                          return res;
                        });
                }));
  r.add("DELETE", "/v1/tenants/{tenant_id}/credentials/{key_id}",
        guarded(api, write,
                [api](http_request&& req, const path_params& p, const principal& who,
                      respond_fn respond) {
                  auto tenant = p.get("tenant_id");
                  auto key_id = p.get("key_id");
                  auto remote = req.remote;
                  on_db(*api, respond, [api, tenant, key_id, who, remote](pqxx::connection& c) {
                    if (!persistence::revoke_key(c, tenant, key_id))
                      return json_error(404, "not_found", "no active key " + key_id);
                    audit(*api, tenant, who.actor, "credentials.revoked", key_id, "ok", remote);
                    return json_ok(200, "{\"revoked\":true}");
                  });
                }));
  r.add("POST", "/v1/token", [api](http_request&& req, const path_params& p, respond_fn respond) {
    exchange_token(api, std::move(req), p, std::move(respond));
  });
  r.add("POST", "/v1/token/validate",
        [api](http_request&& req, const path_params& p, respond_fn respond) {
          validate_token(api, std::move(req), p, std::move(respond));
        });
}

}  // namespace parley::edge
