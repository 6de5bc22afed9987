#include "edge/actor_routes.hpp"

#include "edge/admin_routes.hpp"
#include "edge/api_context.hpp"
#include "common/json_writer.hpp"
#include "edge/router.hpp"

namespace parley::edge {

namespace {

void write(common::json_writer& w, const child_info& c) {
  w.begin_object()
      .field("name", c.name)
      .field("kind", c.kind)
      .field("state", c.state)
      .field("restarts", static_cast<uint64_t>(c.restarts))
      .field("mailbox", c.mailbox)
      .field("handled", c.handled)
      .field("last_error", c.last_error)
      .field("detail", c.detail)
      .key("children")
      .begin_array();
  for (const auto& child : c.children) write(w, child);
  w.end_array().end_object();
}

}  // namespace

std::string to_json(const child_info& tree) {
  common::json_writer w;
  write(w, tree);
  return w.take();
}

void add_actor_routes(router& r, actor_deps deps, api_ptr api) {
  // The node's internals are the operator's: no tenant role holds "cluster:read".
  r.add("GET", "/v1/actors",
        guarded(api, "cluster:read",
                [deps](http_request&&, const path_params&, const principal&, respond_fn respond) {
                  deps.tree([respond](bool ok, child_info tree, std::string error) {
                    if (!ok) return respond(json_error(503, "unavailable", error));
                    respond(json_ok(200, to_json(tree)));
                  });
                }));
}

}  // namespace parley::edge
