#pragma once
// Statements for the media_files table (migration 0004): what the media pipeline made of each
// inbound media message. Called by the tenant's media actor on a pool thread with the
// connection it is given, each in its own transaction scoped to the record's tenant (row-level
// security, migration 0003); throws on database errors.
#include <cstdint>
#include <optional>
#include <string>

#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct media_record {
  int64_t id = 0;  ///< set by find_media
  std::string tenant_id;
  int64_t message_id = 0;
  std::string media_id;
  std::string sha256;  ///< hex; empty when nothing was stored
  std::string mime_type;
  int64_t size_bytes = 0;
  std::string path;  ///< empty when nothing was stored
  std::string description;
  std::string extracted_text;
  std::string status = "stored";  ///< "stored" or "failed"
  std::string error;
  std::string created_at;  ///< ISO-8601 UTC, set by find_media
};

/// Inserts, or on a second attempt for the same (tenant_id, message_id) overwrites every field
/// but id and created_at: a retried download replaces a failure. Empty sha256, path,
/// extracted_text and error are stored as NULL.
void record_media(pqxx::connection& c, const media_record& m);

/// nullopt when the tenant id is not a UUID or nothing was recorded for the message.
std::optional<media_record> find_media(pqxx::connection& c, const std::string& tenant_id,
                                       int64_t message_id);

}  // namespace parley::persistence
