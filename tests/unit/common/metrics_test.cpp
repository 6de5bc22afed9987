#include "common/metrics.hpp"

#include <gtest/gtest.h>

using namespace parley::common;

TEST(metrics, counter_renders_with_labels_help_and_type) {
  metrics_registry reg;
  reg.get_counter("requests_total", "Requests.", {{"route", "/health"}, {"status", "200"}}).inc(3);
  auto text = reg.render();
  EXPECT_NE(text.find("# HELP requests_total Requests.\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("requests_total{route=\"/health\",status=\"200\"} 3\n"), std::string::npos);
}

TEST(metrics, same_labels_give_the_same_series) {
  metrics_registry reg;
  auto& a = reg.get_counter("c", "h", {{"k", "v"}});
  auto& b = reg.get_counter("c", "h", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

TEST(metrics, histogram_buckets_are_cumulative_with_sum_and_count) {
  metrics_registry reg;
  auto& h = reg.get_histogram("lat_seconds", "Latency.", {{"route", "/x"}}, {0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(0.005);
  h.observe(5);
  auto text = reg.render();
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"0.001\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"0.01\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"0.1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{route=\"/x\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{route=\"/x\"} 5.0105\n"), std::string::npos) << text;
}

TEST(metrics, label_values_are_escaped) {
  EXPECT_EQ(render_labels({{"a", "x\"y\\z\nw"}}), "{a=\"x\\\"y\\\\z\\nw\"}");
}

TEST(metrics, callbacks_are_read_at_render_time) {
  metrics_registry reg;
  double v = 1;
  reg.add_callback("g", "A gauge.", "gauge", [&v] { return v; });
  v = 42;
  EXPECT_NE(reg.render().find("g 42\n"), std::string::npos);
}

TEST(metrics, process_metrics_are_registered) {
  metrics_registry reg;
  register_process_metrics(reg);
  auto text = reg.render();
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
  EXPECT_NE(text.find("process_open_fds "), std::string::npos);
}

TEST(metrics, one_name_cannot_have_two_types) {
  metrics_registry reg;
  reg.get_counter("x", "h");
  EXPECT_THROW(reg.get_gauge("x", "h"), std::logic_error);
}
