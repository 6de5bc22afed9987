#include "edge/origin_directory.hpp"

#include <algorithm>
#include <mutex>

namespace parley::edge {

void origin_directory::set(const std::string& tenant_id, std::vector<std::string> origins) {
  std::unique_lock<std::shared_mutex> g{mtx_};
  by_tenant_[tenant_id] = std::move(origins);
}

void origin_directory::remove(const std::string& tenant_id) {
  std::unique_lock<std::shared_mutex> g{mtx_};
  by_tenant_.erase(tenant_id);
}

bool origin_directory::allowed(const std::string& tenant_id, const std::string& origin) const {
  std::shared_lock<std::shared_mutex> g{mtx_};
  auto it = by_tenant_.find(tenant_id);
  return it != by_tenant_.end() &&
         std::find(it->second.begin(), it->second.end(), origin) != it->second.end();
}

bool origin_directory::allowed_anywhere(const std::string& origin) const {
  std::shared_lock<std::shared_mutex> g{mtx_};
  for (const auto& [id, list] : by_tenant_)
    if (std::find(list.begin(), list.end(), origin) != list.end()) return true;
  return false;
}

}  // namespace parley::edge
