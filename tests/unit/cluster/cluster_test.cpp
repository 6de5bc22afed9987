// Cluster building blocks without CAF's runtime: rendezvous placement (determinism, balance,
// minimal movement) and the membership state machine with injected time.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "logic/rendezvous.hpp"
#include "cluster/membership.hpp"
#include "cluster/placement_view.hpp"

using namespace parley::cluster;
using namespace parley::logic;
using namespace std::chrono_literals;

namespace {

// Deterministic UUID-shaped tenant ids (what real tenant ids look like).
std::vector<std::string> tenant_ids(int n) {
  std::vector<std::string> out;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t y = x * 0xd1342543de82ef95ULL + 1;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(x >> 32),
                  static_cast<unsigned>((x >> 16) & 0xffff), static_cast<unsigned>(x & 0xfff),
                  static_cast<unsigned>(y >> 52),
                  static_cast<unsigned long long>(y & 0xffffffffffffULL));
    out.emplace_back(buf);
  }
  return out;
}

const std::vector<std::string> three = {"node1", "node2", "node3"};

}  // namespace

TEST(rendezvous, hash_is_pinned_across_builds) {
  // FNV-1a 64 + fmix64, checked against an independent Python implementation. Changing these
  // values moves tenants between nodes during a rolling upgrade: don't.
  EXPECT_EQ(stable_hash64(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(stable_hash64("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(rendezvous_weight("00000000-0000-0000-0000-000000000001", "node1"),
            0x9f56f85fd9da81cbULL);
  EXPECT_EQ(owner_of("00000000-0000-0000-0000-000000000001", three), "node3");
  EXPECT_EQ(owner_of("00000000-0000-0000-0000-000000000004", three), "node2");
  EXPECT_EQ(owner_of("00000000-0000-0000-0000-000000000006", three), "node1");
}

TEST(rendezvous, owner_ignores_order_and_duplicates) {
  for (const auto& t : tenant_ids(200)) {
    auto o = owner_of(t, three);
    EXPECT_EQ(owner_of(t, {"node3", "node1", "node2"}), o);
    EXPECT_EQ(owner_of(t, {"node2", "node2", "node3", "node1", "node3"}), o);
    auto r = ranking(t, {"node3", "node1", "node3", "node2"});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0], o);
    EXPECT_EQ(std::set<std::string>(r.begin(), r.end()).size(), 3u);
  }
  EXPECT_EQ(owner_of("x", {}), "");
  EXPECT_TRUE(ranking("x", {}).empty());
  EXPECT_EQ(owner_of("x", {"solo"}), "solo");
}

TEST(rendezvous, balanced_over_three_nodes) {
  std::map<std::string, int> count;
  auto ids = tenant_ids(10000);
  for (const auto& t : ids) ++count[owner_of(t, three)];
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [node, n] : count) {
    double share = n / 10000.0;
    EXPECT_NEAR(share, 1.0 / 3, 0.05 / 3) << node << " owns " << n;
  }
}

TEST(rendezvous, a_leaving_node_moves_only_its_tenants_to_the_next_ranked) {
  std::vector<std::string> survivors = {"node1", "node3"};
  int moved = 0;
  for (const auto& t : tenant_ids(10000)) {
    auto before = owner_of(t, three);
    auto after = owner_of(t, survivors);
    if (before != "node2") {
      EXPECT_EQ(after, before) << t;
    } else {
      ++moved;
      EXPECT_EQ(after, ranking(t, three)[1]) << t;
    }
  }
  EXPECT_NEAR(moved / 10000.0, 1.0 / 3, 0.05 / 3);
}

TEST(rendezvous, a_joining_node_takes_about_one_in_n) {
  std::vector<std::string> four = {"node1", "node2", "node3", "node4"};
  int moved = 0;
  for (const auto& t : tenant_ids(10000)) {
    auto before = owner_of(t, three);
    auto after = owner_of(t, four);
    if (after != before) {
      ++moved;
      EXPECT_EQ(after, "node4") << t;  // nothing moves between the old nodes
    }
  }
  EXPECT_NEAR(moved / 10000.0, 0.25, 0.0125);
}

namespace {

membership_settings cluster_of_three() {
  membership_settings s;
  s.self = "node1";
  s.self_incarnation = 7;
  s.nodes = {{"node1", "127.0.0.1", 7001, 8001},
             {"node2", "127.0.0.1", 7002, 8002},
             {"node3", "127.0.0.1", 7003, 8003}};
  s.heartbeat_interval = 100ms;
  s.failure_timeout = 1000ms;
  return s;
}

const clock::time_point t0{std::chrono::seconds{1000}};

std::string str(const std::vector<transition>& ts) {
  std::string out;
  for (const auto& t : ts)
    out += t.node + ":" + to_string(t.from) + "->" + to_string(t.to) + "@" +
           std::to_string(t.incarnation) + " ";
  return out;
}

}  // namespace

TEST(membership, starts_with_self_up_and_peers_joining) {
  membership m{cluster_of_three(), t0};
  EXPECT_EQ(m.state_of("node1"), node_state::up);
  EXPECT_EQ(m.state_of("node2"), node_state::joining);
  EXPECT_EQ(m.state_of("node3"), node_state::joining);
  EXPECT_EQ(m.state_of("nobody"), node_state::down);
  EXPECT_EQ(m.nodes_up(), (std::vector<std::string>{"node1"}));
  EXPECT_TRUE(m.tick(t0 + 500ms).empty());
}

TEST(membership, heartbeats_bring_peers_up_once) {
  membership m{cluster_of_three(), t0};
  EXPECT_EQ(str(m.on_heartbeat("node2", 5, t0 + 10ms)), "node2:joining->up@5 ");
  EXPECT_TRUE(m.on_heartbeat("node2", 5, t0 + 110ms).empty());
  EXPECT_EQ(str(m.on_heartbeat("node3", 9, t0 + 20ms)), "node3:joining->up@9 ");
  EXPECT_EQ(m.nodes_up(), (std::vector<std::string>{"node1", "node2", "node3"}));
  EXPECT_TRUE(m.tick(t0 + 150ms).empty());
}

TEST(membership, silence_makes_suspect_then_down_and_a_heartbeat_clears_suspicion) {
  membership m{cluster_of_three(), t0};
  m.on_heartbeat("node2", 5, t0);
  m.on_heartbeat("node3", 9, t0);
  EXPECT_TRUE(m.tick(t0 + 200ms).empty());  // exactly two intervals: not yet
  m.on_heartbeat("node3", 9, t0 + 200ms);
  EXPECT_EQ(str(m.tick(t0 + 201ms)), "node2:up->suspect@5 ");
  // Suspicion does not change placement.
  EXPECT_EQ(m.nodes_up(), (std::vector<std::string>{"node1", "node2", "node3"}));
  EXPECT_EQ(str(m.on_heartbeat("node2", 5, t0 + 300ms)), "node2:suspect->up@5 ");
  EXPECT_EQ(str(m.tick(t0 + 501ms)), "node2:up->suspect@5 node3:up->suspect@9 ");
  EXPECT_TRUE(m.tick(t0 + 1200ms).empty());
  EXPECT_EQ(str(m.tick(t0 + 1201ms)), "node3:suspect->down@9 ");
  EXPECT_EQ(str(m.tick(t0 + 1301ms)), "node2:suspect->down@5 ");
  EXPECT_TRUE(m.tick(t0 + 5000ms).empty());
  EXPECT_EQ(m.nodes_up(), (std::vector<std::string>{"node1"}));
}

TEST(membership, a_peer_never_heard_from_is_down_after_the_failure_timeout) {
  membership m{cluster_of_three(), t0};
  m.on_heartbeat("node2", 5, t0 + 900ms);
  EXPECT_TRUE(m.tick(t0 + 1000ms).empty());
  EXPECT_EQ(str(m.tick(t0 + 1001ms)), "node3:joining->down@0 ");
  EXPECT_EQ(str(m.on_heartbeat("node3", 9, t0 + 3000ms)), "node3:down->up@9 ");
}

TEST(membership, a_lost_connection_is_down_at_once_and_reconnecting_brings_it_back) {
  membership m{cluster_of_three(), t0};
  m.on_heartbeat("node2", 5, t0);
  EXPECT_EQ(str(m.on_connection_lost("node2", t0 + 10ms)), "node2:up->down@5 ");
  EXPECT_TRUE(m.on_connection_lost("node2", t0 + 20ms).empty());
  EXPECT_EQ(m.nodes_up(), (std::vector<std::string>{"node1"}));
  EXPECT_EQ(str(m.on_heartbeat("node2", 5, t0 + 400ms)), "node2:down->up@5 ");
  EXPECT_EQ(str(m.on_connection_lost("node3", t0 + 500ms)), "node3:joining->down@0 ");
}

TEST(membership, a_restarted_peer_is_reported_down_then_up) {
  membership m{cluster_of_three(), t0};
  m.on_heartbeat("node2", 5, t0);
  EXPECT_EQ(str(m.on_heartbeat("node2", 6, t0 + 50ms)), "node2:up->down@5 node2:down->up@6 ");
  EXPECT_EQ(m.incarnation_of("node2"), 6u);
  // A late heartbeat of the old process changes nothing, not even the silence timer.
  EXPECT_TRUE(m.on_heartbeat("node2", 5, t0 + 260ms).empty());
  EXPECT_EQ(str(m.tick(t0 + 251ms)), "node2:up->suspect@6 ");
  // Restarted while already down: only the way up is reported.
  m.on_connection_lost("node2", t0 + 300ms);
  EXPECT_EQ(str(m.on_heartbeat("node2", 8, t0 + 400ms)), "node2:down->up@8 ");
}

TEST(membership, ignores_unknown_nodes_and_itself) {
  membership m{cluster_of_three(), t0};
  EXPECT_TRUE(m.on_heartbeat("node9", 1, t0).empty());
  EXPECT_TRUE(m.on_heartbeat("node1", 99, t0).empty());
  EXPECT_TRUE(m.on_connection_lost("node1", t0).empty());
  EXPECT_TRUE(m.tick(t0 + 10s).size() == 2);  // the two silent peers, never self
  EXPECT_EQ(m.state_of("node1"), node_state::up);
  EXPECT_EQ(m.incarnation_of("node1"), 7u);
}

TEST(membership, view_lists_every_node_with_its_heartbeat_age) {
  auto s = cluster_of_three();
  s.nodes.pop_back();  // the self node is added even when missing from the list: drop node3
  s.nodes.erase(s.nodes.begin());
  membership m{s, t0};
  m.on_heartbeat("node2", 5, t0 + 100ms);
  auto v = m.view(t0 + 350ms);
  EXPECT_EQ(v.self, "node1");
  ASSERT_EQ(v.nodes.size(), 2u);
  EXPECT_EQ(v.nodes[0].name, "node1");
  EXPECT_TRUE(v.nodes[0].self);
  EXPECT_EQ(v.nodes[0].state, node_state::up);
  EXPECT_EQ(v.nodes[0].incarnation, 7u);
  EXPECT_EQ(v.nodes[0].heartbeat_age_ms, 0);
  EXPECT_EQ(v.nodes[1].name, "node2");
  EXPECT_FALSE(v.nodes[1].self);
  EXPECT_EQ(v.nodes[1].cluster_port, 7002);
  EXPECT_EQ(v.nodes[1].http_port, 8002);
  EXPECT_EQ(v.nodes[1].heartbeat_age_ms, 250);
  EXPECT_EQ(v.nodes[1].incarnation, 5u);
  EXPECT_EQ(nodes_up(v), (std::vector<std::string>{"node1", "node2"}));
  membership fresh{cluster_of_three(), t0};
  EXPECT_EQ(fresh.view(t0).nodes[2].heartbeat_age_ms, -1);
}

TEST(membership, a_failure_timeout_shorter_than_two_intervals_goes_straight_to_down) {
  auto s = cluster_of_three();
  s.failure_timeout = 150ms;
  membership m{s, t0};
  m.on_heartbeat("node2", 5, t0);
  m.on_heartbeat("node3", 9, t0);
  EXPECT_EQ(str(m.tick(t0 + 151ms)), "node2:up->down@5 node3:up->down@9 ");
}

TEST(placement_view, joins_when_no_peer_is_joining_and_owns_by_rendezvous) {
  parley::cluster::placement_view pv{"node1"};
  EXPECT_FALSE(pv.joined());
  EXPECT_EQ(pv.owner_of("t1"), "node1");  // alone until told otherwise
  parley::cluster::cluster_view v;
  v.self = "node1";
  auto status = [](std::string name, parley::cluster::node_state s) {
    parley::cluster::node_status n;
    n.name = std::move(name);
    n.state = s;
    return n;
  };
  using parley::cluster::node_state;
  v.nodes = {status("node1", node_state::up), status("node2", node_state::joining),
             status("node3", node_state::up)};
  pv.set(v);
  EXPECT_FALSE(pv.joined());
  auto g = pv.generation();
  v.nodes[1].state = node_state::down;
  pv.set(v);
  EXPECT_TRUE(pv.joined());
  EXPECT_EQ(pv.generation(), g);  // node2 was never up: same placement set
  EXPECT_EQ(pv.nodes_up(), (std::vector<std::string>{"node1", "node3"}));
  EXPECT_FALSE(pv.is_up("node2"));
  for (const char* t : {"a", "b", "c", "d"})
    EXPECT_EQ(pv.owner_of(t), parley::logic::owner_of(t, {"node1", "node3"}));
  v.nodes[1].state = node_state::suspect;  // suspicion keeps a node in the set
  pv.set(v);
  EXPECT_EQ(pv.generation(), g + 1);
  EXPECT_TRUE(pv.is_up("node2"));
}
