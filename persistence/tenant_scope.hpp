#pragma once
// Row-level security scope of a transaction (see migrations/0003): the tenant it works for, or
// `platform` for the few operations that must see every tenant. Set first thing in every
// transaction; without it, queries see no tenant rows at all.
#include <string>

namespace pqxx {
class transaction_base;
}

namespace parley::persistence {

inline const std::string platform = "*";

/// SET LOCAL parley.tenant_id for the rest of the transaction (or savepoint).
void set_scope(pqxx::transaction_base& tx, const std::string& tenant_or_platform);

}  // namespace parley::persistence
