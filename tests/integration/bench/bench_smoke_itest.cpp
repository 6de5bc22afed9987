// CI smoke test of parley-bench: a real parleyd on a scratch database, short e2e and duplicates
// runs, and the report's correctness figures (acked, errors, lost, duplicated). No timing
// assertions: figures depend on the machine. The test thread runs parley-bench as a child
// process and waits for it.
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "tests/support/node.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

struct bench_report {
  std::string json;
  simdjson::dom::parser parser;
  simdjson::dom::element root;

  // results.parley.<group>.<key> as an integer; fails the test when absent.
  int64_t parley(const char* group, const char* key) {
    int64_t v = -1;
    auto err = root["results"]["parley"][group][key].get(v);
    EXPECT_EQ(err, simdjson::SUCCESS) << "results.parley." << group << "." << key << " in\n"
                                      << json;
    return v;
  }
};

class bench_smoke : public ::testing::Test {
 protected:
  void SetUp() override {
    PARLEY_REQUIRE_DATABASE();
    db_ = std::make_unique<scratch_database>();
    node_ = std::make_unique<parleyd>(
        db_->url(), std::map<std::string, std::string>{{"PARLEY_BUFFER_WINDOW_MS", "0"}});
    ASSERT_TRUE(node_->wait_ready()) << "parleyd did not start:\n" << node_->log();
  }

  // Runs parley-bench with these extra arguments; returns false (and explains) if it failed.
  bool run(const std::vector<std::string>& extra, bench_report& report) {
    auto path = scratch_path("bench-report") + ".json";
    auto log = scratch_path("bench") + ".log";
    std::vector<std::string> args{"--target",
                                  "http://127.0.0.1:" + std::to_string(node_->port()),
                                  "--admin-token",
                                  "test-admin-token",
                                  "--quiet",
                                  "--report",
                                  path};
    args.insert(args.end(), extra.begin(), extra.end());
    child_process bench;
    bench.start(bin_path("parley-bench"), args, {}, log);
    auto code = bench.wait(120s);
    if (!code) {
      bench.signal(SIGKILL);
      ADD_FAILURE() << "parley-bench did not finish within 120 s:\n" << bench.output();
      return false;
    }
    if (*code != 0) {
      ADD_FAILURE() << "parley-bench exited with " << *code << ":\n"
                    << bench.output() << "\nparleyd:\n"
                    << node_->log();
      return false;
    }
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    report.json = ss.str();
    if (report.parser.parse(report.json).get(report.root) != simdjson::SUCCESS) {
      ADD_FAILURE() << "the report is not JSON:\n" << report.json;
      return false;
    }
    return true;
  }

  std::unique_ptr<scratch_database> db_;
  std::unique_ptr<parleyd> node_;
};

}  // namespace

TEST_F(bench_smoke, e2e_run_acks_and_answers_every_message_once) {
  bench_report r;
  ASSERT_TRUE(run({"--scenario", "e2e", "--duration", "2", "--warmup", "0.5", "--connections", "4",
                   "--tenants", "2", "--customers", "10"},
                  r));
  EXPECT_GT(r.parley("messages", "acked"), 0) << r.json;
  EXPECT_EQ(r.parley("errors", "total"), 0) << r.json;
  EXPECT_EQ(r.parley("replies", "lost"), 0) << r.json << "\nparleyd:\n" << node_->log();
  EXPECT_EQ(r.parley("replies", "duplicated"), 0) << r.json;
  EXPECT_EQ(r.parley("replies", "misrouted"), 0) << r.json;
  EXPECT_GT(r.parley("ack_latency_ms", "count"), 0) << r.json;
  EXPECT_GT(r.parley("e2e_latency_ms", "count"), 0) << r.json;
}

TEST_F(bench_smoke, resent_webhooks_are_not_answered_twice) {
  bench_report r;
  ASSERT_TRUE(run({"--scenario", "duplicates", "--duration", "2", "--warmup", "0.5",
                   "--connections", "4", "--tenants", "2", "--customers", "10"},
                  r));
  EXPECT_GT(r.parley("requests", "resent_acked"), 0) << r.json;
  EXPECT_EQ(r.parley("errors", "total"), 0) << r.json;
  EXPECT_EQ(r.parley("messages", "dedup_failures"), 0) << r.json;
  EXPECT_EQ(r.parley("replies", "duplicated"), 0) << r.json;
  EXPECT_EQ(r.parley("replies", "lost"), 0) << r.json;
}
