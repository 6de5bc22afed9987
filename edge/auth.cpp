// Authentication, authorisation, rate limiting, CORS and the audit trail for /v1 routes.
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <pqxx/pqxx>

#include "common/clock.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/security/jwt.hpp"
#include "common/security/permissions.hpp"
#include "edge/admin_routes.hpp"
#include "edge/api_context.hpp"
#include "edge/http_errors.hpp"
#include "edge/origin_directory.hpp"
#include "persistence/key_store.hpp"
#include "persistence/pool.hpp"

namespace parley::edge {

namespace {

struct auth_result {
  bool ok = false;
  principal who;
  std::string error;  // why it failed (for the client and the audit row)
};

auth_result authenticate(const api_context& api, const http_request& req) {
  auth_result r;
  auto header = req.header("authorization");
  if (header.empty()) {
    r.error = "missing bearer token";
    return r;
  }
  if (bearer_matches(header, api.admin_token)) {
    r.ok = true;
    r.who.platform = true;
    r.who.role = "platform_admin";
    r.who.permissions = {"*"};
    r.who.actor = "admin";
    return r;
  }
  constexpr std::string_view prefix = "Bearer ";
  if (header.substr(0, prefix.size()) != prefix) {
    r.error = "malformed Authorization header";
    return r;
  }
  common::security::token_error why = common::security::token_error::none;
  auto claims = common::security::verify_token(header.substr(prefix.size()), api.signing_key,
                                               common::unix_s(), why);
  if (!claims) {
    r.error = "invalid token: " + std::string{common::security::to_string(why)};
    return r;
  }
  r.ok = true;
  r.who.tenant_id = claims->tenant_id;
  r.who.role = claims->role;
  r.who.permissions = claims->permissions;
  r.who.origin = claims->origin;
  r.who.actor = "token:" + claims->token_id;
  return r;
}

std::string path_tenant(const path_params& p) {
  return p.get("tenant_id");
}

std::string reason(const std::string& why) {
  common::json_writer w;
  w.begin_object().field("reason", why).end_object();
  return w.take();
}

// CORS headers for an allowed Origin (Vary so caches keep answers per origin apart).
void add_cors(const api_context& api, const principal& who, const std::string& origin,
              http_response& res) {
  if (origin.empty()) return;
  bool ok = who.platform ? api.origins->allowed_anywhere(origin)
                         : api.origins->allowed(who.tenant_id, origin);
  if (!ok) return;
  res.headers.emplace_back("Access-Control-Allow-Origin", origin);
  res.headers.emplace_back("Vary", "Origin");
}

}  // namespace

void on_db(const api_context& api, respond_fn respond,
           std::function<http_response(pqxx::connection&)> work) {
  api.db->submit([respond, work = std::move(work)](pqxx::connection& c) { respond(work(c)); },
                 [respond](const persistence::db_failure& why) {
                   respond(db_failure_response(why, "api request"));
                 });
}

void audit(const api_context& api, const std::string& tenant_id, const std::string& actor,
           const std::string& action, const std::string& target, const std::string& outcome,
           const std::string& remote, const std::string& details_json) {
  persistence::audit_entry e{tenant_id, actor,        action, target, outcome,
                             remote,    details_json, 0,      {}};
  api.db->submit([e](pqxx::connection& c) { persistence::append_audit(c, e); },
                 [action](const persistence::db_failure& why) {
                   common::log::get("io")->error("cannot write the audit row for {}: {}", action,
                                                 why.what());
                 });
}

router::handler guarded(api_ptr api, std::string permission, guarded_handler h) {
  return [api, permission, h](http_request&& req, const path_params& p, respond_fn respond) {
    auto auth = authenticate(*api, req);
    auto origin = std::string{req.header("origin")};
    auto target = req.method + " " + req.path;
    if (!auth.ok) {
      audit(*api, "", "anonymous", "auth.denied", target, "denied", req.remote, reason(auth.error));
      return respond(json_error(401, "unauthorized", auth.error));
    }
    const auto& who = auth.who;
    auto tenant = path_tenant(p);
    auto deny = [&](const std::string& why) {
      audit(*api, who.platform ? "" : who.tenant_id, who.actor, "permission.denied", target,
            "denied", req.remote, reason(why));
      respond(json_error(403, "forbidden", why));
    };
    if (!common::security::allows(who.permissions, permission))
      return deny("the " + who.role + " role lacks " + permission);
    if (!tenant.empty() && !who.may_access(tenant)) return deny("this token is for another tenant");
    // A token issued for a browser origin is only good from that origin.
    if (!who.origin.empty() && !origin.empty() && origin != who.origin)
      return deny("the token was issued for origin " + who.origin);
    auto finish = [api, who, origin, respond](http_response res) {
      add_cors(*api, who, origin, res);
      respond(std::move(res));
    };
    if (who.platform || !api->admit_api) return h(std::move(req), p, who, finish);
    auto shared_req = std::make_shared<http_request>(std::move(req));
    auto params = p;
    api->admit_api(who.tenant_id, [api, h, shared_req, params, who, finish](double wait) {
      if (wait > 0) {
        auto res = json_error(429, "rate_limited", "API rate limit of this tenant exceeded");
        res.headers.emplace_back("Retry-After",
                                 std::to_string(std::max(1, static_cast<int>(std::ceil(wait)))));
        return finish(std::move(res));
      }
      h(std::move(*shared_req), params, who, finish);
    });
  };
}

void add_cors_preflight(router& r, api_ptr api) {
  r.set_preflight([api](http_request&& req, const path_params&, respond_fn respond) {
    auto origin = std::string{req.header("origin")};
    if (origin.empty() || !api->origins->allowed_anywhere(origin))
      return respond(json_error(403, "origin_not_allowed", "origin not allowed: " + origin));
    http_response res;
    res.status = 204;
    res.headers = {{"Access-Control-Allow-Origin", origin},
                   {"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"},
                   {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                   {"Access-Control-Max-Age", "600"},
                   {"Vary", "Origin"}};
    respond(std::move(res));
  });
}

}  // namespace parley::edge
