// The tenants router's shell on CAF's deterministic test scheduler: its typed interface
// (messages/tenants.hpp) and what it hands to its router_extension (a clustered node's
// placement), with a recording extension in place of the cluster. Nothing here spawns a tenant,
// so no database is needed; every message is handled when the test runs the scheduler.
#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/tenants.hpp"
#include "messages/register.hpp"

using namespace parley;
using namespace parley::actors;

namespace {

// Records what the router asks of it; one thread runs every actor: no lock.
class recording_extension final : public router_extension {
 public:
  explicit recording_extension(std::vector<std::string>& journal) : journal_(journal) {}
  void start(tenants_ptr) override { journal_.push_back("start"); }
  void route(tenants_ptr, inbound_msg&& m) override { journal_.push_back("route " + m.wamid); }
  caf::result<forwarded_atom> forwarded(tenants_ptr, inbound_msg&& m) override {
    journal_.push_back("forwarded " + m.wamid);
    return forwarded_atom::value;
  }
  caf::result<double> admit(tenants_ptr, const std::string& tenant_id) override {
    journal_.push_back("admit " + tenant_id);
    return 2.5;
  }
  void notify(tenants_ptr, tenant_notice what, const std::string& tenant_id,
              bool forwarded) override {
    journal_.push_back(std::string{what == tenant_notice::knowledge ? "knowledge " : "settings "} +
                       tenant_id + (forwarded ? " from a node" : " here"));
  }
  void cancel(tenants_ptr, const std::string& conversation_id) override {
    journal_.push_back("cancel " + conversation_id);
  }
  void view_changed(tenants_ptr) override { journal_.push_back("view changed"); }
  placement_report report(tenants_ptr) override {
    placement_report r;
    r.node = "node7";
    r.forwarded = 3;
    r.tenants.push_back(placed_tenant{"t1", "running", 4});
    return r;
  }
  cluster::cluster_view view() override { return cluster::cluster_view{"node7", {}}; }
  void step(tenants_ptr, caf::message& m) override {
    journal_.push_back("step " + caf::to_string(m));
  }
  void tenant_down(tenants_ptr, const std::string& tenant_id, const caf::error&) override {
    journal_.push_back("down " + tenant_id);
  }

 private:
  std::vector<std::string>& journal_;
};

struct deterministic_router : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::vector<std::string> journal;
  std::vector<std::string> replies;
  tenants_actor router_;

  void SetUp() override {
    register_messages(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console", caf::atom("none"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }
  void TearDown() override {
    // The system waits for every actor: the router (registered, so never idle) must stop.
    if (router_) caf::anon_send_exit(router_, caf::exit_reason::user_shutdown);
    sys->registry().erase(tenants_name());
    sched->run();
    sys.reset();
  }

  tenants_actor spawn(bool clustered) {
    router_extension_factory ext;
    if (clustered) ext = [this] { return std::make_unique<recording_extension>(journal); };
    router_ = spawn_tenants(*sys, services{}, ext);
    sched->run();
    return router_;
  }

  // Asks `router` from an actor of its own; `say` turns the answer into a line of replies.
  template <class Answer, class... Ts>
  void ask(const tenants_actor& router, std::string (*say)(Answer), Ts... xs) {
    sys->spawn([this, router, say, xs...](caf::event_based_actor* self) {
      self->request(router, caf::infinite, xs...)
          .then([this, say](Answer answer) { replies.push_back(say(answer)); },
                [this](caf::error& e) { replies.push_back("error " + sys->render(e)); });
    });
    sched->run();
  }
};

std::string said_forwarded(forwarded_atom) {
  return "forwarded";
}
std::string said_double(double d) {
  return "double " + std::to_string(d);
}
std::string said_report(const placement_report& r) {
  return "report " + r.node + " " + std::to_string(r.tenants.size());
}
std::string said_view(const cluster::cluster_view& v) {
  return "view " + v.self;
}
std::string said_info(const child_info& i) {
  return "info " + i.detail;
}

inbound_msg message(std::string wamid) {
  inbound_msg m;
  m.wamid = std::move(wamid);
  m.tenant_id = "t1";
  m.conversation_id = "c1";
  return m;
}

}  // namespace

TEST_F(deterministic_router, a_clustered_router_hands_every_placement_decision_to_its_extension) {
  auto router = spawn(true);
  ASSERT_EQ(journal, std::vector<std::string>{"start"});
  caf::anon_send(router, message("wamid.A"));
  caf::anon_send(router, kb_changed_atom::value, std::string{"t1"});
  caf::anon_send(router, changed_atom::value, std::string{"t2"});
  caf::anon_send(router, forwarded_atom::value, kb_changed_atom::value, std::string{"t3"});
  caf::anon_send(router, cancel_atom::value, std::string{"c9"});
  caf::anon_send(router, view_changed_atom::value);
  caf::anon_send(router, placement_step_atom::value, caf::make_message(renew_atom::value));
  sched->run();
  EXPECT_EQ(journal, (std::vector<std::string>{"start", "route wamid.A", "knowledge t1 here",
                                               "settings t2 here", "knowledge t3 from a node",
                                               "cancel c9", "view changed", "step ('renew')"}));
  ask(router, said_forwarded, forwarded_atom::value, message("wamid.B"));
  ask(router, said_double, admit_atom::value, std::string{"t1"});
  ask(router, said_report, forwarded_atom::value, placement_atom::value);
  ask(router, said_view, forwarded_atom::value, cluster::view_atom::value);
  ask(router, said_info, info_atom::value);
  EXPECT_EQ(journal.back(), "admit t1");
  EXPECT_EQ(replies, (std::vector<std::string>{
                         "forwarded", "double 2.500000", "report node7 1", "view node7",
                         "info tenants=0 active_conversations=0 evicted=0 placed=1 forwarded=3 "
                         "received=0"}));
}

TEST_F(deterministic_router, a_single_node_router_answers_the_cluster_protocol_as_the_only_node) {
  auto router = spawn(false);
  caf::anon_send(router, view_changed_atom::value);  // nothing to place
  caf::anon_send(router, placement_step_atom::value, caf::make_message(renew_atom::value));
  sched->run();
  ask(router, said_report, forwarded_atom::value, placement_atom::value);
  ask(router, said_view, forwarded_atom::value, cluster::view_atom::value);
  ask(router, said_info, info_atom::value);
  EXPECT_TRUE(journal.empty());
  EXPECT_EQ(replies, (std::vector<std::string>{"report  0", "view ",
                                               "info tenants=0 active_conversations=0 evicted=0"}));
}
