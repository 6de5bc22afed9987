#include "common/json_writer.hpp"

#include <gtest/gtest.h>

#include "edge/http_types.hpp"

using namespace parley::common;
using namespace parley::edge;

TEST(json_writer, nested_objects_and_arrays) {
  json_writer w;
  w.begin_object().field("a", 1).key("b").begin_array().value("x").value(true).null().end_array();
  w.key("c").begin_object().field("d", 2.5).end_object().end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",true,null],"c":{"d":2.5}})");
}

TEST(json_writer, escapes_quotes_backslashes_and_controls) {
  json_writer w;
  w.value(std::string_view{"a\"b\\c\nd\x01\xc3\xb1", 10});
  EXPECT_EQ(w.str(), "\"a\\\"b\\\\c\\nd\\u0001\xc3\xb1\"");
}

TEST(json_writer, error_body_shape) {
  auto res = json_error(404, "not_found", "no \"x\"");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body, R"({"error":{"code":"not_found","message":"no \"x\""}})");
}

TEST(http_types, query_params_are_decoded) {
  http_request r;
  r.query = "hub.mode=subscribe&hub.challenge=12%2034&hub.verify_token=a+b&empty";
  EXPECT_EQ(r.query_param("hub.mode"), "subscribe");
  EXPECT_EQ(r.query_param("hub.challenge"), "12 34");
  EXPECT_EQ(r.query_param("hub.verify_token"), "a b");
  EXPECT_EQ(r.query_param("empty"), "");
  EXPECT_EQ(r.query_param("missing"), "");
  EXPECT_EQ(url_decode("%zz%4"), "%zz%4");
}
