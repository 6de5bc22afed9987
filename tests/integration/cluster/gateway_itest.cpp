// Cluster gateways over real loopback TCP: three actor systems in this one process act as three
// nodes (CAF guide §5). Membership converges, a stopped or silent node is noticed and comes
// back, forward_atom delivers parley::inbound_msg to the owner's handler, TLS keeps out a node
// whose certificate the cluster CA did not sign. Two tests run node3 as a child process (this
// binary again) to kill -9 and SIGSTOP it for real. Timings are printed, and asserted only
// against generous bounds (the box is shared).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "messages/conversation.hpp"
#include "messages/register.hpp"
#include "cluster/gateway.hpp"
#include "tests/support/node.hpp"
#include "tests/support/process.hpp"

using namespace parley;
using namespace parley::cluster;
using namespace std::chrono_literals;

namespace {

using ms = std::chrono::milliseconds;

constexpr ms heartbeat = 100ms;
constexpr ms failure_timeout = 1000ms;

uint64_t new_incarnation() {
  static std::atomic<uint64_t> last{0};
  auto now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  auto prev = last.load();
  while (!last.compare_exchange_weak(prev, std::max(prev + 1, now))) {
  }
  return std::max(prev + 1, now);
}

template <class Pred>
bool eventually(Pred pred, ms timeout = 10s) {
  auto until = clock::now() + timeout;
  while (clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

double ms_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What one node's on_change reported, with the time it arrived.
struct recorder {
  std::mutex mtx;
  std::vector<std::pair<clock::time_point, cluster_view>> history;

  void add(const cluster_view& v) {
    std::lock_guard<std::mutex> g{mtx};
    history.emplace_back(clock::now(), v);
  }
  node_state state_of(const std::string& node) {
    std::lock_guard<std::mutex> g{mtx};
    if (history.empty()) return node_state::joining;
    for (const auto& n : history.back().second.nodes)
      if (n.name == node) return n.state;
    return node_state::down;
  }
  uint64_t incarnation_of(const std::string& node) {
    std::lock_guard<std::mutex> g{mtx};
    if (history.empty()) return 0;
    for (const auto& n : history.back().second.nodes)
      if (n.name == node) return n.incarnation;
    return 0;
  }
  bool all_up(std::size_t n) {
    std::lock_guard<std::mutex> g{mtx};
    return !history.empty() && nodes_up(history.back().second).size() == n &&
           std::all_of(history.back().second.nodes.begin(), history.back().second.nodes.end(),
                       [](const node_status& s) { return s.state == node_state::up; });
  }
  /// When `node` first entered `state` after `since` (nullopt: not yet).
  std::optional<clock::time_point> entered(const std::string& node, node_state state,
                                           clock::time_point since) {
    std::lock_guard<std::mutex> g{mtx};
    for (const auto& [t, v] : history) {
      if (t < since) continue;
      for (const auto& n : v.nodes)
        if (n.name == node && n.state == state) return t;
    }
    return std::nullopt;
  }
  std::size_t changes() {
    std::lock_guard<std::mutex> g{mtx};
    return history.size();
  }
};

struct inbox {
  std::mutex mtx;
  std::vector<std::string> texts;
  void add(std::string t) {
    std::lock_guard<std::mutex> g{mtx};
    texts.push_back(std::move(t));
  }
  std::vector<std::string> all() {
    std::lock_guard<std::mutex> g{mtx};
    return texts;
  }
};

// One node: its own actor_system, gateway and handler (what parleyd will wire).
struct test_node {
  std::string name;
  uint16_t port = 0;
  uint64_t incarnation = 0;
  tls_settings tls;
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor gw;
  caf::actor handler;
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  std::shared_ptr<inbox> received = std::make_shared<inbox>();

  caf::error start(const std::vector<node_address>& all) {
    incarnation = new_incarnation();
    rec = std::make_shared<recorder>();
    cfg = std::make_unique<caf::actor_system_config>();
    cfg->set("scheduler.max-threads", 2);
    cfg->set("logger.verbosity", caf::atom("quiet"));
    register_messages(*cfg);
    configure_cluster(*cfg, heartbeat, tls);
    sys = std::make_unique<caf::actor_system>(*cfg);
    auto me = name;
    auto in = received;
    handler = sys->spawn([me, in](caf::event_based_actor*) -> caf::behavior {
      return {[me, in](const inbound_msg& m) {
        in->add(m.text);
        return me + " got " + m.text;
      }};
    });
    gateway_settings s;
    s.self = name;
    s.incarnation = incarnation;
    s.host = "127.0.0.1";
    s.cluster_port = port;
    s.peers = all;
    s.heartbeat_interval = heartbeat;
    s.failure_timeout = failure_timeout;
    s.tls = tls.enabled;
    s.handler = handler;
    auto r = rec;
    s.on_change = [r](const cluster_view& v) { r->add(v); };
    auto res = spawn_gateway(*sys, std::move(s));
    if (!res) return res.error();
    gw = *res;
    return caf::none;
  }

  void stop() {
    if (!sys) return;
    stop_gateway(*sys, gw);
    caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
    gw = nullptr;
    handler = nullptr;
    sys.reset();
    cfg.reset();
  }

  cluster_view view() {
    cluster_view out;
    caf::scoped_actor self{*sys};
    self->request(gw, caf::duration{5s}, view_atom::value)
        .receive([&](cluster_view& v) { out = std::move(v); },
                 [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
    return out;
  }

  ~test_node() { stop(); }
};

class cluster_gateway : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      nodes[i].name = "node" + std::to_string(i + 1);
      nodes[i].port = static_cast<uint16_t>(parley::test::free_port());
      addresses.push_back(
          node_address{nodes[i].name, "127.0.0.1", nodes[i].port, static_cast<uint16_t>(8000 + i)});
    }
  }

  void start_all() {
    auto t0 = clock::now();
    for (auto& n : nodes) {
      auto err = n.start(addresses);
      ASSERT_FALSE(err) << n.name << ": " << to_string(err);
    }
    ASSERT_TRUE(eventually([&] {
      return nodes[0].rec->all_up(3) && nodes[1].rec->all_up(3) && nodes[2].rec->all_up(3);
    })) << "membership did not converge";
    std::printf("[cluster] 3 nodes converged to all up in %.0f ms\n", ms_between(t0, clock::now()));
  }

  test_node nodes[3];
  std::vector<node_address> addresses;
};

}  // namespace

TEST_F(cluster_gateway, three_nodes_converge_and_stay_up) {
  start_all();
  auto changes = nodes[0].rec->changes();
  std::this_thread::sleep_for(3 * failure_timeout);
  for (auto& n : nodes) {
    auto v = n.view();
    EXPECT_EQ(v.self, n.name);
    ASSERT_EQ(v.nodes.size(), 3u);
    for (const auto& s : v.nodes) {
      EXPECT_EQ(s.state, node_state::up) << n.name << " sees " << s.name;
      EXPECT_LT(s.heartbeat_age_ms, 5 * heartbeat.count()) << n.name << " sees " << s.name;
      EXPECT_EQ(s.self, s.name == n.name);
    }
    EXPECT_EQ(nodes_up(v), (std::vector<std::string>{"node1", "node2", "node3"}));
  }
  // No flapping while idle: the view stopped changing once everyone was up.
  EXPECT_EQ(nodes[0].rec->changes(), changes);
  EXPECT_EQ(nodes[0].view().nodes[1].incarnation, nodes[1].incarnation);
}

TEST_F(cluster_gateway, forward_delivers_registered_messages_to_the_remote_handler) {
  start_all();
  caf::scoped_actor self{*nodes[0].sys};
  inbound_msg m;
  m.id = 42;
  m.tenant_id = "00000000-0000-0000-0000-000000000001";
  m.text = "hola";
  // As a request: the remote handler's answer comes straight back.
  std::string answer;
  self->request(nodes[0].gw, caf::duration{5s}, forward_atom::value, std::string{"node2"},
                caf::make_message(m))
      .receive([&](std::string& s) { answer = s; },
               [&](caf::error& e) { ADD_FAILURE() << nodes[0].sys->render(e); });
  EXPECT_EQ(answer, "node2 got hola");
  // Fire-and-forget, pipelined: all arrive, in order.
  for (int i = 0; i < 100; ++i) {
    m.text = "m" + std::to_string(i);
    self->send(nodes[0].gw, forward_atom::value, std::string{"node3"}, caf::make_message(m));
  }
  ASSERT_TRUE(eventually([&] { return nodes[2].received->all().size() == 100; }));
  auto got = nodes[2].received->all();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], "m" + std::to_string(i));
  // To itself: the local handler.
  m.text = "local";
  self->request(nodes[0].gw, caf::duration{5s}, forward_atom::value, std::string{"node1"},
                caf::make_message(m))
      .receive([&](std::string& s) { answer = s; },
               [&](caf::error& e) { ADD_FAILURE() << nodes[0].sys->render(e); });
  EXPECT_EQ(answer, "node1 got local");
  // An unknown node is an error value, not a lost message.
  caf::error err;
  self->request(nodes[0].gw, caf::duration{5s}, forward_atom::value, std::string{"node9"},
                caf::make_message(m))
      .receive([&](std::string&) { ADD_FAILURE() << "answered"; }, [&](caf::error& e) { err = e; });
  EXPECT_EQ(err, make_error(cluster_errc::unknown_node, "node9")) << nodes[0].sys->render(err);
  // ...and, sent without a request, it is dropped: nothing comes back to the sender.
  self->send(nodes[0].gw, forward_atom::value, std::string{"node9"}, caf::make_message(m));
  self->receive([&](caf::message& x) { ADD_FAILURE() << "unexpected " << to_string(x); },
                caf::after(std::chrono::milliseconds{300}) >> [] {});
  // Views cross nodes too (cluster_view is registered): node1 asks node2's gateway.
  auto gw2 = nodes[0].sys->middleman().remote_actor("127.0.0.1", nodes[1].port);
  ASSERT_TRUE(gw2) << nodes[0].sys->render(gw2.error());
  cluster_view remote;
  self->request(*gw2, caf::duration{5s}, view_atom::value)
      .receive([&](cluster_view& v) { remote = std::move(v); },
               [&](caf::error& e) { ADD_FAILURE() << nodes[0].sys->render(e); });
  EXPECT_EQ(remote.self, "node2");
  ASSERT_EQ(remote.nodes.size(), 3u);
  EXPECT_EQ(remote.nodes[2].state, node_state::up);
  EXPECT_EQ(remote.nodes[0].incarnation, nodes[0].incarnation);
}

TEST_F(cluster_gateway, a_stopped_node_is_noticed_down_and_comes_back_up) {
  start_all();
  auto stopped = clock::now();
  nodes[2].stop();
  auto stop_done = clock::now();
  ASSERT_TRUE(eventually([&] {
    return nodes[0].rec->state_of("node3") == node_state::down &&
           nodes[1].rec->state_of("node3") == node_state::down;
  })) << "node3 was not noticed down within 10 s";
  for (int i = 0; i < 2; ++i) {
    auto t = nodes[i].rec->entered("node3", node_state::down, stopped);
    ASSERT_TRUE(t);
    std::printf("[cluster] %s saw node3 down %.1f ms after the stop began (stop took %.1f ms)\n",
                nodes[i].name.c_str(), ms_between(stopped, *t), ms_between(stopped, stop_done));
  }
  EXPECT_EQ(nodes[0].rec->state_of("node2"), node_state::up);
  // Forwarding to a down node fails fast.
  {
    caf::scoped_actor self{*nodes[0].sys};
    caf::error err;
    self->request(nodes[0].gw, caf::duration{5s}, forward_atom::value, std::string{"node3"},
                  caf::make_message(inbound_msg{}))
        .receive([&](std::string&) { ADD_FAILURE() << "answered"; },
                 [&](caf::error& e) { err = e; });
    EXPECT_EQ(err, make_error(cluster_errc::unreachable, "node3")) << nodes[0].sys->render(err);
  }
  // The node restarts on the same port with a new incarnation.
  std::this_thread::sleep_for(1500ms);  // let the survivors' reconnects back off
  auto restarted = clock::now();
  auto old_incarnation = nodes[0].rec->incarnation_of("node3");
  auto err = nodes[2].start(addresses);
  ASSERT_FALSE(err) << to_string(err);
  ASSERT_TRUE(eventually([&] {
    return nodes[0].rec->all_up(3) && nodes[1].rec->all_up(3) && nodes[2].rec->all_up(3);
  })) << "node3 did not come back";
  for (int i = 0; i < 2; ++i) {
    auto t = nodes[i].rec->entered("node3", node_state::up, restarted);
    ASSERT_TRUE(t);
    std::printf("[cluster] %s saw node3 up again %.1f ms after its restart began\n",
                nodes[i].name.c_str(), ms_between(restarted, *t));
    EXPECT_EQ(nodes[i].rec->incarnation_of("node3"), nodes[2].incarnation);
  }
  EXPECT_GT(nodes[2].incarnation, old_incarnation);
}

TEST_F(cluster_gateway, a_silent_node_is_suspected_then_down_then_up_when_it_speaks) {
  start_all();
  auto muted = clock::now();
  caf::anon_send(nodes[2].gw, mute_atom::value, true);
  ASSERT_TRUE(eventually([&] { return nodes[0].rec->state_of("node3") == node_state::down; }));
  auto suspect = nodes[0].rec->entered("node3", node_state::suspect, muted);
  auto down = nodes[0].rec->entered("node3", node_state::down, muted);
  ASSERT_TRUE(suspect && down);
  std::printf(
      "[cluster] silent node3: suspect after %.1f ms, down after %.1f ms "
      "(heartbeat %lld ms, failure timeout %lld ms)\n",
      ms_between(muted, *suspect), ms_between(muted, *down),
      static_cast<long long>(heartbeat.count()), static_cast<long long>(failure_timeout.count()));
  EXPECT_GE(ms_between(muted, *down), static_cast<double>(failure_timeout.count()) * 0.9);
  EXPECT_LT(ms_between(muted, *down), 10000.0);
  // node3 still hears the others: only its own silence is a problem.
  EXPECT_TRUE(nodes[2].rec->all_up(3));
  auto unmuted = clock::now();
  caf::anon_send(nodes[2].gw, mute_atom::value, false);
  ASSERT_TRUE(eventually([&] { return nodes[0].rec->state_of("node3") == node_state::up; }));
  std::printf("[cluster] node3 up again %.1f ms after it spoke\n",
              ms_between(unmuted, *nodes[0].rec->entered("node3", node_state::up, unmuted)));
}

TEST_F(cluster_gateway, a_busy_port_is_an_error_value) {
  test_node a;
  a.name = "node1";
  a.port = nodes[0].port;
  ASSERT_FALSE(a.start(addresses));
  test_node b;
  b.name = "node1";
  b.port = nodes[0].port;
  auto err = b.start(addresses);
  EXPECT_TRUE(err);
  EXPECT_EQ(err.category(), caf::atom("cluster"));
  EXPECT_EQ(err.code(), static_cast<uint8_t>(cluster_errc::publish_failed));
  std::printf("[cluster] busy port: %s\n", b.sys->render(err).c_str());
  // Port 0 picks a free port, which gateway_port() tells.
  test_node c;
  c.name = "node2";
  ASSERT_FALSE(c.start(addresses));
  EXPECT_NE(gateway_port(*c.sys, c.gw), 0);
}

// --- TLS (caf::openssl), certificates made with the openssl CLI ----------------------------

namespace {

struct test_pki {
  std::string dir = parley::test::scratch_path("cluster-tls");
  tls_settings good;   // signed by the cluster CA
  tls_settings rogue;  // signed by another CA; trusts the cluster CA

  test_pki() {
    using parley::test::run_command;
    run_command("mkdir -p " + dir);
    auto ca = [&](const std::string& name) {
      run_command("cd " + dir +
                  " && openssl req -x509 -newkey ec -pkeyopt "
                  "ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
                  name + " -keyout " + name + ".key -out " + name + ".pem 2>&1");
    };
    auto leaf = [&](const std::string& name, const std::string& signer) {
      run_command("cd " + dir +
                  " && openssl req -newkey ec -pkeyopt "
                  "ec_paramgen_curve:prime256v1 -nodes -subj /CN=" +
                  name + " -keyout " + name + ".key -out " + name +
                  ".csr 2>&1 && openssl x509 -req -days 1 -in " + name + ".csr -CA " + signer +
                  ".pem -CAkey " + signer + ".key -CAcreateserial -out " + name + ".pem 2>&1");
    };
    ca("cluster-ca");
    ca("rogue-ca");
    leaf("node", "cluster-ca");
    leaf("intruder", "rogue-ca");
    good = tls_settings{true, dir + "/node.pem", dir + "/node.key", dir + "/cluster-ca.pem", ""};
    rogue = tls_settings{true, dir + "/intruder.pem", dir + "/intruder.key",
                         dir + "/cluster-ca.pem", ""};
  }
};

}  // namespace

TEST_F(cluster_gateway, tls_nodes_converge_and_a_foreign_certificate_is_refused) {
  test_pki pki;
  for (auto& n : nodes) n.tls = pki.good;
  nodes[2].tls = pki.rogue;
  for (auto& n : nodes) {
    auto err = n.start(addresses);
    ASSERT_FALSE(err) << n.name << ": " << to_string(err);
  }
  ASSERT_TRUE(eventually([&] {
    return nodes[0].rec->state_of("node2") == node_state::up &&
           nodes[1].rec->state_of("node1") == node_state::up;
  })) << "TLS nodes did not see each other";
  // Forwarding works over TLS.
  {
    caf::scoped_actor self{*nodes[0].sys};
    inbound_msg m;
    m.text = "sobre tls";
    std::string answer;
    self->request(nodes[0].gw, caf::duration{5s}, forward_atom::value, std::string{"node2"},
                  caf::make_message(m))
        .receive([&](std::string& s) { answer = s; },
                 [&](caf::error& e) { ADD_FAILURE() << nodes[0].sys->render(e); });
    EXPECT_EQ(answer, "node2 got sobre tls");
  }
  // The intruder keeps trying (backoff) but never gets in, nor hears anyone.
  std::this_thread::sleep_for(3 * failure_timeout);
  EXPECT_NE(nodes[0].rec->state_of("node3"), node_state::up);
  EXPECT_NE(nodes[1].rec->state_of("node3"), node_state::up);
  EXPECT_EQ(nodes_up(nodes[2].view()), (std::vector<std::string>{"node3"}));
  auto refused = nodes[0].view().nodes[2];
  EXPECT_FALSE(refused.last_error.empty());
  std::printf("[cluster] node1 dialling the intruder: %s\n", refused.last_error.c_str());
  // A plain-TCP client cannot talk to a TLS gateway either.
  {
    test_node plain;
    plain.name = "node3";
    plain.port = nodes[2].port;
    nodes[2].stop();
    ASSERT_FALSE(plain.start(addresses));
    auto gw1 = plain.sys->middleman().remote_actor("127.0.0.1", nodes[0].port);
    EXPECT_FALSE(gw1);
    if (!gw1)
      std::printf("[cluster] plain TCP to a TLS port: %s\n",
                  plain.sys->render(gw1.error()).c_str());
  }
  // The same node with a proper certificate joins.
  nodes[2].tls = pki.good;
  ASSERT_FALSE(nodes[2].start(addresses));
  ASSERT_TRUE(eventually([&] {
    return nodes[0].rec->all_up(3) && nodes[1].rec->all_up(3) && nodes[2].rec->all_up(3);
  })) << "node3 with a valid certificate did not join";
}

// --- node3 as a separate process, for real kill -9 and SIGSTOP -------------------------------

namespace {

std::vector<node_address> addresses_from(const std::string& ports) {
  std::vector<node_address> out;
  std::size_t pos = 0;
  for (int i = 1; i <= 3; ++i) {
    auto comma = ports.find(',', pos);
    auto p = std::stoi(ports.substr(pos, comma - pos));
    out.push_back(node_address{"node" + std::to_string(i), "127.0.0.1", static_cast<uint16_t>(p),
                               static_cast<uint16_t>(7999 + i)});
    pos = comma + 1;
  }
  return out;
}

}  // namespace

// The child's body: run by the test below through --gtest_also_run_disabled_tests.
TEST(cluster_gateway_child, DISABLED_node) {
  auto* name = std::getenv("PARLEY_CLUSTER_CHILD");
  auto* ports = std::getenv("PARLEY_CLUSTER_PORTS");
  auto* parent = std::getenv("PARLEY_CLUSTER_PARENT");
  if (name == nullptr || ports == nullptr || parent == nullptr) GTEST_SKIP();
  test_node n;
  n.name = name;
  auto all = addresses_from(ports);
  for (const auto& a : all)
    if (a.name == n.name) n.port = a.cluster_port;
  auto err = n.start(all);
  ASSERT_FALSE(err) << to_string(err);
  std::printf("child %s listening on %u\n", name, n.port);
  std::fflush(stdout);
  auto parent_pid = std::stoi(parent);
  while (::kill(parent_pid, 0) == 0) std::this_thread::sleep_for(200ms);  // never outlive it
}

class cluster_gateway_process : public cluster_gateway {
 protected:
  void start_child() {
    auto ports = std::to_string(nodes[0].port) + "," + std::to_string(nodes[1].port) + "," +
                 std::to_string(nodes[2].port);
    child = std::make_unique<parley::test::child_process>();
    child->start(
        "/proc/self/exe",
        {"--gtest_filter=cluster_gateway_child.DISABLED_node", "--gtest_also_run_disabled_tests"},
        {{"PARLEY_CLUSTER_CHILD", "node3"},
         {"PARLEY_CLUSTER_PORTS", ports},
         {"PARLEY_CLUSTER_PARENT", std::to_string(::getpid())}},
        parley::test::scratch_path("cluster-child") + ".log");
  }

  void start_parents_and_child() {
    for (int i = 0; i < 2; ++i) {
      auto err = nodes[i].start(addresses);
      ASSERT_FALSE(err) << nodes[i].name << ": " << to_string(err);
    }
    start_child();
    ASSERT_TRUE(eventually([&] { return nodes[0].rec->all_up(3) && nodes[1].rec->all_up(3); }))
        << "the child node3 did not join:\n"
        << child->output();
  }

  std::unique_ptr<parley::test::child_process> child;
};

TEST_F(cluster_gateway_process, kill_9_is_noticed_at_once_and_the_restarted_node_rejoins) {
  start_parents_and_child();
  auto first = nodes[0].rec->incarnation_of("node3");
  auto killed = clock::now();
  child->signal(SIGKILL);
  ASSERT_TRUE(eventually([&] {
    return nodes[0].rec->state_of("node3") == node_state::down &&
           nodes[1].rec->state_of("node3") == node_state::down;
  })) << "kill -9 of node3 not noticed within 10 s";
  for (int i = 0; i < 2; ++i)
    std::printf("[cluster] kill -9: %s saw node3 down after %.1f ms\n", nodes[i].name.c_str(),
                ms_between(killed, *nodes[i].rec->entered("node3", node_state::down, killed)));
  child->wait(5s);
  auto restarted = clock::now();
  start_child();
  ASSERT_TRUE(eventually([&] { return nodes[0].rec->all_up(3) && nodes[1].rec->all_up(3); }))
      << child->output();
  for (int i = 0; i < 2; ++i)
    std::printf("[cluster] kill -9: %s saw the restarted node3 up %.1f ms after exec\n",
                nodes[i].name.c_str(),
                ms_between(restarted, *nodes[i].rec->entered("node3", node_state::up, restarted)));
  EXPECT_GT(nodes[0].rec->incarnation_of("node3"), first);
}

TEST_F(cluster_gateway_process, a_frozen_process_is_noticed_within_the_failure_timeout) {
  start_parents_and_child();
  auto stopped = clock::now();
  child->signal(SIGSTOP);
  ASSERT_TRUE(eventually([&] { return nodes[0].rec->state_of("node3") == node_state::down; }))
      << "SIGSTOP of node3 not noticed within 10 s";
  auto down = ms_between(stopped, *nodes[0].rec->entered("node3", node_state::down, stopped));
  auto suspect = nodes[0].rec->entered("node3", node_state::suspect, stopped);
  std::printf("[cluster] SIGSTOP: node1 suspected node3 after %.1f ms, down after %.1f ms\n",
              suspect ? ms_between(stopped, *suspect) : -1.0, down);
  EXPECT_LT(down, 10000.0);
  auto resumed = clock::now();
  child->signal(SIGCONT);
  ASSERT_TRUE(eventually([&] { return nodes[0].rec->all_up(3) && nodes[1].rec->all_up(3); }))
      << child->output();
  std::printf("[cluster] SIGCONT: node1 saw node3 up again after %.1f ms\n",
              ms_between(resumed, *nodes[0].rec->entered("node3", node_state::up, resumed)));
}
