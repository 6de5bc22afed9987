// Exactly once and in order across processes (docs/delivery.md), with a real parleyd, real
// PostgreSQL and a fake Graph API: a bubble another process stored may have been accepted by
// Meta already; its status webhook (biz_opaque_callback_data) says so. Bubbles a process left
// behind are written into the database as that process would have left them.
#include <thread>

#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* customer = "16505550142";
constexpr int64_t dead_process = 424242;  // the incarnation of a process that is gone

std::vector<std::string> args() {
  return {"--outbox.retry-base=20ms", "--outbox.send-timeout=1s", "--outbox.uncertain-wait=2s"};
}

}  // namespace

class delivery : public ::testing::Test {
 protected:
  void SetUp() override { PARLEY_REQUIRE_DATABASE(); }

  void start() {
    db_ = std::make_unique<scratch_database>();
    restart();
    tenant_ = make_tenant(node_->port(), graph_.base_url(), "106540352242977");
  }
  void restart() {
    node_.reset();
    // Conversations passivate soon after their answer: the next message meets a new actor, as
    // on a node that has just taken the tenant over.
    std::map<std::string, std::string> env{{"PARLEY_BUFFER_WINDOW_MS", "0"},
                                           {"PARLEY_CONVERSATION_IDLE_MS", "300"}};
    node_ = std::make_unique<parleyd>(db_->url(), env, args());
    if (!node_->wait_ready()) throw std::runtime_error("parleyd did not start:\n" + node_->log());
  }
  http_reply say(const std::string& wamid, const std::string& text) {
    return post_webhook(node_->port(), tenant_,
                        text_webhook(tenant_.phone_number_id, {{customer, wamid, text}}));
  }
  // A conversation with one answered message, and the id of a pending bubble left in it as a
  // process that died (or handed the tenant over) after storing it would leave it. Returns once
  // the conversation's actor is gone (passivated).
  int64_t leave_a_bubble(const std::string& text, int64_t sender) {
    EXPECT_EQ(say("wamid.D1", "hola").status, 200);
    EXPECT_TRUE(graph_.wait_accepted(1));
    auto conv = db_->scalar("SELECT id FROM conversations LIMIT 1");
    auto id = std::stoll(db_->scalar(
        "INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, "
        "idempotency_key, bubble, reply_to, sender) SELECT tenant_id, id, 'out', 'text', '" +
        text + "', 'pending', 'stranded', 0, 'wamid.D0', " +
        (sender == 0 ? std::string{"NULL"} : std::to_string(sender)) +
        " FROM conversations WHERE id = '" + conv + "' RETURNING id"));
    std::this_thread::sleep_for(1500ms);  // idle 300 ms, checked about every 300 ms
    return id;
  }
  std::size_t sends_of(const std::string& text) {
    std::size_t n = 0;
    for (const auto& c : graph_.calls()) n += c.text == text ? 1 : 0;
    return n;
  }

  fake_graph_api graph_;
  std::unique_ptr<scratch_database> db_;
  std::unique_ptr<parleyd> node_;
  demo_tenant tenant_;
};

TEST_F(delivery, every_send_names_its_bubble_for_the_status_webhooks) {
  start();
  ASSERT_EQ(say("wamid.D1", "hola").status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  auto id = db_->scalar("SELECT id FROM messages WHERE direction = 'out'");
  EXPECT_EQ(json_string(graph_.accepted().at(0).body, "biz_opaque_callback_data"), "pb:" + id);
}

TEST_F(delivery, a_bubble_another_process_sent_is_not_sent_again_once_its_status_names_it) {
  start();
  auto id = leave_a_bubble("sent by the dead process", dead_process);
  restart();  // recovery finds it pending: it may have been accepted before its sender died
  // Meta's status for it arrives while the node waits.
  auto status = status_webhook_with_callback(tenant_.phone_number_id, customer, "wamid.OUT9",
                                             "delivered", "pb:" + std::to_string(id));
  auto answer = post_webhook(node_->port(), tenant_, status);
  ASSERT_EQ(answer.status, 200) << answer.body;
  std::this_thread::sleep_for(3s);  // past the wait
  EXPECT_EQ(sends_of("sent by the dead process"), 0u);
  EXPECT_EQ(db_->scalar("SELECT status || ' ' || provider_id FROM messages WHERE id = " +
                        std::to_string(id)),
            "delivered wamid.OUT9");
}

TEST_F(delivery, a_bubble_another_process_left_unsent_is_sent_once_after_the_wait) {
  start();
  auto id = leave_a_bubble("never sent by the dead process", dead_process);
  auto restarted = std::chrono::steady_clock::now();
  restart();
  ASSERT_TRUE(eventually([&] { return sends_of("never sent by the dead process") == 1; }, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - restarted, 2s);  // it waited for a status first
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sends_of("never sent by the dead process"), 1u);
  EXPECT_TRUE(eventually([&] {
    return db_->scalar("SELECT status FROM messages WHERE id = " + std::to_string(id)) == "sent";
  }));
}

TEST_F(delivery, an_older_pending_bubble_leaves_before_the_answer_to_a_newer_message) {
  start();
  leave_a_bubble("the older answer", dead_process);
  restart();  // it waits for a status naming it; the new answer queues behind it
  ASSERT_EQ(say("wamid.D2", "¿Qué medios de pago aceptan?").status, 200);
  ASSERT_TRUE(graph_.wait_accepted(3, 10s)) << node_->log();
  auto calls = graph_.accepted();
  EXPECT_EQ(calls.at(1).text, "the older answer");
  EXPECT_EQ(calls.at(2).context_id, "wamid.D2");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sends_of("the older answer"), 1u);
}

TEST_F(delivery, a_released_bubble_leaves_at_once_and_still_before_the_newer_answer) {
  start();
  leave_a_bubble("released by its sender", 0);
  restart();
  auto asked = std::chrono::steady_clock::now();
  ASSERT_EQ(say("wamid.D2", "gracias").status, 200);
  ASSERT_TRUE(graph_.wait_accepted(3, 10s)) << node_->log();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);  // no wait for a status
  auto calls = graph_.accepted();
  EXPECT_EQ(calls.at(1).text, "released by its sender");
  EXPECT_EQ(calls.at(2).context_id, "wamid.D2");
}
