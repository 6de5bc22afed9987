// The node's own rows and the readiness probe (see node_store.hpp). Runs on pool threads.
#include "persistence/node_store.hpp"

#include <pqxx/pqxx>

namespace parley::persistence {

void register_node(pqxx::connection& c, const std::string& name, int pid,
                   const std::string& http_url) {
  pqxx::work tx{c};
  tx.exec_params(
      "INSERT INTO parley_nodes (name, pid, http_url) VALUES ($1, $2, $3) "
      "ON CONFLICT (name) DO UPDATE SET started_at = now(), last_seen = now(), "
      "pid = EXCLUDED.pid, http_url = EXCLUDED.http_url",
      name, pid, http_url);
  tx.commit();
}

void ping(pqxx::connection& c) {
  pqxx::nontransaction{c}.exec("SELECT 1");
}

}  // namespace parley::persistence
