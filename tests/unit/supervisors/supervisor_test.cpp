// The supervisor actor on a real CAF scheduler: restarts per strategy, giving up (escalation to
// its parent), reverse-order shutdown, restart types. Waits are bounded; no timing assertions.
#include "supervisors/supervisor.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <mutex>
#include <thread>

#include "messages/atoms.hpp"
#include "messages/introspection.hpp"

using namespace parley;
using namespace parley::supervision;
using namespace parley::logic;
using namespace std::chrono_literals;

namespace {

using crash_atom = caf::atom_constant<caf::atom("crash")>;

// Records starts and stops of children, in order, across threads.
struct journal {
  std::mutex mtx;
  std::vector<std::string> events;
  void add(std::string e) {
    std::lock_guard<std::mutex> g{mtx};
    events.push_back(std::move(e));
  }
  std::vector<std::string> all() {
    std::lock_guard<std::mutex> g{mtx};
    return events;
  }
  int count(const std::string& e) {
    auto v = all();
    return static_cast<int>(std::count(v.begin(), v.end(), e));
  }
};

child_spec worker(std::string name, journal* j, restart_type type = restart_type::permanent) {
  return child_spec{
      name, type, [name, j](caf::actor_system& sys) {
        j->add("start " + name);
        return sys.spawn([name, j](caf::event_based_actor* self) -> caf::behavior {
          self->attach_functor([name, j](const caf::error&) { j->add("stop " + name); });
          return {
              [](crash_atom) -> caf::result<void> { throw std::runtime_error("boom"); },
              [self](shutdown_atom) { self->quit(); },
          };
        });
      }};
}

supervisor_spec spec(strategy how, std::vector<child_spec> kids, int max_restarts = 5) {
  supervisor_spec s;
  s.name = "test";
  s.how = how;
  s.limits = intensity{max_restarts, 5000ms};
  s.delays = backoff{1ms, 10ms, 0.0};
  s.children = std::move(kids);
  return s;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

std::vector<child_info> children(caf::actor_system& sys, const caf::actor& sup) {
  caf::scoped_actor self{sys};
  std::vector<child_info> out;
  self->request(sup, 2s, children_atom::value)
      .receive([&](std::vector<child_info>& v) { out = std::move(v); }, [](caf::error&) {});
  return out;
}

struct supervisor_actor : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  journal j;
  void SetUp() override {
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  void TearDown() override { sys.reset(); }
};

}  // namespace

// The supervisor forwards nothing, so tests crash children through a registry of handles.
namespace {
std::mutex handles_mtx;
std::map<std::string, caf::actor> handles;

child_spec registered(std::string name, journal* j, restart_type type = restart_type::permanent) {
  auto inner = worker(name, j, type);
  return child_spec{name, type, [inner, name](caf::actor_system& sys) {
                      auto h = inner.start(sys);
                      std::lock_guard<std::mutex> g{handles_mtx};
                      handles[name] = h;
                      return h;
                    }};
}

caf::actor handle_of(const std::string& name) {
  std::lock_guard<std::mutex> g{handles_mtx};
  return handles[name];
}
}  // namespace

TEST_F(supervisor_actor, one_for_one_restarts_only_the_crashed_child) {
  auto sup = spawn_supervisor(
      *sys,
      spec(strategy::one_for_one, {registered("a", &j), registered("b", &j), registered("c", &j)}));
  ASSERT_TRUE(eventually([&] { return j.count("start c") == 1; }));
  caf::anon_send(handle_of("b"), crash_atom::value);
  ASSERT_TRUE(eventually([&] { return j.count("start b") == 2; }));
  EXPECT_EQ(j.count("start a"), 1);
  EXPECT_EQ(j.count("start c"), 1);
  auto kids = children(*sys, sup);
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(kids[1].restarts, 1u);
  EXPECT_NE(kids[1].last_error.find("runtime_error"), std::string::npos) << kids[1].last_error;
  stop_and_wait(*sys, sup);
}

TEST_F(supervisor_actor, one_for_all_restarts_every_child) {
  auto sup = spawn_supervisor(
      *sys,
      spec(strategy::one_for_all, {registered("a", &j), registered("b", &j), registered("c", &j)}));
  ASSERT_TRUE(eventually([&] { return j.count("start c") == 1; }));
  caf::anon_send(handle_of("b"), crash_atom::value);
  ASSERT_TRUE(eventually([&] {
    return j.count("start a") == 2 && j.count("start b") == 2 && j.count("start c") == 2;
  }));
  stop_and_wait(*sys, sup);
}

TEST_F(supervisor_actor, rest_for_one_restarts_the_child_and_those_after_it) {
  auto sup =
      spawn_supervisor(*sys, spec(strategy::rest_for_one,
                                  {registered("a", &j), registered("b", &j), registered("c", &j)}));
  ASSERT_TRUE(eventually([&] { return j.count("start c") == 1; }));
  caf::anon_send(handle_of("b"), crash_atom::value);
  ASSERT_TRUE(eventually([&] { return j.count("start b") == 2 && j.count("start c") == 2; }));
  EXPECT_EQ(j.count("start a"), 1);
  stop_and_wait(*sys, sup);
}

TEST_F(supervisor_actor, too_many_restarts_make_the_supervisor_fail_to_its_parent) {
  auto sup = spawn_supervisor(*sys, spec(strategy::one_for_one, {registered("a", &j)}, 2));
  caf::scoped_actor self{*sys};
  self->monitor(sup);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(eventually([&] { return j.count("start a") == i; }));
    caf::anon_send(handle_of("a"), crash_atom::value);
  }
  caf::error reason;
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; },
                caf::after(5s) >> [] { FAIL() << "the supervisor did not give up"; });
  EXPECT_NE(sys->render(reason).find("restart intensity exceeded"), std::string::npos)
      << sys->render(reason);
  ASSERT_TRUE(eventually([&] { return j.count("stop a") == 3; }));
}

TEST_F(supervisor_actor, shutdown_stops_children_in_reverse_start_order) {
  auto sup = spawn_supervisor(
      *sys,
      spec(strategy::one_for_one, {registered("a", &j), registered("b", &j), registered("c", &j)}));
  ASSERT_TRUE(eventually([&] { return j.count("start c") == 1; }));
  stop_and_wait(*sys, sup);
  auto ev = j.all();
  std::vector<std::string> stops;
  for (auto& e : ev)
    if (e.rfind("stop ", 0) == 0) stops.push_back(e);
  EXPECT_EQ(stops, (std::vector<std::string>{"stop c", "stop b", "stop a"}));
}

TEST_F(supervisor_actor, temporary_children_are_not_restarted_and_transient_only_after_a_crash) {
  auto sup = spawn_supervisor(
      *sys, spec(strategy::one_for_one, {registered("temp", &j, restart_type::temporary),
                                         registered("trans", &j, restart_type::transient)}));
  ASSERT_TRUE(eventually([&] { return j.count("start trans") == 1; }));
  caf::anon_send(handle_of("temp"), crash_atom::value);
  caf::anon_send(handle_of("trans"), shutdown_atom::value);  // a normal exit
  ASSERT_TRUE(eventually([&] { return j.count("stop temp") == 1 && j.count("stop trans") == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(j.count("start temp"), 1);
  EXPECT_EQ(j.count("start trans"), 1);
  EXPECT_TRUE(children(*sys, sup).empty());
  stop_and_wait(*sys, sup);
}

TEST_F(supervisor_actor, info_reports_the_tree_with_children) {
  auto sup = spawn_supervisor(*sys, spec(strategy::one_for_one, {registered("a", &j)}));
  ASSERT_TRUE(eventually([&] { return j.count("start a") == 1; }));
  caf::scoped_actor self{*sys};
  child_info tree;
  self->request(sup, 2s, info_atom::value)
      .receive([&](child_info& t) { tree = std::move(t); }, [](caf::error&) {});
  EXPECT_EQ(tree.name, "test");
  EXPECT_EQ(tree.kind, "supervisor");
  ASSERT_EQ(tree.children.size(), 1u);
  EXPECT_EQ(tree.children[0].name, "a");
  // The worker does not answer info: it shows as unresponsive, and the tree still comes back.
  EXPECT_EQ(tree.children[0].state, "unresponsive");
  stop_and_wait(*sys, sup);
}
