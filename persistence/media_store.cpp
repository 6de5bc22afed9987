#include "persistence/media_store.hpp"

#include <pqxx/pqxx>

#include "persistence/admin_store.hpp"
#include "persistence/sql_text.hpp"
#include "persistence/tenant_scope.hpp"

namespace parley::persistence {

namespace {}  // namespace

void record_media(pqxx::connection& c, const media_record& m) {
  scoped_work tx{c, m.tenant_id};
  tx.exec_params(
      "INSERT INTO media_files (tenant_id, message_id, media_id, sha256, mime_type, size_bytes, "
      "path, description, extracted_text, status, error) "
      "VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, NULLIF($7, ''), $8, NULLIF($9, ''), $10, "
      "NULLIF($11, '')) "
      "ON CONFLICT (tenant_id, message_id) DO UPDATE SET media_id = EXCLUDED.media_id, "
      "sha256 = EXCLUDED.sha256, mime_type = EXCLUDED.mime_type, "
      "size_bytes = EXCLUDED.size_bytes, path = EXCLUDED.path, "
      "description = EXCLUDED.description, extracted_text = EXCLUDED.extracted_text, "
      "status = EXCLUDED.status, error = EXCLUDED.error",
      m.tenant_id, m.message_id, m.media_id, m.sha256, m.mime_type, m.size_bytes, m.path,
      m.description, m.extracted_text, m.status, m.error);
  tx.commit();
}

std::optional<media_record> find_media(pqxx::connection& c, const std::string& tenant_id,
                                       int64_t message_id) {
  if (!is_uuid(tenant_id)) return std::nullopt;
  scoped_read tx{c, tenant_id};
  auto rs = tx.exec_params(
      "SELECT id, tenant_id, message_id, media_id, sha256, mime_type, size_bytes, path, "
      "description, extracted_text, status, error, "
      "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
      "FROM media_files WHERE tenant_id = $1 AND message_id = $2",
      tenant_id, message_id);
  if (rs.empty()) return std::nullopt;
  const auto& r = rs[0];
  media_record m;
  m.id = r[0].as<int64_t>();
  m.tenant_id = str(r[1]);
  m.message_id = r[2].as<int64_t>();
  m.media_id = str(r[3]);
  m.sha256 = str(r[4]);
  m.mime_type = str(r[5]);
  m.size_bytes = r[6].as<int64_t>();
  m.path = str(r[7]);
  m.description = str(r[8]);
  m.extracted_text = str(r[9]);
  m.status = str(r[10]);
  m.error = str(r[11]);
  m.created_at = str(r[12]);
  return m;
}

}  // namespace parley::persistence
