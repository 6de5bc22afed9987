#include "persistence/tenant_scope.hpp"

#include <pqxx/pqxx>

namespace parley::persistence {

void set_scope(pqxx::transaction_base& tx, const std::string& tenant_or_platform) {
  tx.exec_params("SELECT set_config('parley.tenant_id', $1, true)", tenant_or_platform);
}

}  // namespace parley::persistence
