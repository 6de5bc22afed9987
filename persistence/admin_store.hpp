#pragma once
// Statements behind the admin API. Each function runs on a pool thread with the connection it
// is given, in its own transaction scoped to one tenant or to the platform (row-level security,
// see tenant_scope.hpp), and throws on database errors.
#include <optional>
#include <string>
#include <vector>

#include "persistence/pqxx_fwd.hpp"
#include "persistence/records.hpp"

namespace parley::persistence {

tenant_row create_tenant(pqxx::connection& c, const tenant_settings& s);
/// `scope`: the caller's tenant, or `platform`. Deleted tenants are returned too (status).
std::optional<tenant_row> find_tenant(pqxx::connection& c, const std::string& scope,
                                      const std::string& id);
std::vector<tenant_row> all_tenants(pqxx::connection& c, bool include_deleted, int limit);
/// Replaces the settings; nullopt when no such (active) tenant.
std::optional<tenant_row> update_tenant(pqxx::connection& c, const std::string& id,
                                        const tenant_settings& s);
/// Soft delete: the tenant stops receiving (its webhooks get 404). False when not found.
bool soft_delete_tenant(pqxx::connection& c, const std::string& id);
/// Removes the tenant and every row it owns. False when not found.
bool purge_tenant(pqxx::connection& c, const std::string& id);

/// Inserts the channel; nullopt when its phone_number_id is already connected.
std::optional<channel_row> create_channel(pqxx::connection& c, const channel_row& ch);
/// Platform-wide lookups (a webhook names only its channel). Channels of deleted tenants are
/// not returned.
std::optional<channel_row> find_channel(pqxx::connection& c, const std::string& id);
std::vector<channel_row> all_channels(pqxx::connection& c);
/// Rewrites a channel's secrets (sealing plaintext, re-sealing under a new master key).
void update_channel_secrets(pqxx::connection& c, const channel_row& ch);

knowledge_row add_knowledge(pqxx::connection& c, const knowledge_row& k);
std::vector<knowledge_row> tenant_knowledge(pqxx::connection& c, const std::string& tenant_id);

std::vector<conversation_row> tenant_conversations(pqxx::connection& c,
                                                   const std::string& tenant_id, int limit);
std::optional<conversation_row> find_conversation(pqxx::connection& c, const std::string& scope,
                                                  const std::string& id);
std::vector<message_row> conversation_messages(pqxx::connection& c, const std::string& scope,
                                               const std::string& id, int limit);

/// True when `s` is a syntactically valid UUID (so lookups never hit a cast error).
bool is_uuid(const std::string& s);

}  // namespace parley::persistence
