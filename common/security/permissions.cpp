#include "common/security/permissions.hpp"

#include <algorithm>
#include <array>

namespace parley::common::security {
namespace {

constexpr std::array<std::string_view, 5> kViewer = {perm::tenants_read, perm::channels_read,
                                                     perm::knowledge_read, perm::conversations_read,
                                                     perm::analytics_read};
constexpr std::array<std::string_view, 2> kAgentExtra = {perm::conversations_reply,
                                                         perm::conversations_handoff};
constexpr std::array<std::string_view, 4> kTenantAdminExtra = {
    perm::credentials_write, perm::channels_write, perm::knowledge_write, perm::audit_read};

constexpr std::array<std::string_view, 12> kAll = {
    perm::tenants_read,          perm::tenants_write,      perm::credentials_write,
    perm::channels_read,         perm::channels_write,     perm::knowledge_read,
    perm::knowledge_write,       perm::conversations_read, perm::conversations_reply,
    perm::conversations_handoff, perm::analytics_read,     perm::audit_read};

template <std::size_t N>
void append(std::vector<std::string>& out, const std::array<std::string_view, N>& perms) {
  for (auto p : perms) out.emplace_back(p);
}

}  // namespace

std::vector<std::string> permissions_for(std::string_view r) {
  std::vector<std::string> out;
  if (r == role::platform_admin) {
    out.emplace_back(perm::all);
    return out;
  }
  // Each role extends the one below it.
  int level = r == role::tenant_admin ? 3 : r == role::agent ? 2 : r == role::viewer ? 1 : 0;
  if (level >= 1) append(out, kViewer);
  if (level >= 2) append(out, kAgentExtra);
  if (level >= 3) append(out, kTenantAdminExtra);
  return out;
}

bool is_known_role(std::string_view r) {
  return r == role::platform_admin || r == role::tenant_admin || r == role::agent ||
         r == role::viewer;
}

bool is_known_permission(std::string_view p) {
  return std::find(kAll.begin(), kAll.end(), p) != kAll.end();
}

bool allows(const std::vector<std::string>& granted, std::string_view needed) {
  if (needed.empty()) return false;
  auto colon = needed.find(':');
  for (const auto& g : granted) {
    if (g == needed || g == perm::all) return true;
    // "<resource>:*" covers every action on that resource, and nothing else.
    if (colon != std::string_view::npos && g.size() == colon + 2 && g.back() == '*' &&
        std::string_view(g).substr(0, colon + 1) == needed.substr(0, colon + 1))
      return true;
  }
  return false;
}

}  // namespace parley::common::security
