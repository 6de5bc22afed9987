// Tenant leases against a real PostgreSQL (PARLEY_TEST_DATABASE_URL): acquire, renew, release,
// epochs on takeover, racing acquirers, and the fencing check inside a writer's transaction.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "cluster/lease_store.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/migrator.hpp"
#include "persistence/reply_writer.hpp"
#include "tests/support/node.hpp"

using namespace parley::cluster;
using namespace parley::persistence;
using namespace std::chrono_literals;

namespace {

class lease_store : public ::testing::Test {
 protected:
  void SetUp() override {
    PARLEY_REQUIRE_DATABASE();
    db = std::make_unique<parley::test::scratch_database>();
    conn = std::make_unique<pqxx::connection>(db->url());
    migrate(*conn, embedded_migrations());
    tenant = new_tenant();
  }

  // Tenants are under row-level security (migration 0003); leases are not: they are the
  // cluster's, read across tenants by node.
  std::string new_tenant() {
    return as_platform("INSERT INTO tenants (name) VALUES ('lease test') RETURNING id");
  }

  std::string as_platform(const std::string& sql) {
    pqxx::work tx{*conn};
    tx.exec("SELECT set_config('parley.tenant_id', '*', true)");
    auto rs = tx.exec(sql);
    tx.commit();
    return rs.empty() || rs.columns() == 0 ? std::string{} : rs[0][0].c_str();
  }

  struct received {
    std::string conversation;
    std::string inbound;  ///< the message's id
  };
  /// One channel, one conversation and one acknowledged, unanswered message of the tenant.
  received one_unanswered(const std::string& phone, const std::string& customer,
                          const std::string& wamid) {
    auto channel = as_platform(
        "INSERT INTO channels (tenant_id, type, phone_number_id, app_secret, "
        "verify_token, access_token) VALUES ('" +
        tenant + "', 'whatsapp', '" + phone + "', 's', 'v', 'a') RETURNING id");
    auto conversation =
        as_platform("INSERT INTO conversations (tenant_id, channel_id, customer) VALUES ('" +
                    tenant + "', '" + channel + "', '" + customer + "') RETURNING id");
    auto inbound = as_platform(
        "INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, "
        "provider_id) VALUES ('" +
        tenant + "', '" + conversation + "', 'in', 'text', 'hola', 'received', '" + wamid +
        "') RETURNING id");
    return {conversation, inbound};
  }

  std::unique_ptr<parley::test::scratch_database> db;
  std::unique_ptr<pqxx::connection> conn;
  std::string tenant;
};

}  // namespace

TEST_F(lease_store, acquire_renew_release) {
  auto& c = *conn;
  EXPECT_EQ(acquire_lease(c, tenant, "node1", 10000), 1);
  EXPECT_EQ(acquire_lease(c, tenant, "node1", 10000), 1);  // re-acquiring renews, same epoch
  EXPECT_EQ(acquire_lease(c, tenant, "node2", 10000), std::nullopt);
  EXPECT_TRUE(renew_lease(c, tenant, "node1", 1, 10000));
  EXPECT_FALSE(renew_lease(c, tenant, "node2", 1, 10000));
  EXPECT_FALSE(renew_lease(c, tenant, "node1", 2, 10000));
  EXPECT_TRUE(lease_valid(c, tenant, "node1", 1));
  EXPECT_FALSE(lease_valid(c, tenant, "node1", 0));
  EXPECT_FALSE(lease_valid(c, tenant, "node2", 1));

  auto mine = leases_of(c, "node1");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].tenant_id, tenant);
  EXPECT_EQ(mine[0].epoch, 1);
  EXPECT_GT(mine[0].expires_in_ms, 5000);
  EXPECT_LE(mine[0].expires_in_ms, 10000);
  EXPECT_EQ(mine[0].expires_at.size(), 27u);  // 2024-01-01T00:00:00.000000Z
  EXPECT_TRUE(leases_of(c, "node2").empty());

  EXPECT_FALSE(release_lease(c, tenant, "node2", 1));
  EXPECT_TRUE(release_lease(c, tenant, "node1", 1));
  EXPECT_FALSE(release_lease(c, tenant, "node1", 1));
  EXPECT_FALSE(lease_valid(c, tenant, "node1", 1));
  EXPECT_FALSE(renew_lease(c, tenant, "node1", 1, 10000));
  // Released: another node takes it at once, with a higher epoch.
  EXPECT_EQ(acquire_lease(c, tenant, "node2", 10000), 2);
  EXPECT_TRUE(lease_valid(c, tenant, "node2", 2));
  ASSERT_EQ(leases_of(c, "node1").size(), 0u);
  auto row = find_lease(c, tenant);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->node, "node2");
  EXPECT_EQ(row->epoch, 2);
}

TEST_F(lease_store, an_expired_lease_is_taken_over_with_a_new_epoch) {
  auto& c = *conn;
  ASSERT_EQ(acquire_lease(c, tenant, "node1", 200), 1);
  EXPECT_EQ(acquire_lease(c, tenant, "node2", 10000), std::nullopt);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(lease_valid(c, tenant, "node1", 1));
  EXPECT_FALSE(renew_lease(c, tenant, "node1", 1, 10000));  // too late: stop the tenant
  EXPECT_EQ(acquire_lease(c, tenant, "node2", 200), 2);
  EXPECT_FALSE(lease_valid(c, tenant, "node1", 1));
  EXPECT_TRUE(lease_valid(c, tenant, "node2", 2));
  // Even the same node re-taking its own lapsed lease gets a new epoch: it had to stop.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(acquire_lease(c, tenant, "node2", 10000), 3);
  EXPECT_FALSE(lease_valid(c, tenant, "node2", 2));
  EXPECT_TRUE(lease_valid(c, tenant, "node2", 3));
}

TEST_F(lease_store, two_nodes_racing_for_one_tenant_never_both_win) {
  std::vector<std::string> tenants;
  for (int i = 0; i < 20; ++i) tenants.push_back(new_tenant());
  for (const auto& t : tenants) {
    pqxx::connection a{db->url()};
    pqxx::connection b{db->url()};
    std::atomic<int> ready{0};
    std::optional<int64_t> ra, rb;
    auto race = [&](pqxx::connection& c, const char* node, std::optional<int64_t>& out) {
      ++ready;
      while (ready.load() < 2) {
      }
      out = acquire_lease(c, t, node, 10000);
    };
    std::thread ta{race, std::ref(a), "node1", std::ref(ra)};
    std::thread tb{race, std::ref(b), "node2", std::ref(rb)};
    ta.join();
    tb.join();
    EXPECT_NE(ra.has_value(), rb.has_value()) << t;
    EXPECT_EQ(ra.value_or(0) + rb.value_or(0), 1) << t;
    auto row = find_lease(*conn, t);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->node, ra ? "node1" : "node2");
  }
}

TEST_F(lease_store, a_writer_fences_with_its_epoch_and_holds_off_a_takeover_until_commit) {
  auto& c = *conn;
  db->exec("CREATE TABLE fenced_writes (tenant_id uuid, node text, epoch bigint)");
  auto write = [&](pqxx::connection& conn, const std::string& node, int64_t epoch) {
    pqxx::work tx{conn};
    if (!lease_valid(tx, tenant, node, epoch)) return false;
    tx.exec_params("INSERT INTO fenced_writes VALUES ($1, $2, $3)", tenant, node, epoch);
    tx.commit();
    return true;
  };
  ASSERT_EQ(acquire_lease(c, tenant, "node1", 300), 1);
  EXPECT_TRUE(write(c, "node1", 1));

  // node1 checks its lease, then stalls past the expiry inside its transaction; node2's
  // takeover must wait for that transaction instead of overlapping with it.
  pqxx::connection other{db->url()};
  pqxx::work tx{c};
  ASSERT_TRUE(lease_valid(tx, tenant, "node1", 1));
  std::atomic<bool> taken{false};
  std::optional<int64_t> epoch2;
  std::thread taker{[&] {
    std::this_thread::sleep_for(400ms);  // the lease has expired by now
    epoch2 = acquire_lease(other, tenant, "node2", 10000);
    taken = true;
  }};
  std::this_thread::sleep_for(800ms);
  EXPECT_FALSE(taken.load()) << "takeover overlapped a fenced write";
  tx.exec_params("INSERT INTO fenced_writes VALUES ($1, 'node1', 1)", tenant);
  tx.commit();
  taker.join();
  EXPECT_EQ(epoch2, 2);
  // From now on node1's stale epoch writes nothing.
  EXPECT_FALSE(write(c, "node1", 1));
  EXPECT_TRUE(write(c, "node2", 2));
  EXPECT_EQ(db->scalar("SELECT count(*) FROM fenced_writes WHERE node = 'node1'"), "2");
  EXPECT_EQ(db->scalar("SELECT count(*) FROM fenced_writes WHERE node = 'node2'"), "1");
}

TEST_F(lease_store, bad_ids_are_no_lease_and_unknown_tenants_are_refused) {
  auto& c = *conn;
  EXPECT_EQ(acquire_lease(c, "not-a-uuid", "node1", 1000), std::nullopt);
  EXPECT_FALSE(renew_lease(c, "not-a-uuid", "node1", 1, 1000));
  EXPECT_FALSE(release_lease(c, "not-a-uuid", "node1", 1));
  EXPECT_FALSE(lease_valid(c, "not-a-uuid", "node1", 1));
  EXPECT_FALSE(find_lease(c, "not-a-uuid"));
  EXPECT_THROW(acquire_lease(c, "00000000-0000-0000-0000-000000000000", "node1", 1000),
               pqxx::foreign_key_violation);
  // Deleting the tenant deletes its lease.
  ASSERT_EQ(acquire_lease(c, tenant, "node1", 10000), 1);
  as_platform("DELETE FROM tenants WHERE id = '" + tenant + "'");
  EXPECT_TRUE(leases_of(c, "node1").empty());
}

TEST_F(lease_store, take_lease_names_the_previous_holder) {
  auto& c = *conn;
  auto first = take_lease(c, tenant, "node1", 10000);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->previous_node, "");
  ASSERT_TRUE(release_lease(c, tenant, "node1", first->epoch));
  auto second = take_lease(c, tenant, "node2", 10000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->epoch, first->epoch + 1);
  EXPECT_EQ(second->previous_node, "node1");
}

TEST_F(lease_store, renew_leases_extends_only_the_listed_live_leases_of_the_node) {
  auto& c = *conn;
  auto other = new_tenant();
  auto lapsed = new_tenant();
  ASSERT_TRUE(acquire_lease(c, tenant, "node1", 300));
  ASSERT_TRUE(acquire_lease(c, other, "node1", 300));
  ASSERT_TRUE(acquire_lease(c, lapsed, "node1", 1));
  std::this_thread::sleep_for(20ms);
  auto renewed = renew_leases(c, "node1", {tenant, lapsed, "not-a-uuid"}, 10000);
  ASSERT_EQ(renewed.size(), 1u);  // `other` was not listed, `lapsed` had expired
  EXPECT_EQ(renewed[0].first, tenant);
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(lease_valid(c, tenant, "node1", 1));
  EXPECT_FALSE(lease_valid(c, other, "node1", 1));
  EXPECT_EQ(renew_leases(c, "node2", {tenant}, 10000).size(), 0u);
}

TEST_F(lease_store, release_all_leases_hands_back_every_live_lease_of_a_node) {
  auto& c = *conn;
  auto other = new_tenant();
  ASSERT_TRUE(acquire_lease(c, tenant, "node1", 10000));
  ASSERT_TRUE(acquire_lease(c, other, "node2", 10000));
  EXPECT_EQ(release_all_leases(c, "node1"), 1);
  EXPECT_EQ(acquire_lease(c, tenant, "node3", 10000), 2);  // at once, no expiry to wait for
  EXPECT_TRUE(lease_valid(c, other, "node2", 1));
}

TEST_F(lease_store, a_reply_is_stored_only_under_the_live_epoch) {
  auto& c = *conn;
  auto [conversation, inbound] = one_unanswered("p1", "1650", "wamid.1");
  ASSERT_EQ(acquire_lease(c, tenant, "node1", 10000), 1);
  ASSERT_TRUE(release_lease(c, tenant, "node1", 1));
  ASSERT_EQ(acquire_lease(c, tenant, "node2", 10000), 2);

  reply_plan plan;
  plan.tenant_id = tenant;
  plan.conversation_id = conversation;
  plan.inbound_ids = {std::stoll(inbound)};
  plan.idempotency_key = inbound;
  plan.bubbles = {"¡Hola!"};
  plan.lease_node = "node1";  // the old holder, still running by its own view
  plan.lease_epoch = 1;
  auto stale = store_reply(c, plan);
  EXPECT_TRUE(stale.fenced);
  EXPECT_TRUE(stale.to_send.empty());
  auto count = [&](const std::string& where) {
    return as_platform("SELECT count(*) FROM messages WHERE " + where);
  };
  EXPECT_EQ(count("direction = 'out'"), "0");
  EXPECT_EQ(count("direction = 'in' AND status = 'received'"), "1");

  plan.lease_node = "node2";
  plan.lease_epoch = 2;
  auto fresh = store_reply(c, plan);
  EXPECT_FALSE(fresh.fenced);
  EXPECT_EQ(fresh.to_send.size(), 1u);
  EXPECT_EQ(count("direction = 'out'"), "1");
  EXPECT_EQ(count("direction = 'in' AND status = 'processed'"), "1");

  // The same store again (a retry after a lost answer): nothing new, the pending bubble back.
  auto retried = store_reply(c, plan);
  EXPECT_TRUE(retried.answered_already);
  EXPECT_EQ(retried.to_send.size(), 1u);
  // The message again in another turn (it reached the conversation by a second route):
  // no second answer.
  plan.idempotency_key = "another-turn";
  plan.bubbles = {"¡Hola otra vez!"};
  auto twice = store_reply(c, plan);
  EXPECT_TRUE(twice.answered_already);
  EXPECT_TRUE(twice.to_send.empty());
  EXPECT_EQ(count("direction = 'out'"), "1");
  EXPECT_EQ(as_platform("SELECT customer_turns FROM conversations"), "1");
}

TEST_F(lease_store, one_batch_answers_a_message_named_by_two_turns_once) {
  auto& c = *conn;
  auto [conversation, inbound] = one_unanswered("p2", "1651", "wamid.2");
  // The same message reached the conversation by two routes; both turns land in one batch of
  // the reply writer, as if stored one after the other.
  std::vector<reply_plan> plans(2);
  for (int i = 0; i < 2; ++i) {
    plans[i].tenant_id = tenant;
    plans[i].conversation_id = conversation;
    plans[i].inbound_ids = {std::stoll(inbound)};
    plans[i].idempotency_key = inbound + (i ? "-again" : "");
    plans[i].bubbles = {"¡Hola!"};
  }
  auto out = store_replies(c, plans.data(), plans.size());
  EXPECT_FALSE(out[0].answered_already);
  EXPECT_EQ(out[0].to_send.size(), 1u);
  EXPECT_TRUE(out[1].answered_already);
  EXPECT_TRUE(out[1].to_send.empty());
  EXPECT_EQ(as_platform("SELECT count(*) FROM messages WHERE direction = 'out'"), "1");
  EXPECT_EQ(
      as_platform("SELECT customer_turns FROM conversations WHERE id = '" + conversation + "'"),
      "1");
}
