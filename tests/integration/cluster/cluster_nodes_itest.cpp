// Three real parleyd processes on loopback sharing one PostgreSQL, a fake Graph API as the
// outside world. Tenants spread over the nodes and every node agrees on their owners; a
// webhook that lands on a non-owner is answered once, by the owner; kill -9 of an owner under
// a stream of messages, then its restart, lose nothing and answer nothing twice, in order; a
// node cut off from its peers (but not from PostgreSQL) never makes two nodes answer one
// conversation; a node without a certificate of the cluster CA cannot join.
//
// Failover and rebalance times are printed (not asserted: the machine is shared).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "edge/route_helpers.hpp"
#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const std::vector<std::string> names{"node1", "node2", "node3"};

std::string field(const std::string& json, const std::string& key) {
  return parley::edge::json_string_field(json, key);
}

// One customer's messages, numbered: "m<seq>" in the text lets the checks read the order back.
struct sent_message {
  std::string customer;
  std::string wamid;
  int seq = 0;
};

}  // namespace

class cluster_nodes : public ::testing::Test {
 protected:
  void SetUp() override {
    PARLEY_REQUIRE_DATABASE();
    db_ = std::make_unique<scratch_database>();
    for (int i = 0; i < 3; ++i) {
      http_.push_back(free_port());
      cluster_.push_back(free_port());
    }
    nodes_.resize(3);
    // Meta tells the business what became of each message: a status webhook, to whichever node
    // answers, naming the bubble it was sent for. A node that takes a dead node's tenants
    // learns from it which of its pending bubbles were sent already.
    graph_.emit_statuses([this](const graph_call& call) {
      auto phone = call.path.substr(0, call.path.rfind('/'));
      phone = phone.substr(phone.rfind('/') + 1);
      demo_tenant t;
      {
        std::lock_guard<std::mutex> guard{known_mtx_};
        auto it = known_.find(phone);
        if (it == known_.end()) return;
        t = it->second;
      }
      auto body = status_webhook_with_callback(phone, call.to, call.wamid, "sent", call.callback);
      for (int i = 0; i < 3; ++i)
        if (post_webhook(http_[i], t, body).status == 200) return;
    });
  }

  void TearDown() override {
    // Stop in parallel: each node waits for its peers' connections to close otherwise.
    for (auto& n : nodes_)
      if (n && n->process().running()) n->process().signal(SIGTERM);
    nodes_.clear();
  }

  std::string write_config(const std::string& extra = {}) {
    auto path = scratch_path("cluster") + ".conf";
    std::ofstream out{path};
    out << "[cluster]\nnodes={\n";
    for (int i = 0; i < 3; ++i)
      out << "  " << names[i] << "={host=\"127.0.0.1\", cluster-port=" << cluster_[i]
          << ", http-port=" << http_[i] << "}\n";
    out << "}\nheartbeat-interval=100ms\nfailure-timeout=1s\nlease-ttl=1500ms\n" << extra;
    return path;
  }

  void start(int i, const std::string& config, bool wait = true) {
    std::map<std::string, std::string> env{{"PARLEY_CONFIG", config},
                                           {"PARLEY_NODE", names[i]},
                                           {"PARLEY_HTTP_PORT", std::to_string(http_[i])},
                                           {"PARLEY_BUFFER_WINDOW_MS", "0"}};
    nodes_[i] = std::make_unique<parleyd>(
        db_->url(), env,
        std::vector<std::string>{"--outbox.retry-base=20ms", "--outbox.send-timeout=2s",
                                 "--outbox.uncertain-wait=3s", "--parley.fault-injection"});
    if (wait && !nodes_[i]->wait_ready(60s))
      throw std::runtime_error(names[i] + " did not start:\n" + nodes_[i]->log());
  }

  void start_all(const std::string& extra = {}) {
    config_ = write_config(extra);
    for (int i = 0; i < 3; ++i) start(i, config_, false);
    for (int i = 0; i < 3; ++i)
      if (!nodes_[i]->wait_ready(60s))
        throw std::runtime_error(names[i] + " did not start:\n" + nodes_[i]->log());
  }

  std::vector<demo_tenant> make_tenants(int n) {
    std::vector<demo_tenant> out;
    for (int i = 0; i < n; ++i)
      out.push_back(make_tenant(http_[i % 3], graph_.base_url(), std::to_string(106540352200 + i)));
    std::lock_guard<std::mutex> guard{known_mtx_};
    for (const auto& t : out) known_[t.phone_number_id] = t;
    return out;
  }

  std::string owner_seen_by(int node, const std::string& tenant_id) {
    auto r = admin_call(http_[node], "GET", "/v1/cluster/tenants/" + tenant_id);
    return r.status == 200 ? field(r.body, "owner") : "";
  }

  // A counter of `node`'s report in GET /v1/cluster as `observer` gathers it; -1 if absent.
  long report_counter(int observer, const std::string& node, const std::string& key) {
    auto body = admin_call(http_[observer], "GET", "/v1/cluster").body;
    auto at = body.find(R"({"node":")" + node + R"(","nodes")");
    if (at == std::string::npos) return -1;
    auto k = body.find("\"" + key + "\":", at);
    if (k == std::string::npos) return -1;
    return std::stol(body.substr(k + key.size() + 3));
  }

  int index_of(const std::string& name) {
    return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
  }

  http_reply send(int node, const demo_tenant& t, const sent_message& m) {
    return post_webhook(http_[node], t,
                        text_webhook(t.phone_number_id, {{m.customer, m.wamid,
                                                          "m" + std::to_string(m.seq) +
                                                              " ¿Qué medios de pago aceptan?"}}));
  }

  // Every acknowledged message processed, and every reply the Graph API received quotes a
  // message of its customer that is later than the one its previous reply quoted: nothing
  // answered twice, nothing answered out of order.
  void expect_each_answered_once_in_order(const std::vector<sent_message>& acked) {
    ASSERT_TRUE(eventually(
        [&] {
          return db_->scalar(
                     "SELECT count(*) FROM messages WHERE direction = 'in' AND "
                     "status <> 'processed'") == "0";
        },
        60s))
        << db_->scalar(
               "SELECT count(*) FROM messages WHERE direction = 'in' AND status <> "
               "'processed'")
        << " unanswered";
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM messages WHERE direction = 'in'"),
              std::to_string(acked.size()));
    ASSERT_TRUE(eventually(
        [&] {
          return db_->scalar(
                     "SELECT count(*) FROM messages WHERE direction = 'out' AND "
                     "status = 'pending'") == "0";
        },
        30s));
    std::this_thread::sleep_for(300ms);
    std::map<std::string, int> seq_of;
    for (const auto& m : acked) seq_of[m.wamid] = m.seq;
    std::map<std::string, int> last_quoted;  // per customer
    std::set<std::string> quoted;
    int replies = 0;
    for (const auto& call : graph_.accepted()) {
      if (call.context_id.empty()) continue;
      ++replies;
      ASSERT_TRUE(seq_of.count(call.context_id)) << call.context_id;
      EXPECT_TRUE(quoted.insert(call.context_id).second)
          << "answered twice: " << call.context_id << " " << call.text;
      auto seq = seq_of[call.context_id];
      EXPECT_GT(seq, last_quoted[call.to]) << "out of order for " << call.to;
      last_quoted[call.to] = seq;
    }
    // Every turn was answered (a turn may merge messages that queued behind a slow one).
    auto turns =
        db_->scalar("SELECT count(DISTINCT idempotency_key) FROM messages WHERE direction = 'out'");
    EXPECT_EQ(std::to_string(replies), turns);
  }

  std::unique_ptr<scratch_database> db_;
  std::vector<int> http_;
  std::vector<int> cluster_;
  std::vector<std::unique_ptr<parleyd>> nodes_;
  std::string config_;
  std::mutex known_mtx_;
  std::map<std::string, demo_tenant> known_;  // by phone number id, for the status webhooks
  // Last: destroyed first, so its status thread stops before what it reads goes.
  fake_graph_api graph_;
};

TEST_F(cluster_nodes, tenants_spread_over_all_nodes_and_every_node_agrees_on_owners) {
  start_all();
  auto tenants = make_tenants(24);
  std::map<std::string, int> per_node;
  for (const auto& t : tenants) {
    auto owner = owner_seen_by(0, t.tenant_id);
    ASSERT_FALSE(owner.empty());
    EXPECT_EQ(owner_seen_by(1, t.tenant_id), owner) << t.tenant_id;
    EXPECT_EQ(owner_seen_by(2, t.tenant_id), owner) << t.tenant_id;
    ++per_node[owner];
  }
  EXPECT_EQ(per_node.size(), 3u) << "24 tenants all landed on fewer than 3 nodes";

  // One message per tenant, each to node1: the owner takes the lease and answers.
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    auto r = send(0, tenants[i],
                  {"1650555" + std::to_string(1000 + i), "wamid.S" + std::to_string(i), 1});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(graph_.wait_accepted(tenants.size(), 30s)) << nodes_[1]->log();
  for (const auto& t : tenants) {
    auto owner = owner_seen_by(0, t.tenant_id);
    EXPECT_EQ(db_->scalar("SELECT node FROM tenant_leases WHERE tenant_id = '" + t.tenant_id + "'"),
              owner);
  }
  // Each node runs exactly the tenants it owns.
  auto cluster = admin_call(http_[0], "GET", "/v1/cluster");
  ASSERT_EQ(cluster.status, 200) << cluster.body;
  for (const auto& t : tenants) {
    auto owner = owner_seen_by(0, t.tenant_id);
    auto running = admin_call(http_[index_of(owner)], "GET", "/v1/cluster");
    EXPECT_NE(running.body.find(R"({"tenant_id":")" + t.tenant_id + R"(","phase":"running")"),
              std::string::npos)
        << owner << " " << running.body;
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(graph_.accepted().size(), tenants.size());
}

TEST_F(cluster_nodes, a_webhook_sent_to_a_non_owner_is_answered_once_by_the_owner) {
  start_all();
  auto t = make_tenants(1)[0];
  auto owner = index_of(owner_seen_by(0, t.tenant_id));
  int other = (owner + 1) % 3;
  auto r = send(other, t, {"16505550001", "wamid.F1", 1});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(graph_.wait_accepted(1, 20s)) << nodes_[owner]->log();
  // The same webhook again (Meta retries): acknowledged, ignored.
  EXPECT_EQ(send(other, t, {"16505550001", "wamid.F1", 1}).status, 200);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(graph_.accepted().size(), 1u);
  EXPECT_EQ(db_->scalar("SELECT node FROM tenant_leases"), names[owner]);
  // Every node reports to every other: the forwarding node forwarded, the owner received,
  // once (the duplicate stopped at the inbox).
  for (int observer = 0; observer < 3; ++observer) {
    EXPECT_EQ(report_counter(observer, names[other], "forwarded"), 1) << observer;
    EXPECT_EQ(report_counter(observer, names[owner], "received"), 1) << observer;
    EXPECT_EQ(report_counter(observer, names[owner], "forwarded"), 0) << observer;
  }
}

TEST_F(cluster_nodes, kill_9_of_an_owner_under_a_stream_then_its_restart_lose_nothing) {
  start_all();
  auto tenants = make_tenants(6);
  // A tenant owned by node2 or node3; the stream goes to node1, which survives.
  int victim = -1;
  std::vector<demo_tenant> moving;
  for (const auto& t : tenants) {
    auto owner = index_of(owner_seen_by(0, t.tenant_id));
    if (owner != 0 && (victim == -1 || owner == victim)) {
      victim = owner;
      moving.push_back(t);
    }
  }
  ASSERT_NE(victim, -1);
  for (auto& t : moving)
    admin_call(http_[0], "PUT", "/v1/tenants/" + t.tenant_id,
               R"({"limits":{"messages_per_minute":100000}})");

  std::vector<sent_message> acked;
  std::atomic<int> seq{0};
  auto stream_for = [&](std::chrono::milliseconds how_long) {
    auto until = steady::now() + how_long;
    while (steady::now() < until) {
      for (std::size_t c = 0; c < 4; ++c) {
        auto& t = moving[c % moving.size()];
        sent_message m{"1650556" + std::to_string(2000 + c), "wamid.K" + std::to_string(seq + 1),
                       ++seq};
        if (send(0, t, m).status == 200) acked.push_back(m);
      }
      std::this_thread::sleep_for(40ms);  // ~100 messages per second
    }
  };
  stream_for(1500ms);
  auto killed_at = steady::now();
  nodes_[victim]->process().signal(SIGKILL);
  // Failover: from the kill to the first reply that quotes a message sent after it (watched
  // while the stream goes on; the wamids say which message a reply answers).
  auto first_after_kill = "wamid.K" + std::to_string(seq + 1);
  std::atomic<double> failover{-1};
  std::thread watch{[&] {
    auto first = std::stoi(first_after_kill.substr(7));
    while (steady::now() - killed_at < 30s && failover < 0) {
      for (const auto& c : graph_.accepted())
        if (c.context_id.rfind("wamid.K", 0) == 0 && std::stoi(c.context_id.substr(7)) >= first)
          failover = std::chrono::duration<double>(steady::now() - killed_at).count();
      std::this_thread::sleep_for(10ms);
    }
  }};
  stream_for(4000ms);
  watch.join();
  ASSERT_GE(failover, 0) << "no answer after the kill";
  std::printf("[figure] failover after kill -9: first answer to a new message after %.2f s\n",
              failover.load());

  auto restarted_at = steady::now();
  start(victim, config_);
  std::printf("[figure] restarted node ready after %.2f s\n",
              std::chrono::duration<double>(steady::now() - restarted_at).count());
  // The tenants go back to their owner by rendezvous hashing, while the stream goes on.
  std::atomic<double> rebalanced{-1};
  std::string moved_back = "SELECT count(*) FROM tenant_leases WHERE node = '" + names[victim] +
                           "' AND expires_at > now()";
  std::thread lease_watch{[&] {
    while (steady::now() - restarted_at < 30s && rebalanced < 0) {
      if (db_->scalar(moved_back) == std::to_string(moving.size()))
        rebalanced = std::chrono::duration<double>(steady::now() - restarted_at).count();
      std::this_thread::sleep_for(10ms);
    }
  }};
  stream_for(3000ms);
  lease_watch.join();
  EXPECT_GE(rebalanced, 0) << "the tenants did not move back: "
                           << db_->scalar(
                                  "SELECT string_agg(node || ':' || epoch || ':' || "
                                  "(expires_at > now())::text, ' ') FROM tenant_leases")
                           << "\n"
                           << nodes_[victim]->log();
  std::printf("[figure] rebalance after restart: every lease back after %.2f s\n",
              rebalanced.load());
  stream_for(1000ms);
  expect_each_answered_once_in_order(acked);
  std::printf("[figure] %zu messages acknowledged, all answered once\n", acked.size());
}

TEST_F(cluster_nodes, an_isolated_node_never_makes_two_nodes_answer_one_conversation) {
  start_all();
  auto tenants = make_tenants(6);
  for (auto& t : tenants)
    admin_call(http_[0], "PUT", "/v1/tenants/" + t.tenant_id,
               R"({"limits":{"messages_per_minute":100000}})");
  std::vector<sent_message> acked;
  int seq = 0;
  auto stream_for = [&](std::chrono::milliseconds how_long) {
    auto until = steady::now() + how_long;
    while (steady::now() < until) {
      for (std::size_t c = 0; c < tenants.size(); ++c) {
        sent_message m{"1650557" + std::to_string(3000 + c), "wamid.I" + std::to_string(seq + 1),
                       ++seq};
        if (send(static_cast<int>(c % 3), tenants[c], m).status == 200) acked.push_back(m);
      }
      std::this_thread::sleep_for(60ms);
    }
  };
  stream_for(1000ms);
  auto r = admin_call(http_[1], "POST", "/v1/cluster/isolate", R"({"isolated":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  // node2 sees everyone down, and everyone sees node2 down; both sides reach PostgreSQL.
  ASSERT_TRUE(eventually([&] {
    auto v = admin_call(http_[0], "GET", "/v1/cluster").body;
    return v.find(R"("name":"node2","host":"127.0.0.1")") != std::string::npos &&
           v.find(R"("state":"down")") != std::string::npos;
  }));
  stream_for(3000ms);
  EXPECT_EQ(admin_call(http_[1], "POST", "/v1/cluster/isolate", R"({"isolated":false})").status,
            200);
  stream_for(1000ms);
  expect_each_answered_once_in_order(acked);
  // Bad input: 400, nothing changes.
  auto bad = admin_call(http_[1], "POST", "/v1/cluster/isolate", R"({"isolated":"yes"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(cluster_nodes, scripts_cluster_starts_reports_and_stops_three_nodes) {
  auto scripts = std::getenv("PARLEY_TEST_SCRIPTS");
  ASSERT_NE(scripts, nullptr) << "PARLEY_TEST_SCRIPTS is not set (run through scripts/test)";
  // Three consecutive free ports for HTTP and three for the cluster, well apart.
  auto base = [](int from) {
    for (int p = from; p < from + 4000; p += 7)
      if (port_is_free(p) && port_is_free(p + 1) && port_is_free(p + 2)) return p;
    return 0;
  };
  int http_base = base(21000 + (getpid() % 500) * 8);
  int cluster_base = base(http_base + 4001);
  ASSERT_NE(http_base * cluster_base, 0);
  auto env =
      "PARLEY_CLUSTER_DIR=" + scratch_path("cluster-dir") + " PARLEY_BIN=" + bin_path("parleyd") +
      " PARLEY_DATABASE_URL='" + db_->url() + "' PARLEY_ADMIN_TOKEN=" + admin_token +
      " PARLEY_MASTER_KEY_FILE=" + master_key_file() +
      " PARLEY_CLUSTER_HTTP_BASE=" + std::to_string(http_base) +
      " PARLEY_CLUSTER_PORT_BASE=" + std::to_string(cluster_base) + " " + scripts + "/cluster ";
  auto status = [&] { return run_command(env + "status"); };
  ASSERT_EQ(std::system((env + "start 2>/dev/null").c_str()), 0);
  auto running = status();
  for (int i = 0; i < 3; ++i) {
    auto line = names[i] + " ";
    auto at = running.find(line);
    ASSERT_NE(at, std::string::npos) << running;
    auto rest = running.substr(at + line.size(), running.find('\n', at) - at - line.size());
    EXPECT_NE(rest.rfind("- ", 0), 0u) << "no pid: " << running;
    EXPECT_NE(rest.find(" http://127.0.0.1:" + std::to_string(http_base + i)), std::string::npos)
        << running;
  }
  EXPECT_TRUE(eventually([&] {
    auto v = admin_call(http_base, "GET", "/v1/cluster").body;
    return v.find(R"("state":"joining")") == std::string::npos &&
           v.find(R"("state":"down")") == std::string::npos &&
           v.find(R"("name":"node3")") != std::string::npos;
  }));
  ASSERT_EQ(std::system((env + "stop 2>/dev/null").c_str()), 0);
  auto stopped = status();
  EXPECT_NE(stopped.find("node1 - http://127.0.0.1:" + std::to_string(http_base)),
            std::string::npos)
      << stopped;
}

TEST_F(cluster_nodes, a_node_without_a_certificate_of_the_cluster_ca_cannot_join) {
  auto scripts = std::getenv("PARLEY_TEST_SCRIPTS");
  ASSERT_NE(scripts, nullptr) << "PARLEY_TEST_SCRIPTS is not set (run through scripts/test)";
  auto good = scratch_path("certs");
  auto rogue = scratch_path("rogue");
  ASSERT_EQ(std::system(
                (std::string{scripts} + "/cluster-certs " + good + " node1 node2 node3 2>/dev/null")
                    .c_str()),
            0);
  ASSERT_EQ(std::system(
                (std::string{scripts} + "/cluster-certs " + rogue + " node3 2>/dev/null").c_str()),
            0);
  auto tls = [](const std::string& dir) {
    return "tls=true\ntls-certificate=\"" + dir + "/{node}.pem\"\ntls-key=\"" + dir +
           "/{node}.key\"\ntls-ca-file=\"" + dir + "/ca.pem\"\n";
  };
  config_ = write_config(tls(good));
  auto rogue_config = write_config(tls(rogue));
  start(0, config_, false);
  start(1, config_, false);
  start(2, rogue_config, false);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(nodes_[i]->wait_ready(60s)) << nodes_[i]->log();
  auto state_of = [&](int observer, const std::string& node) {
    auto body = admin_call(http_[observer], "GET", "/v1/cluster").body;
    auto at = body.find(R"({"name":")" + node + "\"");
    if (at == std::string::npos) return std::string{};
    auto s = body.find(R"("state":")", at);
    return body.substr(s + 9, body.find('"', s + 9) - s - 9);
  };
  EXPECT_TRUE(eventually([&] { return state_of(0, "node2") == "up"; }));
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(state_of(0, "node3"), "down");
  EXPECT_EQ(state_of(1, "node3"), "down");
  EXPECT_EQ(state_of(2, "node1"), "down");
  // The rogue node owns nothing the others own: with its peers down in its view it may claim
  // tenants, but it can take no lease that a member holds, and the members never see it.
  EXPECT_NE(state_of(2, "node3"), "");
}
