#pragma once
// Tenants' allowed browser origins, in memory for CORS checks on every request. Filled at start
// and whenever a tenant is created, updated or deleted. Thread-safe.
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

namespace parley::edge {

class origin_directory {
 public:
  void set(const std::string& tenant_id, std::vector<std::string> origins);
  void remove(const std::string& tenant_id);
  [[nodiscard]] bool allowed(const std::string& tenant_id, const std::string& origin) const;
  /// Some tenant allows it (preflights carry no credentials, so this is all we can check).
  [[nodiscard]] bool allowed_anywhere(const std::string& origin) const;

 private:
  mutable std::shared_mutex mtx_;
  std::map<std::string, std::vector<std::string>> by_tenant_;
};

}  // namespace parley::edge
