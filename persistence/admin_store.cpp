#include "persistence/admin_store.hpp"

#include <cctype>
#include <pqxx/pqxx>

namespace parley::persistence {

namespace {

std::string str(const pqxx::field& f) {
  return f.is_null() ? std::string{} : f.c_str();
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

constexpr const char* channel_columns =
    "id, tenant_id, type, phone_number_id, app_secret, verify_token, access_token, "
    "api_base_url, api_version, to_char(created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at";

// ISO-8601 UTC rendering of a timestamptz column.
std::string iso(const std::string& col) {
  return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

}  // namespace

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

tenant_row create_tenant(pqxx::connection& c, const std::string& name) {
  pqxx::work tx{c};
  auto r = tx.exec_params1(
      "INSERT INTO tenants (name) VALUES ($1) RETURNING id, name, " + iso("created_at"), name);
  tx.exec_params(
      "INSERT INTO events (tenant_id, type, data) VALUES ($1, 'tenant.created', "
      "jsonb_build_object('name', $2::text))",
      str(r[0]), name);
  tx.commit();
  return tenant_row{str(r[0]), str(r[1]), str(r[2])};
}

std::optional<tenant_row> find_tenant(pqxx::connection& c, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  pqxx::nontransaction tx{c};
  auto rs =
      tx.exec_params("SELECT id, name, " + iso("created_at") + " FROM tenants WHERE id = $1", id);
  if (rs.empty()) return std::nullopt;
  return tenant_row{str(rs[0][0]), str(rs[0][1]), str(rs[0][2])};
}

std::optional<channel_row> create_channel(pqxx::connection& c, const channel_row& ch) {
  pqxx::work tx{c};
  auto rs = tx.exec_params(
      std::string{"INSERT INTO channels (tenant_id, type, phone_number_id, app_secret, "
                  "verify_token, access_token, api_base_url, api_version) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                  "ON CONFLICT (type, phone_number_id) DO NOTHING RETURNING "} +
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
  pqxx::nontransaction tx{c};
  auto rs =
      tx.exec_params(std::string{"SELECT "} + channel_columns + " FROM channels WHERE id = $1", id);
  if (rs.empty()) return std::nullopt;
  return to_channel(rs[0]);
}

std::vector<channel_row> all_channels(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  std::vector<channel_row> out;
  for (const auto& r : tx.exec(std::string{"SELECT "} + channel_columns + " FROM channels"))
    out.push_back(to_channel(r));
  return out;
}

knowledge_row add_knowledge(pqxx::connection& c, const knowledge_row& k) {
  pqxx::work tx{c};
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
  pqxx::nontransaction tx{c};
  std::vector<knowledge_row> out;
  for (const auto& r : tx.exec_params(
           "SELECT id, kind, title, content FROM knowledge WHERE tenant_id = $1 ORDER BY id",
           tenant_id))
    out.push_back(knowledge_row{r[0].as<int64_t>(), tenant_id, str(r[1]), str(r[2]), str(r[3])});
  return out;
}

std::vector<conversation_row> tenant_conversations(pqxx::connection& c,
                                                   const std::string& tenant_id, int limit) {
  pqxx::nontransaction tx{c};
  std::vector<conversation_row> out;
  for (const auto& r : tx.exec_params(
           "SELECT id, tenant_id, channel_id, customer, customer_name, " + iso("created_at") +
               ", " + iso("last_message_at") + ", " + iso("human_override_until") +
               " FROM conversations WHERE tenant_id = $1 ORDER BY last_message_at DESC LIMIT $2",
           tenant_id, limit))
    out.push_back(conversation_row{str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                                   str(r[6]), str(r[7])});
  return out;
}

std::optional<conversation_row> find_conversation(pqxx::connection& c, const std::string& id) {
  if (!is_uuid(id)) return std::nullopt;
  pqxx::nontransaction tx{c};
  auto rs = tx.exec_params("SELECT id, tenant_id, channel_id, customer, customer_name, " +
                               iso("created_at") + ", " + iso("last_message_at") + ", " +
                               iso("human_override_until") + " FROM conversations WHERE id = $1",
                           id);
  if (rs.empty()) return std::nullopt;
  const auto& r = rs[0];
  return conversation_row{str(r[0]), str(r[1]), str(r[2]), str(r[3]),
                          str(r[4]), str(r[5]), str(r[6]), str(r[7])};
}

std::vector<message_row> conversation_messages(pqxx::connection& c, const std::string& id,
                                               int limit) {
  pqxx::nontransaction tx{c};
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
