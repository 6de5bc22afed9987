// The message path end to end: real parleyd, real PostgreSQL, a fake Graph API on loopback.
#include <csignal>
#include <set>
#include <thread>

#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> fast_env(int window_ms = 0) {
  return {{"PARLEY_BUFFER_WINDOW_MS", std::to_string(window_ms)}};
}
std::vector<std::string> fast_args() {
  return {"--outbox.retry-base=20ms", "--outbox.max-attempts=4"};
}

std::string count(const scratch_database& db, const std::string& sql) {
  return db.scalar(sql);
}

}  // namespace

class message_path : public ::testing::Test {
 protected:
  void start(int window_ms = 0) {
    db_ = std::make_unique<scratch_database>();
    node_ = std::make_unique<parleyd>(db_->url(), fast_env(window_ms), fast_args());
    // Throwing ends the test at once (gtest reports it) instead of cascading failures.
    if (!node_->wait_ready()) throw std::runtime_error("parleyd did not start:\n" + node_->log());
    tenant_ = make_tenant(node_->port(), graph_.base_url(), "106540352242922");
  }
  void SetUp() override { PARLEY_REQUIRE_DATABASE(); }
  http_reply send(const std::vector<text_in>& msgs) {
    return post_webhook(node_->port(), tenant_, text_webhook(tenant_.phone_number_id, msgs));
  }
  fake_graph_api graph_;
  std::unique_ptr<scratch_database> db_;
  std::unique_ptr<parleyd> node_;
  demo_tenant tenant_;
};

TEST_F(message_path, a_signed_text_message_gets_exactly_one_reply) {
  start();
  auto r = send({{"16505551234", "wamid.A1", "¿Cuál es el horario de atención?"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(graph_.wait_accepted(1)) << node_->log();
  std::this_thread::sleep_for(300ms);
  auto calls = graph_.accepted();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].path, "/v21.0/106540352242922/messages");
  EXPECT_EQ(calls[0].authorization, "Bearer test-access-token");
  EXPECT_EQ(calls[0].to, "16505551234");
  EXPECT_EQ(calls[0].context_id, "wamid.A1");
  EXPECT_NE(calls[0].text.find("lunes a viernes"), std::string::npos) << calls[0].text;
  EXPECT_NE(calls[0].body.find(R"("messaging_product":"whatsapp")"), std::string::npos);

  auto convs =
      admin_call(node_->port(), "GET", "/v1/tenants/" + tenant_.tenant_id + "/conversations");
  ASSERT_EQ(convs.status, 200);
  ASSERT_EQ(json_array_size(convs.body, "conversations"), 1) << convs.body;
  auto conv_id = db_->scalar("SELECT id FROM conversations");
  EXPECT_NE(convs.body.find(conv_id), std::string::npos);
  EXPECT_NE(convs.body.find(R"("customer":"16505551234")"), std::string::npos);
  EXPECT_NE(convs.body.find(R"("customer_name":"Sheena Nelson")"), std::string::npos);

  // The reply is recorded as sent with its wamid (the database write follows the send).
  for (int i = 0;
       i < 100 && count(*db_, "SELECT count(*) FROM messages WHERE status = 'sent'") != "1"; ++i)
    std::this_thread::sleep_for(20ms);
  auto msgs = admin_call(node_->port(), "GET", "/v1/conversations/" + conv_id + "/messages");
  ASSERT_EQ(msgs.status, 200);
  ASSERT_EQ(json_array_size(msgs.body, "messages"), 2) << msgs.body;
  EXPECT_NE(
      msgs.body.find(
          R"("direction":"in","type":"text","text":"¿Cuál es el horario de atención?","status":"processed")"),
      std::string::npos)
      << msgs.body;
  EXPECT_NE(msgs.body.find(R"("direction":"out","type":"text")"), std::string::npos);
  EXPECT_NE(msgs.body.find(R"("status":"sent")"), std::string::npos);
  EXPECT_NE(msgs.body.find(R"("provider_id":")" + calls[0].wamid + "\""), std::string::npos);
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM webhook_payloads"), "1");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM timeline WHERE type = 'message.received'"), "1");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM events WHERE type = 'message.processed'"), "1");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM timeline WHERE type = 'reply.sent'"), "1");
  // Derived, not written: the events table holds only what no row says.
  EXPECT_EQ(
      count(*db_, "SELECT count(*) FROM events WHERE type IN ('message.received', 'reply.sent')"),
      "0");

  auto metrics = node_->get("/metrics").body;
  EXPECT_NE(metrics.find("parley_messages_received_total 1"), std::string::npos);
  EXPECT_NE(metrics.find("parley_replies_sent_total 1"), std::string::npos);
  EXPECT_NE(metrics.find("parley_webhook_ack_seconds_count 1"), std::string::npos);
  EXPECT_NE(metrics.find("parley_reply_e2e_seconds_count 1"), std::string::npos);
}

TEST_F(message_path, sigterm_after_traffic_stops_cleanly) {
  start();
  ASSERT_EQ(send({{"16505551234", "wamid.T1", "hola"}}).status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  node_->process().signal(SIGTERM);
  auto code = node_->process().wait(10s);
  ASSERT_TRUE(code.has_value()) << "parleyd did not stop within 10 s";
  EXPECT_EQ(*code, 0);
}

TEST_F(message_path, the_same_webhook_twice_is_answered_once) {
  start();
  auto body = text_webhook(tenant_.phone_number_id,
                           {{"16505551234", "wamid.DUP", "How long does shipping take?"}});
  ASSERT_EQ(post_webhook(node_->port(), tenant_, body).status, 200);
  auto second = post_webhook(node_->port(), tenant_, body);
  ASSERT_EQ(second.status, 200);
  EXPECT_NE(second.body.find(R"("duplicates":1)"), std::string::npos) << second.body;
  ASSERT_TRUE(graph_.wait_accepted(1));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(graph_.accepted().size(), 1u);
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM messages WHERE direction = 'in'"), "1");
  EXPECT_NE(graph_.accepted()[0].text.find("2 to 4 business days"), std::string::npos);
}

TEST_F(message_path, ten_messages_from_one_customer_are_answered_in_order) {
  start();
  for (int i = 0; i < 10; ++i) {
    auto r = send(
        {{"16505550000", "wamid.ORD" + std::to_string(i), "pregunta número " + std::to_string(i)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(graph_.wait_accepted(10)) << graph_.accepted().size();
  std::this_thread::sleep_for(300ms);
  auto calls = graph_.accepted();
  ASSERT_EQ(calls.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(calls[i].context_id, "wamid.ORD" + std::to_string(i));
}

TEST_F(message_path, a_burst_inside_the_buffer_window_is_one_turn) {
  start(800);
  ASSERT_EQ(send({{"16505551111", "wamid.B1", "hola"}}).status, 200);
  ASSERT_EQ(send({{"16505551111", "wamid.B2", "quiero devolver un producto"}}).status, 200);
  ASSERT_EQ(send({{"16505551111", "wamid.B3", "¿cómo hago?"}}).status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  std::this_thread::sleep_for(1500ms);
  auto calls = graph_.accepted();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].context_id, "wamid.B3");
  EXPECT_NE(calls[0].text.find("30 días"), std::string::npos) << calls[0].text;
  EXPECT_EQ(
      count(*db_, "SELECT count(*) FROM messages WHERE direction = 'in' AND status = 'processed'"),
      "3");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM events WHERE type = 'message.processed'"), "1");
}

TEST_F(message_path, bad_input_gets_a_clear_4xx_and_stores_nothing) {
  start();
  auto body = text_webhook(tenant_.phone_number_id, {{"16505551234", "wamid.BAD", "hola"}});
  auto path = "/webhooks/whatsapp/" + tenant_.channel_id;

  auto unsigned_ = http_call("POST", node_->port(), path, body);
  EXPECT_EQ(unsigned_.status, 401);
  EXPECT_NE(unsigned_.body.find(R"("code":"missing_signature")"), std::string::npos);

  auto forged = http_call("POST", node_->port(), path, body,
                          {{"X-Hub-Signature-256", "sha256=" + std::string(64, '0')}});
  EXPECT_EQ(forged.status, 401);
  EXPECT_NE(forged.body.find(R"("code":"invalid_signature")"), std::string::npos);

  // Signed correctly, but not a WhatsApp notification.
  auto empty = post_webhook(node_->port(), tenant_, "{}");
  EXPECT_EQ(empty.status, 400);
  EXPECT_NE(empty.body.find(R"("code":"invalid_payload")"), std::string::npos) << empty.body;

  demo_tenant ghost = tenant_;
  ghost.channel_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(post_webhook(node_->port(), ghost, body).status, 404);
  ghost.channel_id = "not-a-uuid";
  EXPECT_EQ(post_webhook(node_->port(), ghost, body).status, 404);

  auto malformed =
      post_webhook(node_->port(), tenant_, "{\"object\": \"whatsapp_business_account\", ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find(R"("code":"invalid_json")"), std::string::npos);

  auto not_wa = post_webhook(node_->port(), tenant_, R"({"object":"page","entry":[]})");
  EXPECT_EQ(not_wa.status, 400);

  auto other_phone = post_webhook(node_->port(), tenant_,
                                  text_webhook("999999999", {{"1650", "wamid.X", "hola"}}));
  EXPECT_EQ(other_phone.status, 403);
  EXPECT_NE(other_phone.body.find(R"("code":"phone_number_mismatch")"), std::string::npos);

  auto huge = post_webhook(node_->port(), tenant_, std::string(4 * 1024 * 1024, ' '));
  EXPECT_EQ(huge.status, 413);

  EXPECT_EQ(count(*db_, "SELECT count(*) FROM messages"), "0");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM webhook_payloads"), "0");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM conversations"), "0");
  EXPECT_EQ(node_->get("/health").status, 200);
}

TEST_F(message_path, verification_handshake) {
  start();
  auto base = "/webhooks/whatsapp/" + tenant_.channel_id;
  auto ok = http_get(
      node_->port(),
      base + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=test-verify-token");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "1158201444");
  EXPECT_EQ(
      http_get(node_->port(), base + "?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong")
          .status,
      403);
  EXPECT_EQ(
      http_get(node_->port(),
               base + "?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=test-verify-token")
          .status,
      403);
  EXPECT_EQ(http_get(node_->port(),
                     "/webhooks/whatsapp/00000000-0000-0000-0000-000000000000?hub.mode=subscribe")
                .status,
            404);
}

TEST_F(message_path, transient_failures_are_retried_into_one_delivered_reply) {
  start();
  graph_.script({{500, R"({"error":{"code":131000,"message":"Something went wrong"}})"},
                 {429, R"({"error":{"code":130429,"message":"Rate limit hit"}})"}});
  ASSERT_EQ(send({{"16505552222", "wamid.R1", "How long does shipping take?"}}).status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1)) << node_->log();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(graph_.calls().size(), 3u);
  EXPECT_EQ(graph_.accepted().size(), 1u);
  for (int i = 0;
       i < 100 && count(*db_, "SELECT status FROM messages WHERE direction = 'out'") != "sent"; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(count(*db_, "SELECT status || ':' || attempts FROM messages WHERE direction = 'out'"),
            "sent:3");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM dead_letters"), "0");
}

TEST_F(message_path, a_permanent_failure_becomes_a_dead_letter) {
  start();
  graph_.always({400, R"({"error":{"code":131026,"message":"Message undeliverable"}})"});
  ASSERT_EQ(send({{"16505553333", "wamid.D1", "hola"}}).status, 200);
  for (int i = 0; i < 200 && count(*db_, "SELECT count(*) FROM dead_letters") != "1"; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM dead_letters WHERE kind = 'outbound'"), "1");
  EXPECT_EQ(graph_.calls().size(), 1u);  // not retried
  EXPECT_EQ(count(*db_, "SELECT status FROM messages WHERE direction = 'out'"), "failed");
  EXPECT_NE(count(*db_, "SELECT error FROM dead_letters").find("131026"), std::string::npos);
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM events WHERE type = 'reply.failed'"), "1");
}

TEST_F(message_path, retries_exhausted_become_a_dead_letter) {
  start();
  graph_.always({503, "upstream down"});
  ASSERT_EQ(send({{"16505554444", "wamid.E1", "hola"}}).status, 200);
  for (int i = 0; i < 300 && count(*db_, "SELECT count(*) FROM dead_letters") != "1"; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM dead_letters"), "1");
  EXPECT_EQ(graph_.calls().size(), 4u);  // --outbox.max-attempts=4
  EXPECT_EQ(count(*db_, "SELECT status || ':' || attempts FROM messages WHERE direction = 'out'"),
            "failed:4");
}

TEST_F(message_path, statuses_out_of_order_end_in_the_right_state) {
  start();
  ASSERT_EQ(send({{"16505555555", "wamid.S1", "hola"}}).status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  auto wamid = graph_.accepted()[0].wamid;
  for (int i = 0;
       i < 100 && count(*db_, "SELECT count(*) FROM messages WHERE status = 'sent'") != "1"; ++i)
    std::this_thread::sleep_for(20ms);
  auto statuses = status_webhook(tenant_.phone_number_id, "16505555555",
                                 {{wamid, "read"}, {wamid, "delivered"}, {wamid, "sent"}});
  ASSERT_EQ(post_webhook(node_->port(), tenant_, statuses).status, 200);
  EXPECT_EQ(count(*db_, "SELECT status FROM messages WHERE direction = 'out'"), "read");
  EXPECT_EQ(count(*db_, "SELECT read_at IS NOT NULL FROM messages WHERE direction = 'out'"), "t");
  // failed is final, and nothing moves it back.
  ASSERT_EQ(post_webhook(node_->port(), tenant_,
                         status_webhook(tenant_.phone_number_id, "1", {{wamid, "failed"}}))
                .status,
            200);
  ASSERT_EQ(post_webhook(node_->port(), tenant_,
                         status_webhook(tenant_.phone_number_id, "1", {{wamid, "read"}}))
                .status,
            200);
  EXPECT_EQ(count(*db_, "SELECT status FROM messages WHERE direction = 'out'"), "failed");
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM message_statuses"), "5");
}

TEST_F(message_path, a_status_that_overtakes_the_send_result_is_applied) {
  start();
  // Pretend Meta's 'delivered' for the wamid the fake will hand out arrives before our send.
  auto early =
      status_webhook(tenant_.phone_number_id, "16505556666", {{"wamid.fake1", "delivered"}});
  ASSERT_EQ(post_webhook(node_->port(), tenant_, early).status, 200);
  ASSERT_EQ(send({{"16505556666", "wamid.O1", "hola"}}).status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  ASSERT_EQ(graph_.accepted()[0].wamid, "wamid.fake1");
  for (int i = 0;
       i < 100 && count(*db_, "SELECT status FROM messages WHERE direction = 'out'") != "delivered";
       ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(count(*db_, "SELECT status FROM messages WHERE direction = 'out'"), "delivered");
}

TEST_F(message_path, the_bot_stays_silent_during_a_human_lockout) {
  start();
  ASSERT_EQ(send({{"16505557777", "wamid.L1", "hola"}}).status, 200);
  ASSERT_TRUE(graph_.wait_accepted(1));
  db_->exec("UPDATE conversations SET human_override_until = now() + interval '24 hours'");
  ASSERT_EQ(send({{"16505557777", "wamid.L2", "¿hay alguien?"}}).status, 200);
  for (int i = 0;
       i < 100 &&
       count(*db_, "SELECT status FROM messages WHERE provider_id = 'wamid.L2'") != "processed";
       ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(count(*db_, "SELECT status FROM messages WHERE provider_id = 'wamid.L2'"), "processed");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(graph_.accepted().size(), 1u);
  EXPECT_EQ(count(*db_, "SELECT count(*) FROM messages WHERE direction = 'out'"), "1");
}

TEST_F(message_path, a_kill_after_the_ack_still_leads_to_exactly_one_reply) {
  start(3000);  // the turn waits 3 s: time to kill the node after the ack
  ASSERT_EQ(send({{"16505558888", "wamid.K1", "How long does shipping take?"}}).status, 200);
  node_->process().signal(SIGKILL);
  node_->process().wait(5s);
  EXPECT_EQ(graph_.calls().size(), 0u);
  parleyd again{db_->url(), fast_env(0), fast_args()};
  ASSERT_TRUE(again.wait_ready()) << again.log();
  ASSERT_TRUE(graph_.wait_accepted(1)) << again.log();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(graph_.accepted().size(), 1u);
  EXPECT_EQ(graph_.accepted()[0].context_id, "wamid.K1");
}

TEST_F(message_path, unsent_replies_are_sent_after_a_restart) {
  start();
  graph_.script({{503, "down"}});  // the first try fails; the retry comes after the restart
  node_.reset();
  auto fresh = std::make_unique<parleyd>(db_->url(), fast_env(0),
                                         std::vector<std::string>{"--outbox.retry-base=5s"});
  ASSERT_TRUE(fresh->wait_ready());
  ASSERT_EQ(
      post_webhook(fresh->port(), tenant_,
                   text_webhook(tenant_.phone_number_id, {{"16505559999", "wamid.U1", "hola"}}))
          .status,
      200);
  ASSERT_TRUE(graph_.wait_calls(1));
  fresh->process().signal(SIGKILL);
  fresh->process().wait(5s);
  EXPECT_EQ(count(*db_, "SELECT status FROM messages WHERE direction = 'out'"), "pending");
  // The bubble is the dead process's: it may have been accepted, so the new one waits for a
  // status naming it (docs/delivery.md), then sends it.
  auto args = fast_args();
  args.insert(args.end(), {"--outbox.send-timeout=2s", "--outbox.uncertain-wait=3s"});
  parleyd again{db_->url(), fast_env(0), args};
  ASSERT_TRUE(again.wait_ready()) << again.log();
  ASSERT_TRUE(graph_.wait_accepted(1)) << again.log();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(graph_.accepted().size(), 1u);
}

TEST_F(message_path, every_entry_and_change_of_a_batch_is_stored) {
  start();
  auto one = text_webhook(tenant_.phone_number_id,
                          {{"111", "wamid.M1", "hola"}, {"111", "wamid.M2", "adiós"}});
  // Two entries, the second with a non-message field that is kept but not fatal.
  auto entry_start = one.find("[{\"id\"") + 1;
  auto entries = one.substr(entry_start, one.rfind("]}") - entry_start);
  auto second = entries;
  for (auto [from, to] : {std::pair{"wamid.M1", "wamid.M3"}, std::pair{"wamid.M2", "wamid.M4"}})
    second.replace(second.find(from), std::string{from}.size(), to);
  auto body =
      R"({"object":"whatsapp_business_account","entry":[)" + entries + "," + second +
      R"(,{"id":"1","changes":[{"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]})";
  auto r = post_webhook(node_->port(), tenant_, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("stored":4)"), std::string::npos) << r.body;
  EXPECT_EQ(
      count(*db_,
            "SELECT string_agg(provider_id, ',' ORDER BY id) FROM messages WHERE direction = 'in'"),
      "wamid.M1,wamid.M2,wamid.M3,wamid.M4");
}

TEST_F(message_path, the_database_going_down_gives_503_and_coming_back_works) {
  scratch_postgres pg;
  parleyd node{pg.url(), fast_env(0), fast_args()};
  ASSERT_TRUE(node.wait_ready()) << node.log();
  auto t = make_tenant(node.port(), graph_.base_url(), "555000111");
  pg.stop();
  auto body = text_webhook(t.phone_number_id, {{"1", "wamid.DB1", "hola"}});
  auto down = post_webhook(node.port(), t, body);
  EXPECT_EQ(down.status, 503) << down.body;
  // The answer names a correlation id (in the log with the details), not the server's text.
  EXPECT_NE(down.body.find(R"("correlation_id":")"), std::string::npos) << down.body;
  EXPECT_EQ(down.body.find("connect"), std::string::npos) << down.body;
  auto admin = admin_call(node.port(), "GET", "/v1/tenants/" + t.tenant_id, "");
  EXPECT_EQ(admin.status, 503) << admin.body;
  EXPECT_EQ(admin.body.find("connect"), std::string::npos) << admin.body;
  pg.start();
  http_reply up;
  for (int i = 0; i < 100; ++i) {
    up = post_webhook(node.port(), t, body);
    if (up.status == 200) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_TRUE(graph_.wait_accepted(1)) << node.log();
}

TEST_F(message_path, the_admin_api_validates_and_never_returns_secrets) {
  start();
  auto port = node_->port();
  EXPECT_EQ(http_call("POST", port, "/v1/tenants", R"({"name":"x"})").status, 401);
  EXPECT_EQ(
      http_call("POST", port, "/v1/tenants", R"({"name":"x"})", {{"Authorization", "Bearer wrong"}})
          .status,
      401);
  EXPECT_EQ(admin_call(port, "POST", "/v1/tenants", "not json").status, 400);
  EXPECT_EQ(admin_call(port, "POST", "/v1/tenants", R"({"name":""})").status, 400);
  EXPECT_EQ(admin_call(port, "POST", "/v1/tenants", R"({"name":42})").status, 400);
  EXPECT_EQ(admin_call(port, "POST", "/v1/tenants", R"([1,2])").status, 400);
  auto base = "/v1/tenants/" + tenant_.tenant_id;
  EXPECT_EQ(admin_call(port, "POST", base + "/channels", R"({"phone_number_id":"1"})").status, 400);
  auto dup = admin_call(
      port, "POST", base + "/channels",
      R"({"type":"whatsapp","phone_number_id":"106540352242922","app_secret":"s","verify_token":"v","access_token":"a"})");
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(
      admin_call(
          port, "POST", "/v1/tenants/00000000-0000-0000-0000-000000000000/channels",
          R"({"phone_number_id":"77","app_secret":"s","verify_token":"v","access_token":"a"})")
          .status,
      404);
  EXPECT_EQ(admin_call(port, "POST", "/v1/tenants/nope/knowledge", R"({"title":"a","content":"b"})")
                .status,
            404);
  EXPECT_EQ(admin_call(port, "POST", base + "/knowledge", R"({"title":"a"})").status, 400);
  EXPECT_EQ(
      admin_call(port, "GET", "/v1/conversations/00000000-0000-0000-0000-000000000000/messages")
          .status,
      404);
  auto created = admin_call(
      port, "POST", base + "/channels",
      R"({"type":"whatsapp","phone_number_id":"4242","app_secret":"SECRET-1","verify_token":"VERIFY-1","access_token":"TOKEN-1"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find("SECRET-1"), std::string::npos);
  EXPECT_EQ(created.body.find("VERIFY-1"), std::string::npos);
  EXPECT_EQ(created.body.find("TOKEN-1"), std::string::npos);
  EXPECT_EQ(json_string(created.body, "webhook_path"),
            "/webhooks/whatsapp/" + json_string(created.body, "id"));
  EXPECT_EQ(json_string(created.body, "api_base_url"), "https://graph.facebook.com");
}
