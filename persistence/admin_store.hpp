#pragma once
// Statements behind the admin API. Each function runs on a pool thread with the connection it
// is given, in its own transaction, and throws on database errors.
#include <optional>
#include <string>
#include <vector>

#include "persistence/pqxx_fwd.hpp"
#include "persistence/records.hpp"

namespace parley::persistence {

tenant_row create_tenant(pqxx::connection& c, const std::string& name);
std::optional<tenant_row> find_tenant(pqxx::connection& c, const std::string& id);

/// Inserts the channel; nullopt when its phone_number_id is already connected.
std::optional<channel_row> create_channel(pqxx::connection& c, const channel_row& ch);
std::optional<channel_row> find_channel(pqxx::connection& c, const std::string& id);
std::vector<channel_row> all_channels(pqxx::connection& c);

knowledge_row add_knowledge(pqxx::connection& c, const knowledge_row& k);
std::vector<knowledge_row> tenant_knowledge(pqxx::connection& c, const std::string& tenant_id);

std::vector<conversation_row> tenant_conversations(pqxx::connection& c,
                                                   const std::string& tenant_id, int limit);
std::optional<conversation_row> find_conversation(pqxx::connection& c, const std::string& id);
std::vector<message_row> conversation_messages(pqxx::connection& c, const std::string& id,
                                               int limit);

/// True when `s` is a syntactically valid UUID (so lookups never hit a cast error).
bool is_uuid(const std::string& s);

}  // namespace parley::persistence
