#pragma once
// Row-level security scope of a transaction (see migrations/0003): the tenant it works for, or
// `platform` for the few operations that must see every tenant. Without it, queries see no
// tenant rows at all. Open transactions as scoped_read / scoped_work, which take the scope in
// their constructor, so a store cannot forget it. Include only where <pqxx/pqxx> is used.
#include <pqxx/pqxx>
#include <string>

namespace parley::persistence {

inline const std::string platform = "*";

/// SET LOCAL parley.tenant_id for the rest of the transaction (or savepoint).
void set_scope(pqxx::transaction_base& tx, const std::string& tenant_or_platform);

/// A transaction of type Tx whose first statement sets the scope.
template <class Tx>
class scoped : public Tx {
 public:
  // libpqxx's transactions inherit namedclass virtually: the most derived class constructs it.
  scoped(pqxx::connection& c, const std::string& tenant_or_platform)
      : pqxx::internal::namedclass{"transaction", "scoped"}, Tx{c} {
    set_scope(*this, tenant_or_platform);
  }
};

using scoped_read = scoped<pqxx::read_transaction>;
using scoped_work = scoped<pqxx::work>;

}  // namespace parley::persistence
