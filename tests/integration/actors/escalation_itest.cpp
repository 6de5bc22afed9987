// Escalation and human handoff through the real daemon: an angry refund request is handed to a
// person, the customer gets the handoff message once, the tenant's webhook is notified (signed),
// the bot stays silent until release, a person's reply goes out, a handoff cancels a prepared bot
// answer.
#include <mutex>
#include <thread>

#include "edge/http_server.hpp"
#include "common/signature.hpp"
#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

// The tenant's notification endpoint: records what arrives; can fail the first calls.
struct notify_receiver {
  std::mutex mtx;
  std::vector<std::pair<std::string, std::string>> calls;  // body, signature
  int fail_first = 0;
  std::unique_ptr<parley::edge::http_server> server;
  uint16_t port = 0;
  notify_receiver() {
    parley::edge::http_server_settings s;
    s.port = 0;
    server = std::make_unique<parley::edge::http_server>(
        s, [this](parley::edge::http_request&& req, parley::edge::respond_fn respond) {
          std::lock_guard<std::mutex> g{mtx};
          calls.emplace_back(req.body, std::string{req.header("x-parley-signature")});
          if (fail_first-- > 0) return respond(parley::edge::json_error(503, "down", "try later"));
          respond(parley::edge::json_ok(200, "{}"));
        });
    port = server->bind();
    server->start();
  }
  ~notify_receiver() { server->stop(std::chrono::milliseconds{500}); }
  std::size_t count() {
    std::lock_guard<std::mutex> g{mtx};
    return calls.size();
  }
};

}  // namespace

class escalation : public ::testing::Test {
 protected:
  void SetUp() override {
    PARLEY_REQUIRE_DATABASE();
    db_ = std::make_unique<scratch_database>();
    node_ = std::make_unique<parleyd>(
        db_->url(), std::map<std::string, std::string>{{"PARLEY_BUFFER_WINDOW_MS", "0"}},
        std::vector<std::string>{"--outbox.retry-base=20ms"});
    if (!node_->wait_ready()) throw std::runtime_error("parleyd did not start:\n" + node_->log());
    t_ = make_tenant(node_->port(), graph_.base_url(), "4000000001");
    auto put = admin_call(
        node_->port(), "PUT", "/v1/tenants/" + t_.tenant_id,
        R"({"handoff":{"message":"Te paso con una persona del equipo.","hours":24,"notify_url":"http://127.0.0.1:)" +
            std::to_string(notify_.port) + R"(/hooks/parley","notify_secret":"notify-secret"}})");
    if (put.status != 200) throw std::runtime_error("tenant settings: " + put.body);
  }
  http_reply send(const std::string& wamid, const std::string& text) {
    return post_webhook(node_->port(), t_,
                        text_webhook(t_.phone_number_id, {{"5215550009999", wamid, text}}));
  }
  std::vector<graph_call> replies_to(const std::string& wamid) {
    std::vector<graph_call> out;
    for (auto& c : graph_.accepted())
      if (c.context_id == wamid) out.push_back(c);
    return out;
  }
  std::string conversation() { return db_->scalar("SELECT id FROM conversations"); }
  notify_receiver notify_;
  fake_graph_api graph_;
  std::unique_ptr<scratch_database> db_;
  std::unique_ptr<parleyd> node_;
  demo_tenant t_;
};

TEST_F(escalation, an_angry_refund_request_is_handed_to_a_person_once_and_the_bot_stays_silent) {
  notify_.fail_first = 1;  // the notification is retried
  ASSERT_EQ(send("wamid.X1", "¿Cuál es el horario de atención?").status, 200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.X1").size() == 1; }));
  ASSERT_EQ(
      send("wamid.X2", "Quiero un REEMBOLSO ya, esto es una estafa!!! Quiero hablar con un gerente")
          .status,
      200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.X2").size() == 1; })) << node_->log();
  EXPECT_EQ(replies_to("wamid.X2")[0].text, "Te paso con una persona del equipo.");
  // The tenant is notified, signed, after one retry.
  ASSERT_TRUE(eventually([&] { return notify_.count() == 2; })) << notify_.count();
  {
    std::lock_guard<std::mutex> g{notify_.mtx};
    auto& [body, signature] = notify_.calls.back();
    EXPECT_TRUE(parley::common::verify_signature("notify-secret", body, signature)) << signature;
    EXPECT_NE(body.find(R"("event":"escalation.requested")"), std::string::npos) << body;
    EXPECT_NE(body.find(R"("customer":"5215550009999")"), std::string::npos);
    EXPECT_NE(body.find(R"("code":"keyword")"), std::string::npos) << body;
  }
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM events WHERE type = 'escalation.requested'"), "1");
  EXPECT_EQ(
      db_->scalar("SELECT human_override_until > now() + interval '23 hours' FROM conversations"),
      "t");
  // Later messages get no bot answer...
  ASSERT_EQ(send("wamid.X3", "¿Hola? ¿Cuánto tarda el envío?").status, 200);
  ASSERT_TRUE(eventually([&] {
    return db_->scalar("SELECT status FROM messages WHERE provider_id = 'wamid.X3'") == "processed";
  }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(replies_to("wamid.X3").size(), 0u);
  // ...a person answers through the API...
  auto conv = conversation();
  auto human = admin_call(node_->port(), "POST", "/v1/conversations/" + conv + "/messages",
                          R"({"text":"Hola, soy Ana. Ya reviso tu reembolso."})");
  ASSERT_EQ(human.status, 202) << human.body;
  ASSERT_TRUE(eventually([&] {
    for (auto& c : graph_.accepted())
      if (c.text == "Hola, soy Ana. Ya reviso tu reembolso.") return true;
    return false;
  }));
  // ...and after release the bot answers again.
  ASSERT_EQ(admin_call(node_->port(), "POST", "/v1/conversations/" + conv + "/release").status,
            200);
  ASSERT_EQ(send("wamid.X4", "¿Cuánto tarda el envío?").status, 200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.X4").size() == 1; }));
  EXPECT_NE(replies_to("wamid.X4")[0].text.find("2 a 4"), std::string::npos);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM messages WHERE author = 'system'"), "1");  // once
  auto audit = db_->scalar("SELECT string_agg(action, ' ' ORDER BY id) FROM audit_log");
  EXPECT_NE(audit.find("conversation.reply"), std::string::npos) << audit;
  EXPECT_NE(audit.find("conversation.release"), std::string::npos);
}

TEST_F(escalation, a_handoff_by_hand_silences_the_bot_and_cancels_a_prepared_answer) {
  ASSERT_EQ(send("wamid.H1", "hola").status, 200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.H1").size() == 1; }));
  auto conv = conversation();
  // A bot answer stored but not yet sent when the person takes over is never sent.
  db_->exec(
      "INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, "
      "idempotency_key, author) SELECT tenant_id, id, 'out', 'text', 'respuesta del bot', "
      "'pending', 'prepared-1', 'bot' FROM conversations");
  auto handoff =
      admin_call(node_->port(), "POST", "/v1/conversations/" + conv + "/handoff", R"({"hours":2})");
  ASSERT_EQ(handoff.status, 200) << handoff.body;
  EXPECT_EQ(db_->scalar("SELECT status FROM messages WHERE idempotency_key = 'prepared-1'"),
            "cancelled");
  // Even after a restart (recovery resends pending bubbles), the cancelled answer stays unsent.
  node_.reset();
  parleyd again{db_->url(), {{"PARLEY_BUFFER_WINDOW_MS", "0"}}};
  ASSERT_TRUE(again.wait_ready());
  ASSERT_EQ(
      post_webhook(again.port(), t_,
                   text_webhook(t_.phone_number_id, {{"5215550009999", "wamid.H2", "¿sigue ahí?"}}))
          .status,
      200);
  ASSERT_TRUE(eventually([&] {
    return db_->scalar("SELECT status FROM messages WHERE provider_id = 'wamid.H2'") == "processed";
  }));
  std::this_thread::sleep_for(300ms);
  for (auto& c : graph_.accepted()) EXPECT_NE(c.text, "respuesta del bot");
  EXPECT_EQ(replies_to("wamid.H2").size(), 0u);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM events WHERE type = 'conversation.handoff'"), "1");
}

TEST_F(escalation, handoff_and_reply_validate_input_and_tenancy) {
  ASSERT_EQ(send("wamid.V1", "hola").status, 200);
  ASSERT_TRUE(eventually([&] { return replies_to("wamid.V1").size() == 1; }));
  auto conv = conversation();
  auto port = node_->port();
  EXPECT_EQ(
      admin_call(port, "POST", "/v1/conversations/" + conv + "/messages", R"({"text":""})").status,
      400);
  EXPECT_EQ(admin_call(port, "POST", "/v1/conversations/" + conv + "/messages", "nope").status,
            400);
  EXPECT_EQ(
      admin_call(port, "POST", "/v1/conversations/" + conv + "/handoff", R"({"hours":0})").status,
      400);
  EXPECT_EQ(
      admin_call(port, "POST", "/v1/conversations/00000000-0000-0000-0000-000000000000/handoff")
          .status,
      404);
  EXPECT_EQ(http_call("POST", port, "/v1/conversations/" + conv + "/release").status, 401);
  // Another tenant's agent cannot touch it.
  auto other = make_tenant(port, graph_.base_url(), "4000000002");
  auto key = admin_call(port, "POST", "/v1/tenants/" + other.tenant_id + "/credentials",
                        R"({"role":"agent"})");
  auto token = json_string(http_call("POST", port, "/v1/token",
                                     R"({"api_key":")" + json_string(key.body, "api_key") + R"("})")
                               .body,
                           "access_token");
  EXPECT_EQ(http_call("POST", port, "/v1/conversations/" + conv + "/handoff", "",
                      {{"Authorization", "Bearer " + token}})
                .status,
            404);
  EXPECT_EQ(db_->scalar("SELECT human_override_until IS NULL FROM conversations WHERE id = '" +
                        conv + "'"),
            "t");
}
