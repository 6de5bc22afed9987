#pragma once
// The fixture of the supervision tests: a real node on a scratch database with one tenant
// pointed at a fake Graph API, and helpers to read its actor tree.
#include <thread>

#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

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
    PARLEY_REQUIRE_DATABASE();
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
  // Lifts the tenant's message budget (600 a minute by default), for tests with many customers.
  void unlimited_messages() {
    auto put = admin_call(node_->port(), "PUT", "/v1/tenants/" + tenant_.tenant_id,
                          R"({"limits":{"messages_per_minute":1000000}})");
    ASSERT_EQ(put.status, 200) << put.body;
  }
  // One "hola" from each of `customers` new customers (numbered from `base`), 100 a webhook.
  void wave(const std::string& wamid_prefix, int base, int customers) {
    for (int b = 0; b < customers / 100; ++b) {
      std::vector<text_in> msgs;
      for (int i = 0; i < 100; ++i) {
        auto n = base + b * 100 + i;
        msgs.push_back(
            {"57" + std::to_string(1000000 + n), wamid_prefix + std::to_string(n), "hola"});
      }
      auto r = post_webhook(node_->port(), tenant_, text_webhook(tenant_.phone_number_id, msgs));
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
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
