// Memory after mass passivation: 10,000 conversations opened and passivated. Its own binary,
// run alone (RUN_SERIAL), because it measures the node's resident memory.
#include <thread>

#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 20s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// The number after `key=` in the first child_info detail that has it ("" when none).
std::string detail_value(const std::string& tree, const std::string& key) {
  auto p = tree.find(key + "=");
  if (p == std::string::npos) return {};
  p += key.size() + 1;
  auto e = tree.find_first_of(" \"", p);
  return tree.substr(p, e - p);
}

}  // namespace

class supervision : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test_database_url().empty()) {
      if (integration_required()) FAIL() << "PARLEY_TEST_DATABASE_URL is not set";
      GTEST_SKIP() << "PARLEY_TEST_DATABASE_URL is not set (run through scripts/test)";
    }
    db_ = std::make_unique<scratch_database>();
  }
  void start(std::map<std::string, std::string> env, std::vector<std::string> args) {
    env.emplace("PARLEY_BUFFER_WINDOW_MS", "0");
    args.push_back("--outbox.retry-base=20ms");
    node_ = std::make_unique<parleyd>(db_->url(), env, args);
    if (!node_->wait_ready()) throw std::runtime_error("parleyd did not start:\n" + node_->log());
    tenant_ = make_tenant(node_->port(), graph_.base_url(), "2000000001");
  }
  http_reply send(const demo_tenant& t, const std::string& from, const std::string& wamid,
                  const std::string& text) {
    return post_webhook(node_->port(), t, text_webhook(t.phone_number_id, {{from, wamid, text}}));
  }
  std::string tree() { return admin_call(node_->port(), "GET", "/v1/actors").body; }
  std::vector<std::string> replies_to(const std::string& wamid) {
    std::vector<std::string> out;
    for (auto& c : graph_.accepted())
      if (c.context_id == wamid) out.push_back(c.text);
    return out;
  }
  fake_graph_api graph_;
  std::unique_ptr<scratch_database> db_;
  std::unique_ptr<parleyd> node_;
  demo_tenant tenant_;
};

namespace {
double resident_bytes(parleyd& node) {
  auto m = node.get("/metrics").body;
  auto p = m.find("\nprocess_resident_memory_bytes ");
  return p == std::string::npos ? 0 : std::stod(m.substr(p + 31));
}
}  // namespace

TEST_F(supervision, memory_returns_near_the_baseline_after_mass_passivation) {
  start({{"PARLEY_CONVERSATION_IDLE_MS", "1500"}}, {});
  // Warm up allocator and caches with a first small wave, then measure from there.
  auto wave = [&](int base, int customers) {
    for (int b = 0; b < customers / 100; ++b) {
      std::vector<text_in> msgs;
      for (int i = 0; i < 100; ++i) {
        auto n = base + b * 100 + i;
        msgs.push_back({"57" + std::to_string(1000000 + n), "wamid.M" + std::to_string(n), "hola"});
      }
      auto r = post_webhook(node_->port(), tenant_, text_webhook(tenant_.phone_number_id, msgs));
      ASSERT_EQ(r.status, 200) << r.body;
    }
  };
  wave(0, 500);
  ASSERT_TRUE(graph_.wait_accepted(500, 60s));
  ASSERT_TRUE(eventually([&] { return detail_value(tree(), "active_conversations") == "0"; }, 30s));
  auto baseline = resident_bytes(*node_);
  wave(100000, 10000);
  ASSERT_TRUE(graph_.wait_accepted(10500, 600s)) << graph_.accepted().size();
  auto peak = resident_bytes(*node_);
  ASSERT_TRUE(eventually([&] { return detail_value(tree(), "active_conversations") == "0"; }, 60s))
      << detail_value(tree(), "active_conversations");
  std::this_thread::sleep_for(500ms);
  auto after = resident_bytes(*node_);
  RecordProperty("rss_baseline_mb", std::to_string(baseline / 1e6));
  RecordProperty("rss_peak_mb", std::to_string(peak / 1e6));
  RecordProperty("rss_after_mb", std::to_string(after / 1e6));
  std::cerr << "RSS baseline " << baseline / 1e6 << " MB, with 10000 conversations " << peak / 1e6
            << " MB, after passivation " << after / 1e6 << " MB\n";
  ASSERT_GT(peak, baseline);
  // Near the baseline: at most a quarter of what the 10,000 conversations took stays.
  EXPECT_LT(after - baseline, (peak - baseline) / 4);
}
