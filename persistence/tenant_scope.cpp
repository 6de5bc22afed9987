#include "persistence/tenant_scope.hpp"

#include <pqxx/pqxx>

#include "persistence/admin_store.hpp"

namespace parley::persistence {

void set_scope(pqxx::transaction_base& tx, const std::string& tenant_or_platform) {
  // The policies cast the scope to uuid: anything else becomes "" and sees nothing.
  bool valid = tenant_or_platform == platform || is_uuid(tenant_or_platform);
  tx.exec_params("SELECT set_config('parley.tenant_id', $1, true)",
                 valid ? tenant_or_platform : std::string{});
}

}  // namespace parley::persistence
