// The supervision tree in the real daemon: introspection, crash recovery with the test-only
// fault switch, poison messages, passivation, backpressure, the LRU cap.
#include <thread>

#include "tests/integration/actors/supervision_fixture.hpp"

TEST_F(supervision, the_node_tree_is_reported_by_get_v1_actors) {
  start({}, {});
  EXPECT_EQ(http_get(node_->port(), "/v1/actors").status, 401);
  ASSERT_EQ(send(tenant_, "5511", "wamid.T1", "hola").status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  auto res = admin_call(node_->port(), "GET", "/v1/actors");
  ASSERT_EQ(res.status, 200);
  auto& t = res.body;
  EXPECT_EQ(json_string(t, "name"), "node");
  EXPECT_EQ(json_string(t, "kind"), "supervisor");
  std::size_t last = 0;
  for (const char* child : {"\"store\"", "\"outbox\"", "\"llm\"", "\"analytics\"", "\"cluster\"",
                            "\"federation\"", "\"tenants\""}) {
    auto p = t.find(std::string{"\"name\":"} + child);
    ASSERT_NE(p, std::string::npos) << child << " missing in " << t;
    EXPECT_GT(p, last) << "children out of start order";
    last = p;
  }
  EXPECT_NE(t.find("\"name\":\"tenant/" + tenant_.tenant_id + "\""), std::string::npos) << t;
  for (const char* agent : {"\"support\"", "\"escalation\"", "\"media\""})
    EXPECT_NE(t.find(std::string{"\"name\":"} + agent), std::string::npos) << agent;
  auto conv = db_->scalar("SELECT id FROM conversations");
  EXPECT_NE(t.find("\"name\":\"conv/" + conv + "\",\"kind\":\"conversation\""), std::string::npos)
      << t;
  EXPECT_NE(t.find("knowledge_entries=4"), std::string::npos) << t;
}

TEST_F(supervision, a_poison_message_is_dead_lettered_after_three_crashes_and_the_rest_answered) {
  start({}, {"--parley.fault-injection"});
  auto other = make_tenant(node_->port(), graph_.base_url(), "2000000002");
  ASSERT_EQ(send(tenant_, "5522", "wamid.P1", "hola, ¿cuál es el horario?").status, 200);
  ASSERT_EQ(send(tenant_, "5522", "wamid.P2", "esto rompe todo #crash").status, 200);
  ASSERT_EQ(send(tenant_, "5522", "wamid.P3", "¿cuánto tarda el envío?").status, 200);
  ASSERT_EQ(send(other, "5533", "wamid.Q1", "How long does shipping take?").status, 200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.P3").size() == 1; })) << node_->log();
  ASSERT_TRUE(eventually([&] { return db_->scalar("SELECT count(*) FROM dead_letters") == "1"; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(replies_to("wamid.P1").size(), 1u);
  EXPECT_EQ(replies_to("wamid.P2").size(), 0u);
  EXPECT_EQ(replies_to("wamid.P3").size(), 1u);
  EXPECT_EQ(replies_to("wamid.Q1").size(), 1u);
  EXPECT_EQ(graph_.accepted().size(), 3u);
  EXPECT_EQ(db_->scalar("SELECT status FROM messages WHERE provider_id = 'wamid.P2'"), "dead");
  auto error = db_->scalar("SELECT error FROM dead_letters WHERE kind = 'inbound'");
  EXPECT_NE(error.find("injected fault"), std::string::npos) << error;
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM events WHERE type = 'message.dead_lettered'"), "1");
  auto metrics = node_->get("/metrics").body;
  EXPECT_NE(metrics.find(R"(parley_actor_restarts_total{kind="conversation"} 3)"),
            std::string::npos)
      << metrics;
  // The other tenant's conversation never restarted.
  auto t = tree();
  auto other_conv = db_->scalar("SELECT id FROM conversations WHERE customer = '5533'");
  auto at = t.find("\"name\":\"conv/" + other_conv + "\"");
  ASSERT_NE(at, std::string::npos) << t;
  EXPECT_NE(t.substr(at, t.find('}', at) - at).find("\"restarts\":0"), std::string::npos) << t;
}

// The support agent crashes on one customer's question every time it is asked (the turn is
// retried each second): the tenant restarts the agent with a backoff instead of at once, and
// while it is down a question fails fast and is retried, so another customer is still answered.
TEST_F(supervision, an_agent_that_keeps_crashing_is_restarted_and_the_others_are_answered) {
  start({}, {"--parley.fault-injection"});
  ASSERT_EQ(send(tenant_, "5561", "wamid.S1", "hola #support-down").status, 200);
  ASSERT_TRUE(eventually([&] {
    return node_->get("/metrics").body.find(R"(parley_actor_restarts_total{kind="agent"} 2)") !=
           std::string::npos;
  })) << node_->log();
  ASSERT_EQ(send(tenant_, "5562", "wamid.S2", "¿cuánto tarda el envío?").status, 200);
  EXPECT_TRUE(eventually([&] { return replies_to("wamid.S2").size() == 1; }, 30s)) << node_->log();
  EXPECT_EQ(replies_to("wamid.S1").size(), 0u);
  auto t = tree();
  auto at = t.find("\"name\":\"support\"");
  ASSERT_NE(at, std::string::npos) << t;
  EXPECT_EQ(t.substr(at, t.find('}', at) - at).find("\"restarts\":0"), std::string::npos) << t;
  EXPECT_EQ(node_->get("/health").status, 200);
}

// The outbox crashes while sending a reply: the root supervisor restarts it, the new instance
// is the one conversations find (CAF's registry keeps a name's first entry unless it is
// replaced explicitly), and it sends the bubbles its predecessor held.
TEST_F(supervision, a_crashed_outbox_is_replaced_and_sends_what_it_held) {
  start({}, {"--parley.fault-injection"});
  ASSERT_EQ(send(tenant_, "5571", "wamid.#outbox-down", "¿cuánto tarda el envío?").status, 200);
  ASSERT_TRUE(eventually([&] {
    return node_->get("/metrics").body.find(R"(parley_actor_restarts_total{kind="outbox"} 1)") !=
           std::string::npos;
  })) << node_->log();
  EXPECT_TRUE(eventually([&] { return replies_to("wamid.#outbox-down").size() == 1; }, 30s))
      << node_->log();
  ASSERT_EQ(send(tenant_, "5572", "wamid.O2", "¿hacen envíos?").status, 200);
  EXPECT_TRUE(eventually([&] { return replies_to("wamid.O2").size() == 1; }, 30s))
      << node_->log();
  EXPECT_EQ(node_->get("/health").status, 200);
}

TEST_F(supervision, without_the_fault_switch_crash_markers_are_plain_text) {
  start({}, {});
  ASSERT_EQ(send(tenant_, "5544", "wamid.N1", "#crash").status, 200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.N1").size() == 1; }));
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM dead_letters"), "0");
}

TEST_F(supervision, an_idle_conversation_is_passivated_and_comes_back_with_its_context) {
  start({{"PARLEY_CONVERSATION_IDLE_MS", "300"}}, {});
  ASSERT_EQ(send(tenant_, "5555", "wamid.I1", "¿cuál es el horario de atención?").status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  auto conv = db_->scalar("SELECT id FROM conversations");
  ASSERT_TRUE(eventually([&] { return tree().find("conv/" + conv) == std::string::npos; }))
      << "the conversation was not passivated: " << tree();
  ASSERT_EQ(send(tenant_, "5555", "wamid.I2", "How long does shipping take?").status, 200);
  ASSERT_TRUE(graph_.wait_accepted(2));
  EXPECT_EQ(replies_to("wamid.I2").size(), 1u);
  // Reloaded from PostgreSQL: the first exchange plus the second.
  ASSERT_TRUE(eventually(
      [&] {
        auto t = tree();
        auto at = t.find("conv/" + conv);
        return at != std::string::npos && detail_value(t.substr(at), "context") == "4";
      },
      3s))
      << tree();
}

TEST_F(supervision, backpressure_pauses_intake_but_every_acknowledged_message_is_answered_once) {
  start({}, {"--limits.tenant-max-in-flight=3", "--limits.conversation-max-queued=2"});
  // Ten messages a webhook: each batch reaches the tenant at once, over its limit of 3 held,
  // so intake pauses however fast the node answers.
  std::vector<std::string> wamids;
  for (int b = 0; b < 4; ++b) {
    std::vector<text_in> msgs;
    for (int k = 0; k < 10; ++k) {
      int i = b * 10 + k;
      wamids.push_back("wamid.BP" + std::to_string(i));
      msgs.push_back({"55" + std::to_string(60 + i % 8), wamids.back(),
                      "¿horario? " + std::to_string(i)});
    }
    auto r = post_webhook(node_->port(), tenant_, text_webhook(tenant_.phone_number_id, msgs));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(graph_.wait_accepted(40, 30s))
      << graph_.accepted().size() << " replies; inbox: "
      << db_->scalar(
             "SELECT string_agg(provider_id || ':' || status, ' ' ORDER BY id) FROM messages "
             "WHERE direction = 'in' AND status <> 'processed'")
      << "\ntree: " << tree();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(graph_.accepted().size(), 40u);
  for (auto& w : wamids) EXPECT_EQ(replies_to(w).size(), 1u) << w;
  auto metrics = node_->get("/metrics").body;
  EXPECT_EQ(metrics.find("parley_tenant_intake_paused_total 0"), std::string::npos)
      << "intake never paused; the test does not exercise backpressure";
  // Per conversation, replies follow the order of the messages.
  std::map<std::string, int> last;
  for (auto& c : graph_.accepted()) {
    int n = std::stoi(c.context_id.substr(std::string{"wamid.BP"}.size()));
    auto& prev = last[c.to];
    EXPECT_GT(n + 1, prev) << "out of order for " << c.to;
    prev = n + 1;
  }
}

TEST_F(supervision, the_lru_cap_passivates_the_least_recently_used_conversations) {
  start({}, {"--limits.max-active-conversations=2"});
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(
        send(tenant_, "557" + std::to_string(i), "wamid.L" + std::to_string(i), "hola").status,
        200);
  ASSERT_TRUE(graph_.wait_accepted(6)) << node_->log();
  ASSERT_TRUE(eventually([&] {
    auto v = detail_value(tree(), "active_conversations");
    return !v.empty() && std::stoi(v) <= 2;
  })) << tree();
  EXPECT_NE(detail_value(tree(), "evicted"), "0");
}

TEST_F(supervision, messages_racing_a_passivation_are_neither_lost_nor_reordered) {
  // Conversations passivate after 40 ms of quiet, and messages arrive with gaps around that.
  start({{"PARLEY_CONVERSATION_IDLE_MS", "40"}}, {});
  std::vector<std::string> wamids;
  for (int i = 0; i < 30; ++i) {
    auto wamid = "wamid.RC" + std::to_string(i);
    wamids.push_back(wamid);
    ASSERT_EQ(send(tenant_, "5590", wamid, "¿horario? " + std::to_string(i)).status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds{(i * 17) % 90});
  }
  ASSERT_TRUE(graph_.wait_accepted(30, 30s)) << graph_.accepted().size();
  std::this_thread::sleep_for(200ms);
  auto calls = graph_.accepted();
  ASSERT_EQ(calls.size(), 30u);
  for (std::size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].context_id, wamids[i]);
}
