#pragma once
// Tenant placement by rendezvous (highest-random-weight) hashing: a tenant belongs to the node
// with the highest weight(tenant, node) among the nodes that are up. When a node leaves, only its
// tenants move; when one joins, about 1/n of the tenants move to it.
//
// Pure functions, callable from any thread. The hash is spelled out here (FNV-1a 64 + murmur3's
// 64-bit finaliser), never std::hash: every node and every build must compute the same owner.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::logic {

/// FNV-1a 64 of `s`, then murmur3's fmix64 so that nearby inputs land far apart.
[[nodiscard]] uint64_t stable_hash64(std::string_view s) noexcept;

/// The weight of `node` for `tenant_id`; the owner is the node with the largest one.
[[nodiscard]] uint64_t rendezvous_weight(std::string_view tenant_id,
                                         std::string_view node) noexcept;

/// The node that owns `tenant_id`, or "" when `nodes_up` is empty. Order of `nodes_up` and
/// duplicates do not matter.
[[nodiscard]] std::string owner_of(std::string_view tenant_id,
                                   const std::vector<std::string>& nodes_up);

/// All of `nodes_up` (deduplicated), best first: element 0 is owner_of(); element 1 takes over
/// when the owner leaves, and so on. Ties (astronomically rare) break by name.
[[nodiscard]] std::vector<std::string> ranking(std::string_view tenant_id,
                                               const std::vector<std::string>& nodes_up);

}  // namespace parley::logic
