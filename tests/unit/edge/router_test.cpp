#include "edge/router.hpp"

#include <gtest/gtest.h>

#include "common/metrics.hpp"

using namespace parley::edge;

namespace {
http_response call(const router& r, const std::string& method, const std::string& path) {
  http_request req;
  req.method = method;
  req.path = path;
  req.received_at = std::chrono::steady_clock::now();
  http_response out;
  r.dispatch(std::move(req), [&out](http_response res) { out = std::move(res); });
  return out;
}
}  // namespace

TEST(router, binds_path_parameters) {
  router r;
  r.add("POST", "/v1/tenants/{tenant_id}/channels",
        [](http_request&&, const path_params& p, respond_fn done) {
          done(json_ok(201, p.get("tenant_id")));
        });
  auto res = call(r, "POST", "/v1/tenants/abc%2Fd/channels");
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, "abc/d");
}

TEST(router, unknown_path_is_404_and_wrong_method_405) {
  router r;
  r.add("GET", "/health",
        [](http_request&&, const path_params&, respond_fn done) { done(json_ok(200, "{}")); });
  EXPECT_EQ(call(r, "GET", "/nope").status, 404);
  EXPECT_EQ(call(r, "DELETE", "/health").status, 405);
  EXPECT_EQ(call(r, "HEAD", "/health").status, 200);
  EXPECT_EQ(call(r, "GET", "/health/").status, 200);
}

TEST(router, a_throwing_handler_becomes_a_500_json_error) {
  router r;
  r.add("GET", "/boom",
        [](http_request&&, const path_params&, respond_fn) { throw std::runtime_error("kaput"); });
  auto res = call(r, "GET", "/boom");
  EXPECT_EQ(res.status, 500);
  EXPECT_NE(res.body.find("\"code\":\"internal\""), std::string::npos);
}

TEST(router, counts_requests_per_route_and_status) {
  parley::common::metrics_registry reg;
  router r{&reg};
  r.add("GET", "/x/{id}",
        [](http_request&&, const path_params&, respond_fn done) { done(json_ok(200, "{}")); });
  call(r, "GET", "/x/1");
  call(r, "GET", "/x/2");
  auto text = reg.render();
  EXPECT_NE(text.find(R"(parley_http_requests_total{method="GET",route="/x/{id}",status="200"} 2)"),
            std::string::npos)
      << text;
}
