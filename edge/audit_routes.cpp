// GET /v1/audit: the audit trail, filtered by tenant and time (a tenant sees only its own).
#include <pqxx/pqxx>

#include "edge/admin_routes.hpp"
#include "common/json_writer.hpp"
#include "edge/route_helpers.hpp"
#include "common/security/permissions.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/key_store.hpp"

namespace parley::edge {

namespace {

bool looks_like_time(const std::string& s) {
  if (s.empty()) return true;
  if (s.size() > 40) return false;
  for (unsigned char c : s)
    if (!std::isdigit(c) && c != '-' && c != ':' && c != 'T' && c != 'Z' && c != '.' && c != '+' &&
        c != ' ')
      return false;
  return std::isdigit(static_cast<unsigned char>(s[0]));
}

}  // namespace

void add_audit_routes(router& r, api_ptr api) {
  r.add(
      "GET", "/v1/audit",
      guarded(
          api, std::string{common::security::perm::audit_read},
          [api](http_request&& req, const path_params&, const principal& who, respond_fn respond) {
            auto tenant = req.query_param("tenant_id");
            if (!who.platform) {
              if (!tenant.empty() && tenant != who.tenant_id)
                return respond(json_error(403, "forbidden", "this token is for another tenant"));
              tenant = who.tenant_id;
            }
            if (!tenant.empty() && !persistence::is_uuid(tenant))
              return respond(json_error(400, "invalid_field", "tenant_id must be a UUID"));
            auto since = req.query_param("since");
            auto until = req.query_param("until");
            if (!looks_like_time(since) || !looks_like_time(until))
              return respond(
                  json_error(400, "invalid_field", "since/until must be ISO-8601 times"));
            auto limit = limit_param(req, 500, 10000);
            auto scope = who.scope();
            on_db(*api, respond, [scope, tenant, since, until, limit](pqxx::connection& c) {
              common::json_writer w;
              w.begin_object().key("entries").begin_array();
              for (auto& e : persistence::list_audit(c, scope, tenant, since, until, limit)) {
                w.begin_object().field("id", e.id).field("created_at", e.created_at);
                w.key("tenant_id");
                e.tenant_id.empty() ? w.null() : w.value(e.tenant_id);
                w.field("actor", e.actor).field("action", e.action).field("target", e.target);
                w.field("outcome", e.outcome)
                    .field("remote", e.remote)
                    .key("details")
                    .raw(e.details_json);
                w.end_object();
              }
              w.end_array().end_object();
              return json_ok(200, w.take());
            });
          }));
}

}  // namespace parley::edge
