#pragma once
// Roles and permissions of the HTTP API.
//
// A permission is "<resource>:<action>" (e.g. "conversations:reply"). Roles map to fixed sets,
// each including the one below it:
//   viewer         read-only: tenants:read, channels:read, knowledge:read, conversations:read,
//                  analytics:read
//   agent          viewer + conversations:reply, conversations:handoff
//   tenant_admin   agent + credentials:write, channels:write, knowledge:write, audit:read
//   platform_admin "*" (everything, including tenants:write: creating, suspending and deleting
//                  tenants is the operator's job, not a tenant's)
// Grants may use "*" (everything) or "<resource>:*" (every action on one resource). Tenant
// scoping (a tenant_admin of A must not act on B) is the caller's job, via the token's tenantId.
//
// Used when issuing tokens (permissions_for) and by route handlers (allows). Pure functions over
// constant tables: thread-safe, never throw.
#include <string>
#include <string_view>
#include <vector>

namespace parley::common::security {

namespace perm {
inline constexpr std::string_view tenants_read = "tenants:read";
inline constexpr std::string_view tenants_write = "tenants:write";
inline constexpr std::string_view credentials_write = "credentials:write";
inline constexpr std::string_view channels_read = "channels:read";
inline constexpr std::string_view channels_write = "channels:write";
inline constexpr std::string_view knowledge_read = "knowledge:read";
inline constexpr std::string_view knowledge_write = "knowledge:write";
inline constexpr std::string_view conversations_read = "conversations:read";
inline constexpr std::string_view conversations_reply = "conversations:reply";
inline constexpr std::string_view conversations_handoff = "conversations:handoff";
inline constexpr std::string_view analytics_read = "analytics:read";
inline constexpr std::string_view audit_read = "audit:read";
inline constexpr std::string_view all = "*";
}  // namespace perm

namespace role {
inline constexpr std::string_view platform_admin = "platform_admin";
inline constexpr std::string_view tenant_admin = "tenant_admin";
inline constexpr std::string_view agent = "agent";
inline constexpr std::string_view viewer = "viewer";
}  // namespace role

/// The role's permissions (platform_admin: {"*"}); empty for an unknown role (case-sensitive).
[[nodiscard]] std::vector<std::string> permissions_for(std::string_view role);

/// True for the four roles above.
[[nodiscard]] bool is_known_role(std::string_view role);

/// True for a permission in the list above (not for wildcards).
[[nodiscard]] bool is_known_permission(std::string_view permission);

/// True when `granted` holds `needed` exactly, "*", or "<resource>:*" for needed's resource. An
/// empty `needed` is never allowed (a route that forgot to name its permission fails closed).
[[nodiscard]] bool allows(const std::vector<std::string>& granted, std::string_view needed);

}  // namespace parley::common::security
