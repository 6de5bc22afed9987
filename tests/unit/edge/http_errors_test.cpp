// Failures the client did not cause: the right status, a correlation id, and never the
// server's own text in the answer.
#include "edge/http_errors.hpp"

#include <gtest/gtest.h>

using parley::edge::db_failure_response;
using parley::edge::internal_error_response;
using parley::persistence::db_errc;
using parley::persistence::db_failure;

namespace {
std::string header(const parley::edge::http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}
}  // namespace

TEST(http_errors, a_rejected_statement_is_a_500_without_the_database_text) {
  auto r = db_failure_response(
      db_failure{db_errc::query_failed, R"(ERROR:  relation "secret_table" does not exist)"},
      "test");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret_table"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("code":"internal")"), std::string::npos) << r.body;
  auto id = header(r, "X-Correlation-Id");
  ASSERT_EQ(id.size(), 16u);
  EXPECT_NE(r.body.find(R"("correlation_id":")" + id + "\""), std::string::npos) << r.body;
}

TEST(http_errors, connection_trouble_overload_and_stopping_are_503) {
  for (auto code : {db_errc::unavailable, db_errc::overloaded, db_errc::stopped}) {
    auto r = db_failure_response(db_failure{code, "could not connect to server at 10.0.0.7"}, "t");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body.find("10.0.0.7"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(R"("code":"unavailable")"), std::string::npos) << r.body;
  }
}

TEST(http_errors, an_exception_is_a_500_with_a_fresh_correlation_id) {
  auto a = internal_error_response("std::bad_alloc at 0x7ffd", "/v1/x");
  auto b = internal_error_response("std::bad_alloc at 0x7ffd", "/v1/x");
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(a.body.find("0x7ffd"), std::string::npos);
  EXPECT_NE(header(a, "X-Correlation-Id"), header(b, "X-Correlation-Id"));
}
