#include "persistence/conversation_store.hpp"

#include <pqxx/pqxx>

#include "common/clock.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/sql_text.hpp"
#include "persistence/tenant_scope.hpp"

namespace parley::persistence {

namespace {

constexpr const char* outbound_columns = R"sql(
  m.id, m.tenant_id, m.conversation_id, c.channel_id, c.customer, m.text,
  coalesce(m.reply_to, ''), m.bubble, m.attempts, 0::bigint, coalesce(m.sender, 0)
)sql";
// The acknowledgement time of the answered message (for the e2e latency) is not looked up here:
// a correlated subquery on `messages` with a cast cannot be pushed below the row-level-security
// filter and scanned the whole inbox per row. The conversation actor knows it and fills it in.

constexpr const char* outbound_joins = R"sql(
  FROM messages m
  JOIN conversations c ON c.id = m.conversation_id
)sql";

outbound_item to_outbound(const pqxx::row& r) {
  outbound_item o;
  o.id = r[0].as<int64_t>();
  o.tenant_id = str(r[1]);
  o.conversation_id = str(r[2]);
  o.channel_id = str(r[3]);
  o.to = str(r[4]);
  o.text = str(r[5]);
  o.reply_to = str(r[6]);
  o.bubble = r[7].as<int>();
  o.attempts = r[8].as<int>();
  o.received_ms = r[9].as<int64_t>();
  o.sender = r[10].as<int64_t>();
  return o;
}

stored_message to_stored(const pqxx::row& r) {
  stored_message s;
  s.id = r[0].as<int64_t>();
  s.tenant_id = str(r[1]);
  s.channel_id = str(r[2]);
  s.conversation_id = str(r[3]);
  s.customer = str(r[4]);
  s.type = str(r[5]);
  s.text = str(r[6]);
  s.wamid = str(r[7]);
  s.media = {str(r[8]), str(r[9]), str(r[10]), str(r[11]), r[12].as<bool>()};
  return s;
}

constexpr const char* inbound_select = R"sql(
  SELECT m.id, m.tenant_id, c.channel_id, m.conversation_id, c.customer, m.type, m.text,
         coalesce(m.provider_id, ''), coalesce(m.media_id, ''), coalesce(m.media_mime, ''),
         coalesce(m.media_sha256, ''), coalesce(m.media_filename, ''), m.media_voice
    FROM messages m JOIN conversations c ON c.id = m.conversation_id
   WHERE m.direction = 'in' AND m.status = 'received'
)sql";

}  // namespace

conversation_snapshot load_conversation(pqxx::connection& c, const std::string& tenant_id,
                                        const std::string& conversation_id, int context_size) {
  conversation_snapshot snap;
  scoped_read tx{c, tenant_id};
  auto conv = tx.exec_params(
      "SELECT coalesce((extract(epoch FROM c.human_override_until) * 1000)::bigint, 0), "
      "c.customer_turns, t.handoff_message, t.handoff_hours "
      "FROM conversations c JOIN tenants t ON t.id = c.tenant_id WHERE c.id = $1",
      conversation_id);
  if (conv.empty()) return snap;
  snap.found = true;
  snap.override_until_ms = conv[0][0].as<int64_t>();
  snap.customer_turns = conv[0][1].as<int>();
  snap.handoff_message = str(conv[0][2]);
  snap.handoff_hours = conv[0][3].as<int>();
  auto ctx = tx.exec_params(
      "SELECT direction, text FROM (SELECT id, direction, text FROM messages "
      "WHERE conversation_id = $1 AND (direction = 'out' OR status = 'processed') "
      "ORDER BY id DESC LIMIT $2) t ORDER BY id",
      conversation_id, context_size);
  for (const auto& r : ctx) snap.context.push_back(context_line{str(r[0]), str(r[1])});
  for (const auto& r :
       tx.exec_params(std::string{inbound_select} + " AND m.conversation_id = $1 ORDER BY m.id",
                      conversation_id))
    snap.unprocessed.push_back(to_stored(r));
  return snap;
}

namespace {

// The conversation's tenant when visible in the transaction's scope and locked for it, or "".
std::string lock_conversation(pqxx::work& tx, const std::string& conversation_id) {
  // A text comparison (id::text) could not use the primary key: ids are checked here instead.
  if (!is_uuid(conversation_id)) return {};
  auto rs = tx.exec_params("SELECT tenant_id FROM conversations WHERE id = $1 FOR UPDATE",
                           conversation_id);
  return rs.empty() ? std::string{} : str(rs[0][0]);
}

}  // namespace

std::string handoff(pqxx::connection& c, const std::string& scope,
                    const std::string& conversation_id, int hours, const std::string& actor) {
  scoped_work tx{c, scope};
  auto tenant = lock_conversation(tx, conversation_id);
  if (tenant.empty()) return {};
  auto h =
      hours > 0
          ? hours
          : tx.exec_params1("SELECT handoff_hours FROM tenants WHERE id = $1", tenant)[0].as<int>();
  tx.exec_params(
      "UPDATE conversations SET human_override_until = now() + make_interval(hours => $2) "
      "WHERE id = $1",
      conversation_id, h);
  // A bot answer prepared before the handoff is never sent.
  auto cancelled = tx.exec_params(
      "UPDATE messages SET status = 'cancelled', error = 'handed off to a person' "
      "WHERE conversation_id = $1 AND direction = 'out' AND author = 'bot' AND status = 'pending' "
      "RETURNING id",
      conversation_id);
  tx.exec_params(
      "INSERT INTO events (tenant_id, conversation_id, type, data) VALUES ($1, $2, "
      "'conversation.handoff', jsonb_build_object('actor', $3::text, 'hours', $4::int, "
      "'cancelled', $5::int))",
      tenant, conversation_id, actor, h, static_cast<int>(cancelled.size()));
  tx.commit();
  return tenant;
}

std::string release(pqxx::connection& c, const std::string& scope,
                    const std::string& conversation_id, const std::string& actor) {
  scoped_work tx{c, scope};
  auto tenant = lock_conversation(tx, conversation_id);
  if (tenant.empty()) return {};
  tx.exec_params("UPDATE conversations SET human_override_until = NULL WHERE id = $1",
                 conversation_id);
  tx.exec_params(
      "INSERT INTO events (tenant_id, conversation_id, type, data) VALUES ($1, $2, "
      "'conversation.released', jsonb_build_object('actor', $3::text))",
      tenant, conversation_id, actor);
  tx.commit();
  return tenant;
}

std::vector<outbound_item> human_reply(pqxx::connection& c, const std::string& scope,
                                       const std::string& conversation_id,
                                       const std::vector<std::string>& bubbles,
                                       const std::string& actor) {
  scoped_work tx{c, scope};
  std::vector<outbound_item> out;
  auto tenant = lock_conversation(tx, conversation_id);
  if (tenant.empty()) return out;
  auto key = "human:" + str(tx.exec1("SELECT gen_random_uuid()")[0]);
  for (std::size_t i = 0; i < bubbles.size(); ++i)
    tx.exec_params(
        "INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, "
        "idempotency_key, bubble, author, sender) VALUES ($1, $2, 'out', 'text', $3, 'pending', "
        "$4, $5, 'human', $6)",
        tenant, conversation_id, bubbles[i], key, static_cast<int>(i),
        common::process_incarnation());
  // A person answering keeps the bot away: the lockout is renewed from now.
  tx.exec_params(
      "UPDATE conversations c SET human_override_until = greatest(coalesce(human_override_until, "
      "now()), now() + make_interval(hours => t.handoff_hours)) FROM tenants t "
      "WHERE c.id = $1 AND t.id = c.tenant_id",
      conversation_id);
  tx.exec_params(
      "INSERT INTO events (tenant_id, conversation_id, type, data) VALUES ($1, $2, "
      "'reply.manual', jsonb_build_object('actor', $3::text, 'bubbles', $4::int))",
      tenant, conversation_id, actor, static_cast<int>(bubbles.size()));
  for (const auto& r : tx.exec_params(std::string{"SELECT "} + outbound_columns + outbound_joins +
                                          " WHERE m.tenant_id = $1 AND m.direction = 'out' AND "
                                          "m.idempotency_key = $2 ORDER BY m.bubble",
                                      tenant, key))
    out.push_back(to_outbound(r));
  tx.commit();
  return out;
}

bool claim_bubble(pqxx::connection& c, const std::string& tenant_id, int64_t message_id,
                  int64_t previous, int64_t self) {
  scoped_work tx{c, tenant_id};
  auto r = tx.exec_params(
      "UPDATE messages SET sender = $3 WHERE id = $1 AND direction = 'out' AND "
      "status = 'pending' AND provider_id IS NULL AND coalesce(sender, 0) = $2 RETURNING id",
      message_id, previous, self);
  tx.commit();
  return !r.empty();
}

std::vector<outbound_item> pending_outbox(pqxx::connection& c) {
  scoped_read tx{c, platform};
  std::vector<outbound_item> out;
  for (const auto& r : tx.exec(std::string{"SELECT "} + outbound_columns + outbound_joins +
                               " WHERE m.direction = 'out' AND m.status = 'pending' ORDER BY m.id"))
    out.push_back(to_outbound(r));
  return out;
}

std::vector<outbound_item> pending_outbox_for_tenant(pqxx::connection& c,
                                                     const std::string& tenant_id) {
  scoped_read tx{c, tenant_id};
  std::vector<outbound_item> out;
  for (const auto& r : tx.exec_params(std::string{"SELECT "} + outbound_columns + outbound_joins +
                                          " WHERE m.tenant_id = $1 AND m.direction = 'out' AND "
                                          "m.status = 'pending' ORDER BY m.id",
                                      tenant_id))
    out.push_back(to_outbound(r));
  return out;
}

std::vector<std::string> tenants_with_work(pqxx::connection& c, int64_t older_than_ms) {
  scoped_read tx{c, platform};
  std::vector<std::string> out;
  for (const auto& r :
       tx.exec_params("SELECT DISTINCT tenant_id::text FROM messages "
                      "WHERE ((direction = 'in' AND status = 'received') OR "
                      "       (direction = 'out' AND status = 'pending')) "
                      "AND created_at < now() - $1::double precision * interval '1 millisecond'",
                      static_cast<double>(older_than_ms)))
    out.push_back(r[0].c_str());
  return out;
}

std::vector<stored_message> unprocessed_inbound(pqxx::connection& c) {
  scoped_read tx{c, platform};
  std::vector<stored_message> out;
  for (const auto& r : tx.exec(std::string{inbound_select} + " ORDER BY m.id"))
    out.push_back(to_stored(r));
  return out;
}

std::vector<stored_message> unprocessed_for_tenant(pqxx::connection& c,
                                                   const std::string& tenant_id, int64_t after_id,
                                                   int limit) {
  scoped_read tx{c, tenant_id};
  std::vector<stored_message> out;
  for (const auto& r :
       tx.exec_params(std::string{inbound_select} +
                          " AND m.tenant_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3",
                      tenant_id, after_id, limit))
    out.push_back(to_stored(r));
  return out;
}

void dead_letter_inbound(pqxx::connection& c, const std::string& tenant_id,
                         const std::string& conversation_id, const std::vector<int64_t>& ids,
                         const std::string& error) {
  scoped_work tx{c, tenant_id};
  auto rs = tx.exec_params(
      "UPDATE messages SET status = 'dead', error = $2, processed_at = now() "
      "WHERE id = ANY($1::bigint[]) AND direction = 'in' AND status = 'received' RETURNING id",
      value_array(ids), error);
  for (const auto& r : rs) {
    tx.exec_params(
        "INSERT INTO dead_letters (tenant_id, message_id, kind, error) VALUES ($1, $2, 'inbound', "
        "$3)",
        tenant_id, r[0].as<int64_t>(), error);
  }
  if (!rs.empty())
    tx.exec_params(
        "INSERT INTO events (tenant_id, conversation_id, type, data) VALUES ($1, $2, "
        "'message.dead_lettered', jsonb_build_object('messages', $3::bigint[], 'error', $4::text))",
        tenant_id, conversation_id, value_array(ids), error);
  tx.commit();
}

}  // namespace parley::persistence
