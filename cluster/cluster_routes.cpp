#include "cluster/cluster_routes.hpp"

#include <pqxx/pqxx>

#include "common/json_body.hpp"
#include "common/json_writer.hpp"
#include "edge/api_context.hpp"
#include "edge/router.hpp"
#include "persistence/admin_store.hpp"

namespace parley::cluster {

// The routes are written in the edge's vocabulary (requests, guards, answers).
using namespace edge;

namespace {

void write_view(common::json_writer& w, const cluster_view& v) {
  w.key("nodes").begin_array();
  for (const auto& n : v.nodes) {
    w.begin_object()
        .field("name", n.name)
        .field("host", n.host)
        .field("cluster_port", static_cast<uint64_t>(n.cluster_port))
        .field("http_port", static_cast<uint64_t>(n.http_port))
        .field("http_url", "http://" + n.host + ":" + std::to_string(n.http_port))
        .field("state", cluster::to_string(n.state))
        .field("incarnation", n.incarnation)
        .field("heartbeat_age_ms", n.heartbeat_age_ms)
        .field("self", n.self)
        .field("last_error", n.last_error)
        .end_object();
  }
  w.end_array();
}

void write_placement(common::json_writer& w, const placement_report& p) {
  w.field("forwarded", p.forwarded)
      .field("received", p.received)
      .field("forward_errors", p.forward_errors)
      .key("tenants")
      .begin_array();
  for (const auto& t : p.tenants)
    w.begin_object()
        .field("tenant_id", t.tenant_id)
        .field("phase", t.phase)
        .field("epoch", t.epoch)
        .end_object();
  w.end_array();
}

std::string cluster_json(const cluster_deps& deps, const std::vector<cluster_node_report>& all) {
  common::json_writer w;
  w.begin_object().field("node", deps.self).field("clustered", deps.clustered);
  write_view(w, deps.view());
  w.key("reports").begin_array();
  for (const auto& r : all) {
    w.begin_object().field("node", r.node);
    if (!r.error.empty()) {
      w.field("error", r.error).end_object();
      continue;
    }
    write_view(w, r.view);
    write_placement(w, r.placement);
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace

void add_cluster_routes(edge::router& r, cluster_deps deps, edge::api_ptr api) {
  r.add("GET", "/v1/cluster",
        guarded(api, "cluster:read",
                [deps](http_request&&, const path_params&, const principal&, respond_fn respond) {
                  deps.gather([deps, respond](std::vector<cluster_node_report> all) {
                    respond(json_ok(200, cluster_json(deps, all)));
                  });
                }));
  r.add("GET", "/v1/cluster/tenants/{tenant_id}",
        guarded(api, "cluster:read",
                [deps, api](http_request&&, const path_params& p, const principal&,
                            respond_fn respond) {
                  auto id = p.get("tenant_id");
                  if (!persistence::is_uuid(id))
                    return respond(json_error(400, "invalid_id", "tenant ids are UUIDs"));
                  auto owner = deps.owner_of(id);
                  on_db(*api, respond, [id, owner](pqxx::connection& c) {
                    auto lease = find_lease(c, id);
                    common::json_writer w;
                    w.begin_object().field("tenant_id", id).field("owner", owner).key("lease");
                    if (!lease) {
                      w.null();
                    } else {
                      w.begin_object()
                          .field("node", lease->node)
                          .field("epoch", lease->epoch)
                          .field("expires_in_ms", lease->expires_in_ms)
                          .field("acquired_at", lease->acquired_at)
                          .end_object();
                    }
                    return json_ok(200, w.end_object().take());
                  });
                }));
  if (!deps.isolate) return;
  r.add("POST", "/v1/cluster/isolate",
        guarded(
            api, "cluster:write",
            [deps](http_request&& req, const path_params&, const principal&, respond_fn respond) {
              std::string error;
              auto body = common::parse_object(req.body, error);
              if (!body) return respond(json_error(400, "invalid_json", error));
              auto it = body->others.find("isolated");
              if (it == body->others.end() || (it->second != "true" && it->second != "false"))
                return respond(json_error(400, "invalid_field", "isolated must be true or false"));
              deps.isolate(it->second == "true");
              common::json_writer w;
              w.begin_object().field("isolated", it->second == "true").end_object();
              respond(json_ok(200, w.take()));
            }));
}

}  // namespace parley::cluster
