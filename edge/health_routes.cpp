#include "edge/health_routes.hpp"

#include "common/json_writer.hpp"
#include "common/metrics.hpp"
#include "edge/router.hpp"

namespace parley::edge {

void add_health_routes(router& r, health_deps deps) {
  r.add("GET", "/health", [](http_request&&, const path_params&, respond_fn respond) {
    respond(json_ok(200, R"({"status":"ok"})"));
  });
  r.add("GET", "/ready", [deps](http_request&&, const path_params&, respond_fn respond) {
    if (deps.started && !deps.started()) {
      common::json_writer w;
      w.begin_object().field("status", "starting").key("checks").begin_object();
      w.field("node", "starting").end_object().end_object();
      return respond(json_ok(503, w.take()));
    }
    deps.check_database([respond](bool ok, std::string why) {
      common::json_writer w;
      w.begin_object().field("status", ok ? "ready" : "unavailable").key("checks").begin_object();
      w.field("database", ok ? std::string{"ok"} : why).end_object().end_object();
      respond(json_ok(ok ? 200 : 503, w.take()));
    });
  });
  r.add("GET", "/metrics", [deps](http_request&&, const path_params&, respond_fn respond) {
    http_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = deps.metrics ? deps.metrics->render() : std::string{};
    respond(std::move(res));
  });
}

}  // namespace parley::edge
