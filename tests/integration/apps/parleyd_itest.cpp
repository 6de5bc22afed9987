// The real parleyd binary against the test PostgreSQL: health, readiness, metrics, shutdown,
// startup failures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "persistence/migrations.hpp"
#include "tests/support/node.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

TEST(parleyd, serves_health_ready_and_metrics) {
  PARLEY_REQUIRE_DATABASE();
  scratch_database db;
  parleyd node{db.url()};
  ASSERT_TRUE(node.wait_ready()) << node.log();

  auto health = node.get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(health.headers["content-type"], "application/json");

  auto ready = node.get("/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find(R"("database":"ok")"), std::string::npos);

  auto missing = node.get("/no/such/thing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find(R"("code":"not_found")"), std::string::npos);

  auto metrics = node.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(metrics.body.find(
                R"(parley_http_requests_total{method="GET",route="/health",status="200"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(
                R"(parley_http_request_duration_seconds_count{method="GET",route="/health"} 1)"),
            std::string::npos);
}

TEST(parleyd, applies_every_migration_once_even_when_two_nodes_start_together) {
  PARLEY_REQUIRE_DATABASE();
  scratch_database db;
  parleyd a{db.url()};
  parleyd b{db.url()};
  ASSERT_TRUE(a.wait_ready()) << a.log();
  ASSERT_TRUE(b.wait_ready()) << b.log();
  auto expected = std::to_string(parley::persistence::embedded_migrations().size());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schema_migrations"), expected);
  EXPECT_EQ(db.scalar("SELECT count(DISTINCT version) FROM schema_migrations"), expected);
}

TEST(parleyd, ready_is_503_while_the_database_is_down_and_recovers) {
  PARLEY_REQUIRE_DATABASE();
  scratch_postgres pg;
  parleyd node{pg.url(), {}, {"--database.connect-timeout=1"}};
  ASSERT_TRUE(node.wait_ready()) << node.log();

  pg.stop();
  auto down = node.get("/ready");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_NE(down.body.find("\"status\":\"unavailable\""), std::string::npos) << down.body;
  EXPECT_EQ(node.get("/health").status, 200);  // the process still serves

  pg.start();
  EXPECT_TRUE(node.wait_ready(20s)) << node.log();
}

TEST(parleyd, sigterm_stops_cleanly_with_exit_0) {
  PARLEY_REQUIRE_DATABASE();
  scratch_database db;
  parleyd node{db.url()};
  ASSERT_TRUE(node.wait_ready()) << node.log();
  // An idle keep-alive connection must not hold the shutdown back.
  auto idle = std::thread([port = node.port()] {
    raw_exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 8000);
  });
  std::this_thread::sleep_for(200ms);
  node.process().signal(SIGTERM);
  auto code = node.process().wait(15s);
  idle.join();
  ASSERT_TRUE(code.has_value()) << "parleyd did not stop within 15 s";
  EXPECT_EQ(*code, 0) << node.log();
  EXPECT_NE(node.log().find("stopped"), std::string::npos);
}

TEST(parleyd, a_taken_port_is_a_clear_error_and_exit_3) {
  PARLEY_REQUIRE_DATABASE();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto port = std::to_string(ntohs(addr.sin_port));

  scratch_database db;
  parleyd node{db.url(), {{"PARLEY_HTTP_PORT", port}}};
  auto code = node.process().wait(15s);
  ::close(fd);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 3);
  EXPECT_NE(node.log().find("Address already in use"), std::string::npos) << node.log();
}

TEST(parleyd, bad_configuration_is_a_clear_error_and_exit_2) {
  PARLEY_REQUIRE_DATABASE();
  parleyd node{test_database_url(), {{"PARLEY_NODE", "ghost"}}};
  auto code = node.process().wait(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(node.log().find("not in cluster.nodes"), std::string::npos) << node.log();
}

TEST(parleyd, an_unreachable_database_at_start_is_exit_4_after_the_startup_timeout) {
  PARLEY_REQUIRE_DATABASE();
  auto dead = "postgresql://parley@127.0.0.1:" + std::to_string(free_port()) + "/parley";
  parleyd node{dead, {}, {"--database.startup-timeout=1500ms", "--database.connect-timeout=1"}};
  ASSERT_TRUE(node.wait_healthy()) << node.log();
  EXPECT_EQ(node.get("/ready").status, 503);
  auto code = node.process().wait(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 4);
  EXPECT_NE(node.log().find("cannot prepare the database"), std::string::npos) << node.log();
}

TEST(parleyd, malformed_and_oversized_requests_get_json_4xx) {
  PARLEY_REQUIRE_DATABASE();
  scratch_database db;
  parleyd node{db.url(), {}, {"--http.body-limit=1024"}};
  ASSERT_TRUE(node.wait_ready()) << node.log();

  auto garbage = raw_exchange(node.port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(garbage.find("HTTP/1.1 400"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find(R"("code":"bad_request")"), std::string::npos) << garbage;

  auto big = http_call("POST", node.port(), "/health", std::string(4096, 'x'));
  EXPECT_EQ(big.status, 413) << big.error;
  EXPECT_NE(big.body.find(R"("code":"payload_too_large")"), std::string::npos);

  auto wrong_method = http_call("DELETE", node.port(), "/health");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(node.get("/health").status, 200);  // and the node is still fine
}
