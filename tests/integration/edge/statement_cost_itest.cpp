// What one message costs PostgreSQL from webhook to sent reply, counted by the server itself
// (pg_stat_statements): a deterministic guard against a slower path, with no timing. The
// figures are those the "Faster than the peers" issue reached (bench/RESULTS.md); a change that
// adds a statement or a commit per message, or a statement per row of a batch, fails here.
#include <pqxx/pqxx>

#include "tests/support/fake_graph.hpp"
#include "tests/support/node.hpp"
#include "tests/support/whatsapp_payloads.hpp"

using namespace parley::test;

namespace {

// Per message, one at a time (no batching to help): intake BEGIN, payloads,
// conversations, messages, COMMIT; the turn BEGIN, claim, turns, bubbles, events,
// COMMIT; the send BEGIN, sent, COMMIT (writers set their scope once per session).
constexpr int statements_per_message = 14;
constexpr int commits_per_message = 3;

// The same server as superuser (trust authentication on the throwaway instance), which
// pg_stat_statements needs; its own statements are left out of the counts by role.
class server_statistics {
 public:
  explicit server_statistics(const scratch_database& db) : db_(db), conn_(as_superuser(db.url())) {
    pqxx::nontransaction{conn_}.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  }
  void reset() {
    pqxx::nontransaction tx{conn_};
    tx.exec("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = " +
            tx.quote(db_.name()) + "), 0)");
  }
  /// Calls of the node's statements in this database since reset(), those matching `like`.
  long calls(const std::string& like = "%") {
    pqxx::nontransaction tx{conn_};
    return tx
        .exec1(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid JOIN pg_roles r ON r.oid = s.userid "
            "WHERE d.datname = " +
            tx.quote(db_.name()) + " AND r.rolname <> 'postgres' AND s.query LIKE " +
            tx.quote(like))[0]
        .as<long>();
  }
  long sent() {
    pqxx::nontransaction tx{conn_};
    return tx.exec1("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'")[0]
        .as<long>();
  }

 private:
  static std::string as_superuser(const std::string& url) {
    auto at = url.find('@');
    auto scheme = url.find("://");
    return url.substr(0, scheme + 3) + "postgres" + url.substr(at);
  }
  const scratch_database& db_;
  pqxx::connection conn_;
};

}  // namespace

class statement_cost : public ::testing::Test {
 protected:
  void SetUp() override {
    PARLEY_REQUIRE_DATABASE();
    db_ = std::make_unique<scratch_database>();
    node_ = std::make_unique<parleyd>(
        db_->url(), std::map<std::string, std::string>{{"PARLEY_BUFFER_WINDOW_MS", "0"}});
    if (!node_->wait_ready()) throw std::runtime_error("parleyd did not start:\n" + node_->log());
    tenant_ = make_tenant(node_->port(), graph_.base_url(), "106540352242922");
    stats_ = std::make_unique<server_statistics>(*db_);
    // Warm up: the tenant's actors, its settings and the channel's sending details are loaded
    // once, not per message.
    send({{"16505550000", "wamid.W0", "¿Cuál es el horario de atención?"}});
    ASSERT_TRUE(graph_.wait_accepted(1)) << node_->log();
    ASSERT_TRUE(eventually([&] { return stats_->sent() == 1; }));
    stats_->reset();
  }
  void send(const std::vector<text_in>& msgs) {
    auto r = post_webhook(node_->port(), tenant_, text_webhook(tenant_.phone_number_id, msgs));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  fake_graph_api graph_;
  std::unique_ptr<scratch_database> db_;
  std::unique_ptr<parleyd> node_;
  demo_tenant tenant_;
  std::unique_ptr<server_statistics> stats_;
};

TEST_F(statement_cost, one_message_at_a_time_stays_within_its_statements_and_commits) {
  constexpr int n = 10;
  for (int i = 1; i <= n; ++i) {
    send({{"16505550000", "wamid.W" + std::to_string(i), "¿Aceptan tarjeta de crédito?"}});
    ASSERT_TRUE(graph_.wait_accepted(1 + i)) << node_->log();
    ASSERT_TRUE(eventually([&] { return stats_->sent() == 1 + i; }));
  }
  auto statements = stats_->calls();
  auto commits = stats_->calls("COMMIT");
  RecordProperty("statements_per_message", std::to_string(statements / double{n}));
  // A channel's sending details may be read again when its few seconds in cache ran out.
  EXPECT_LE(statements, n * statements_per_message + 2) << statements / double{n} << " a message";
  EXPECT_LE(commits, n * commits_per_message) << commits / double{n} << " a message";
  // Nothing scans: no statement of the path reads the conversation back per message.
  EXPECT_EQ(stats_->calls("%FROM conversations c JOIN tenants%"), 0);
}

TEST_F(statement_cost, a_webhook_of_many_messages_is_written_with_one_statement_per_table) {
  std::vector<text_in> many;
  for (int i = 0; i < 20; ++i)
    many.push_back({"1650555" + std::to_string(1000 + i), "wamid.M" + std::to_string(i),
                    "¿Cuál es el horario de atención?"});
  send(many);
  ASSERT_TRUE(graph_.wait_accepted(21)) << node_->log();
  ASSERT_TRUE(eventually([&] { return stats_->sent() == 21; }));
  EXPECT_EQ(stats_->calls("%INSERT INTO webhook_payloads%"), 1);
  EXPECT_EQ(stats_->calls("%INSERT INTO conversations%"), 1);
  EXPECT_EQ(stats_->calls("%INSERT INTO messages%'received'%"), 1);
  // However the turns fall into batches, no more than one message at a time would cost.
  EXPECT_LE(stats_->calls(), 20 * statements_per_message);
  EXPECT_LE(stats_->calls("COMMIT"), 1 + 2 * 20);
}
