// The supervisor actor on CAF's deterministic test scheduler (scheduler.policy = testing):
// every message is handled when the test says so, and time moves only when the test fires the
// pending timeouts. So the order of starts, stops and delayed restarts is asserted exactly,
// with no waiting and no timing.
#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <map>
#include <string>
#include <vector>

#include "messages/atoms.hpp"
#include "supervisors/supervisor.hpp"

using namespace parley;
using namespace parley::supervision;
using namespace std::chrono_literals;

namespace {

using crash_atom = caf::atom_constant<caf::atom("crash")>;

struct deterministic_supervisor : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::vector<std::string> journal;  // one thread runs every actor: no lock
  std::map<std::string, caf::actor> handles;

  void SetUp() override {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console", caf::atom("none"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }
  void TearDown() override {
    sched->run();
    sys.reset();
  }

  child_spec worker(const std::string& name) {
    return child_spec{name, logic::restart_type::permanent, [this, name](caf::actor_system& s) {
                        journal.push_back("start " + name);
                        auto h = s.spawn([this, name](caf::event_based_actor* self) {
                          self->attach_functor(
                              [this, name](const caf::error&) { journal.push_back("stop " + name); });
                          return caf::behavior{
                              [](crash_atom) -> caf::result<void> {
                                throw std::runtime_error("boom");
                              },
                          };
                        });
                        handles[name] = h;
                        return h;
                      }};
  }

  caf::actor start(logic::strategy how, std::vector<std::string> names) {
    supervisor_spec s;
    s.name = "test";
    s.how = how;
    s.limits = logic::intensity{5, 10s};
    s.delays = logic::backoff{100ms, 100ms, 0.0};
    for (auto& n : names) s.children.push_back(worker(n));
    auto sup = spawn_supervisor(*sys, std::move(s));
    sched->run();
    return sup;
  }
};

}  // namespace

TEST_F(deterministic_supervisor, a_crashed_child_restarts_only_when_its_backoff_fires) {
  auto sup = start(logic::strategy::one_for_one, {"a", "b", "c"});
  ASSERT_EQ(journal, (std::vector<std::string>{"start a", "start b", "start c"}));
  journal.clear();
  caf::anon_send(handles["b"], crash_atom::value);
  sched->run();
  EXPECT_EQ(journal, std::vector<std::string>{"stop b"});  // down, not yet restarted
  EXPECT_EQ(sched->trigger_timeouts(), 1u);                 // the 100 ms backoff
  sched->run();
  EXPECT_EQ(journal, (std::vector<std::string>{"stop b", "start b"}));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(deterministic_supervisor, rest_for_one_stops_the_later_children_and_restarts_them_in_order) {
  auto sup = start(logic::strategy::rest_for_one, {"a", "b", "c"});
  journal.clear();
  caf::anon_send(handles["b"], crash_atom::value);
  sched->run();
  sched->trigger_timeouts();
  sched->run();
  EXPECT_EQ(journal, (std::vector<std::string>{"stop b", "stop c", "start b", "start c"}));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(deterministic_supervisor, shutdown_stops_children_in_reverse_start_order) {
  auto sup = start(logic::strategy::one_for_one, {"a", "b", "c"});
  journal.clear();
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched->run();
  EXPECT_EQ(journal, (std::vector<std::string>{"stop c", "stop b", "stop a"}));
}
