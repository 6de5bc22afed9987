// Rendezvous hashing for tenant placement (see rendezvous.hpp). Pure; any thread.
#include "logic/rendezvous.hpp"

#include <algorithm>

namespace parley::logic {

namespace {

constexpr uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr uint64_t fnv_prime = 0x100000001b3ULL;

uint64_t fnv1a(uint64_t h, std::string_view s) noexcept {
  for (unsigned char c : s) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

// murmur3 fmix64: a bijection with full avalanche, so XOR-combined inputs stay independent.
uint64_t fmix64(uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

uint64_t stable_hash64(std::string_view s) noexcept {
  return fmix64(fnv1a(fnv_offset, s));
}

uint64_t rendezvous_weight(std::string_view tenant_id, std::string_view node) noexcept {
  // Hashing "node\0tenant" as one string keeps ("ab","c") and ("a","bc") apart.
  auto h = fnv1a(fnv_offset, node);
  h = fnv1a(h, std::string_view{"\0", 1});
  return fmix64(fnv1a(h, tenant_id));
}

std::vector<std::string> ranking(std::string_view tenant_id,
                                 const std::vector<std::string>& nodes_up) {
  std::vector<std::pair<uint64_t, std::string>> scored;
  scored.reserve(nodes_up.size());
  for (const auto& n : nodes_up) scored.emplace_back(rendezvous_weight(tenant_id, n), n);
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  out.reserve(scored.size());
  for (auto& s : scored)
    if (out.empty() || out.back() != s.second) out.push_back(std::move(s.second));
  return out;
}

std::string owner_of(std::string_view tenant_id, const std::vector<std::string>& nodes_up) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& n : nodes_up) {
    auto w = rendezvous_weight(tenant_id, n);
    if (best == nullptr || w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return best == nullptr ? std::string{} : *best;
}

}  // namespace parley::logic
