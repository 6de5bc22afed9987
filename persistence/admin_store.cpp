#include "persistence/admin_store.hpp"

#include <cctype>
#include <pqxx/pqxx>
#include <sstream>

#include "persistence/sql_text.hpp"
#include "persistence/tenant_scope.hpp"

namespace parley::persistence {

namespace {

// Origins travel as one newline-separated text (they are validated never to contain one).
std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + v[i];
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in{s};
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

const std::string tenant_columns =
    "id, name, " + iso("created_at") + ", status, " + iso("updated_at") +
    ", array_to_string(allowed_origins, E'\\n'), messages_per_minute, api_requests_per_minute, "
    "llm_tokens_per_day, max_active_conversations, handoff_message, handoff_hours, "
    "coalesce(notify_url, ''), coalesce(notify_secret, '')";

tenant_row to_tenant(const pqxx::row& r) {
  tenant_row t;
  t.id = str(r[0]);
  t.name = str(r[1]);
  t.created_at = str(r[2]);
  t.status = str(r[3]);
  t.updated_at = str(r[4]);
  auto& s = t.settings;
  s.name = t.name;
  s.allowed_origins = split_lines(str(r[5]));
  s.messages_per_minute = r[6].as<int>();
  s.api_requests_per_minute = r[7].as<int>();
  s.llm_tokens_per_day = r[8].as<int64_t>();
  s.max_active_conversations = r[9].as<int>();
  s.handoff_message = str(r[10]);
  s.handoff_hours = r[11].as<int>();
  s.notify_url = str(r[12]);
  s.notify_secret = str(r[13]);
  return t;
}

channel_row to_channel(const pqxx::row& r) {
  channel_row ch;
  ch.id = str(r["id"]);
  ch.tenant_id = str(r["tenant_id"]);
  ch.type = str(r["type"]);
  ch.phone_number_id = str(r["phone_number_id"]);
  ch.app_secret = str(r["app_secret"]);
  ch.verify_token = str(r["verify_token"]);
  ch.access_token = str(r["access_token"]);
  ch.api_base_url = str(r["api_base_url"]);
  ch.api_version = str(r["api_version"]);
  ch.created_at = str(r["created_at"]);
  return ch;
}

const std::string channel_columns =
    "c.id, c.tenant_id, c.type, c.phone_number_id, c.app_secret, c.verify_token, "
    "c.access_token, c.api_base_url, c.api_version, " +
    iso("c.created_at") + " AS created_at";

}  // namespace

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

tenant_row create_tenant(pqxx::connection& c, const tenant_settings& s) {
  scoped_work tx{c, platform};  // the tenant does not exist yet
  auto r = tx.exec_params1(
      "INSERT INTO tenants (name, allowed_origins, messages_per_minute, api_requests_per_minute, "
      "llm_tokens_per_day, max_active_conversations, handoff_hours, notify_url, notify_secret) "
      "VALUES ($1, coalesce(string_to_array(NULLIF($2, ''), E'\\n'), '{}'), $3, $4, $5, $6, $7, "
      "NULLIF($8, ''), "
      "NULLIF($9, '')) RETURNING id",
      s.name, join_lines(s.allowed_origins), s.messages_per_minute, s.api_requests_per_minute,
      s.llm_tokens_per_day, s.max_active_conversations, s.handoff_hours, s.notify_url,
      s.notify_secret);
  auto id = str(r[0]);
  if (!s.handoff_message.empty())
    tx.exec_params("UPDATE tenants SET handoff_message = $2 WHERE id = $1", id, s.handoff_message);
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'tenant.created', "
      "jsonb_build_object('name', $2::text))",
      id, s.name);
  auto t =
      to_tenant(tx.exec_params1("SELECT " + tenant_columns + " FROM tenants WHERE id = $1", id));
  tx.commit();
  return t;
}

std::optional<tenant_row> find_tenant(pqxx::connection& c, const std::string& scope,
                                      const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  scoped_read tx{c, scope};
  auto rs = tx.exec_params("SELECT " + tenant_columns + " FROM tenants WHERE id = $1", id);
  if (rs.empty()) return std::nullopt;
  return to_tenant(rs[0]);
}

std::vector<tenant_row> all_tenants(pqxx::connection& c, bool include_deleted, int limit) {
  scoped_read tx{c, platform};
  std::vector<tenant_row> out;
  for (const auto& r : tx.exec_params("SELECT " + tenant_columns +
                                          " FROM tenants WHERE $1 OR status = 'active' "
                                          "ORDER BY created_at LIMIT $2",
                                      include_deleted, limit))
    out.push_back(to_tenant(r));
  return out;
}

std::optional<tenant_row> update_tenant(pqxx::connection& c, const std::string& id,
                                        const tenant_settings& s) {
  if (!is_uuid(id)) return std::nullopt;
  scoped_work tx{c, id};
  auto rs = tx.exec_params(
      "UPDATE tenants SET name = $2, allowed_origins = coalesce(string_to_array(NULLIF($3, ''), "
      "E'\\n'), '{}'), "
      "messages_per_minute = $4, api_requests_per_minute = $5, llm_tokens_per_day = $6, "
      "max_active_conversations = $7, handoff_message = coalesce(NULLIF($8, ''), handoff_message), "
      "handoff_hours = $9, notify_url = NULLIF($10, ''), "
      "notify_secret = coalesce(NULLIF($11, ''), notify_secret), updated_at = now() "
      "WHERE id = $1 AND status = 'active' RETURNING " +
          tenant_columns,
      id, s.name, join_lines(s.allowed_origins), s.messages_per_minute, s.api_requests_per_minute,
      s.llm_tokens_per_day, s.max_active_conversations, s.handoff_message, s.handoff_hours,
      s.notify_url, s.notify_secret);
  if (rs.empty()) return std::nullopt;
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'tenant.updated', "
      "jsonb_build_object('name', $2::text))",
      id, s.name);
  auto t = to_tenant(rs[0]);
  tx.commit();
  return t;
}

bool soft_delete_tenant(pqxx::connection& c, const std::string& id) {
  if (!is_uuid(id)) return false;
  scoped_work tx{c, id};
  auto rs = tx.exec_params(
      "UPDATE tenants SET status = 'deleted', deleted_at = now(), updated_at = now() "
      "WHERE id = $1 AND status = 'active' RETURNING id",
      id);
  if (rs.empty()) return false;
  tx.exec_params("INSERT INTO events (tenant_id, type) VALUES ($1, 'tenant.deleted')", id);
  tx.commit();
  return true;
}

bool purge_tenant(pqxx::connection& c, const std::string& id) {
  if (!is_uuid(id)) return false;
  scoped_work tx{c, platform};
  auto rs = tx.exec_params("DELETE FROM tenants WHERE id = $1 RETURNING id", id);
  if (rs.empty()) return false;
  // The hot tables carry no foreign keys (migration 0008): their rows go explicitly.
  for (const char* table :
       {"events", "dead_letters", "message_statuses", "webhook_payloads", "conversations"})
    tx.exec_params(std::string{"DELETE FROM "} + table + " WHERE tenant_id = $1", id);
  for (const char* direction : {"in", "out"})  // each through its partial index
    tx.exec_params("DELETE FROM messages WHERE tenant_id = $1 AND direction = $2", id, direction);
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES (NULL, 'tenant.purged', "
      "jsonb_build_object('tenant_id', $1::text))",
      id);
  tx.commit();
  return true;
}

std::optional<channel_row> create_channel(pqxx::connection& c, const channel_row& ch) {
  scoped_work tx{c, ch.tenant_id};
  auto rs = tx.exec_params(
      "INSERT INTO channels AS c (tenant_id, type, phone_number_id, app_secret, verify_token, "
      "access_token, api_base_url, api_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (type, phone_number_id) DO NOTHING RETURNING " +
          channel_columns,
      ch.tenant_id, ch.type, ch.phone_number_id, ch.app_secret, ch.verify_token, ch.access_token,
      ch.api_base_url, ch.api_version);
  if (rs.empty()) return std::nullopt;
  auto out = to_channel(rs[0]);
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'channel.created', "
      "jsonb_build_object('channel_id', $2::text, 'phone_number_id', $3::text))",
      out.tenant_id, out.id, out.phone_number_id);
  tx.commit();
  return out;
}

std::optional<channel_row> find_channel(pqxx::connection& c, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  scoped_read tx{c, platform};
  auto rs = tx.exec_params("SELECT " + channel_columns +
                               " FROM channels c JOIN tenants t ON t.id = c.tenant_id "
                               "WHERE c.id = $1 AND t.status = 'active'",
                           id);
  if (rs.empty()) return std::nullopt;
  return to_channel(rs[0]);
}

std::vector<channel_row> all_channels(pqxx::connection& c) {
  scoped_read tx{c, platform};
  std::vector<channel_row> out;
  for (const auto& r : tx.exec("SELECT " + channel_columns +
                               " FROM channels c JOIN tenants t ON t.id = c.tenant_id "
                               "WHERE t.status = 'active'"))
    out.push_back(to_channel(r));
  return out;
}

void update_channel_secrets(pqxx::connection& c, const channel_row& ch) {
  scoped_work tx{c, ch.tenant_id};
  tx.exec_params(
      "UPDATE channels SET app_secret = $2, verify_token = $3, access_token = $4 WHERE id = $1",
      ch.id, ch.app_secret, ch.verify_token, ch.access_token);
  tx.commit();
}

knowledge_row add_knowledge(pqxx::connection& c, const knowledge_row& k) {
  scoped_work tx{c, k.tenant_id};
  auto r = tx.exec_params1(
      "INSERT INTO knowledge (tenant_id, kind, title, content) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      k.tenant_id, k.kind, k.title, k.content);
  tx.commit();
  auto out = k;
  out.id = r[0].as<int64_t>();
  return out;
}

std::vector<knowledge_row> tenant_knowledge(pqxx::connection& c, const std::string& tenant_id) {
  scoped_read tx{c, tenant_id};
  std::vector<knowledge_row> out;
  for (const auto& r : tx.exec_params(
           "SELECT id, kind, title, content FROM knowledge WHERE tenant_id = $1 ORDER BY id",
           tenant_id))
    out.push_back(knowledge_row{r[0].as<int64_t>(), tenant_id, str(r[1]), str(r[2]), str(r[3])});
  return out;
}

namespace {
const std::string conversation_columns = "id, tenant_id, channel_id, customer, customer_name, " +
                                         iso("created_at") + ", " + iso("last_message_at") + ", " +
                                         iso("human_override_until");

conversation_row to_conversation(const pqxx::row& r) {
  return conversation_row{str(r[0]), str(r[1]), str(r[2]), str(r[3]),
                          str(r[4]), str(r[5]), str(r[6]), str(r[7])};
}
}  // namespace

std::vector<conversation_row> tenant_conversations(pqxx::connection& c,
                                                   const std::string& tenant_id, int limit) {
  scoped_read tx{c, tenant_id};
  std::vector<conversation_row> out;
  for (const auto& r : tx.exec_params("SELECT " + conversation_columns +
                                          " FROM conversations WHERE tenant_id = $1 "
                                          "ORDER BY last_message_at DESC LIMIT $2",
                                      tenant_id, limit))
    out.push_back(to_conversation(r));
  return out;
}

std::optional<conversation_row> find_conversation(pqxx::connection& c, const std::string& scope,
                                                  const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  scoped_read tx{c, scope};
  auto rs =
      tx.exec_params("SELECT " + conversation_columns + " FROM conversations WHERE id = $1", id);
  if (rs.empty()) return std::nullopt;
  return to_conversation(rs[0]);
}

std::vector<message_row> conversation_messages(pqxx::connection& c, const std::string& scope,
                                               const std::string& id, int limit) {
  scoped_read tx{c, scope};
  std::vector<message_row> out;
  for (const auto& r : tx.exec_params(
           "SELECT id, conversation_id, direction, type, text, status, provider_id, bubble, "
           "attempts, error, " +
               iso("created_at") + ", " + iso("processed_at") + ", " + iso("sent_at") + ", " +
               iso("delivered_at") + ", " + iso("read_at") + ", " + iso("failed_at") +
               " FROM messages WHERE conversation_id = $1 ORDER BY id LIMIT $2",
           id, limit)) {
    message_row m;
    m.id = r[0].as<int64_t>();
    m.conversation_id = str(r[1]);
    m.direction = str(r[2]);
    m.type = str(r[3]);
    m.text = str(r[4]);
    m.status = str(r[5]);
    m.provider_id = str(r[6]);
    m.bubble = r[7].as<int>();
    m.attempts = r[8].as<int>();
    m.error = str(r[9]);
    m.created_at = str(r[10]);
    m.processed_at = str(r[11]);
    m.sent_at = str(r[12]);
    m.delivered_at = str(r[13]);
    m.read_at = str(r[14]);
    m.failed_at = str(r[15]);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace parley::persistence
