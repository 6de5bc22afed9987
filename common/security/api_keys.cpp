#include "common/security/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/codec.hpp"

namespace parley::common::security {
namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr uint64_t kLogN = 12;
constexpr uint64_t kN = uint64_t{1} << kLogN;
constexpr uint64_t kR = 8;
constexpr uint64_t kP = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Bounds for parameters read back from storage: today's values with room to raise them later,
// but nothing that lets a corrupted row allocate gigabytes or spin for minutes.
constexpr uint64_t kMaxN = uint64_t{1} << 20;
constexpr uint64_t kMaxR = 32;
constexpr uint64_t kMaxP = 16;
constexpr uint64_t kMaxMem = uint64_t{256} << 20;

std::string_view as_text(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

const unsigned char* as_bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Plain decimal only: from_chars would also accept a leading '-' for signed types.
std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 19 || s[0] < '0' || s[0] > '9') return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool scrypt(std::string_view key, const unsigned char* salt, std::size_t salt_len, uint64_t n,
            uint64_t r, uint64_t p, unsigned char* out, std::size_t out_len) {
  static const char empty = 0;
  return EVP_PBE_scrypt(key.empty() ? &empty : key.data(), key.size(), salt, salt_len, n, r, p,
                        kMaxMem, out, out_len) == 1;
}

}  // namespace

std::string generate_api_key() {
  std::string key(kApiKeyPrefix);
  key.reserve(kApiKeyLength);
  // Rejection sampling: 248 = 4 * 62, so bytes below it map uniformly onto base62.
  std::array<unsigned char, 64> buf{};
  while (key.size() < kApiKeyLength) {
    if (RAND_bytes(buf.data(), int(buf.size())) != 1) {
      OPENSSL_cleanse(buf.data(), buf.size());
      OPENSSL_cleanse(key.data(), key.size());
      return {};
    }
    for (unsigned char b : buf) {
      if (b >= 248) continue;
      key += kBase62[b % 62];
      if (key.size() == kApiKeyLength) break;
    }
  }
  OPENSSL_cleanse(buf.data(), buf.size());
  return key;
}

bool looks_like_api_key(std::string_view key) {
  if (key.size() != kApiKeyLength || key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix)
    return false;
  for (char c : key.substr(kApiKeyPrefix.size()))
    if (!is_base62(c)) return false;
  return true;
}

std::string key_prefix(std::string_view key) {
  return std::string(key.substr(0, kApiKeyLookupLength));
}

std::string hash_api_key(std::string_view key) {
  if (key.empty()) return {};
  std::array<unsigned char, kSaltBytes> salt{};
  std::array<unsigned char, kHashBytes> hash{};
  if (RAND_bytes(salt.data(), int(salt.size())) != 1 ||
      !scrypt(key, salt.data(), salt.size(), kN, kR, kP, hash.data(), hash.size()))
    return {};
  std::string out = "scrypt$" + std::to_string(kN) + "$" + std::to_string(kR) + "$" +
                    std::to_string(kP) + "$" +
                    common::base64_encode(as_text(salt.data(), salt.size())) + "$" +
                    common::base64_encode(as_text(hash.data(), hash.size()));
  OPENSSL_cleanse(hash.data(), hash.size());
  return out;
}

bool verify_api_key(std::string_view key, std::string_view stored) {
  // Checking the shape first also keeps junk input from costing a hash.
  if (!looks_like_api_key(key)) return false;
  std::array<std::string_view, 6> parts;
  std::size_t count = 0;
  for (;;) {
    if (count == parts.size()) return false;  // a seventh field
    auto dollar = stored.find('$');
    parts[count++] = stored.substr(0, dollar);
    if (dollar == std::string_view::npos) break;
    stored.remove_prefix(dollar + 1);
  }
  if (count != parts.size() || parts[0] != "scrypt") return false;
  auto n = parse_u64(parts[1]);
  auto r = parse_u64(parts[2]);
  auto p = parse_u64(parts[3]);
  if (!n || !r || !p) return false;
  if (*n < 2 || *n > kMaxN || (*n & (*n - 1)) != 0 || *r < 1 || *r > kMaxR || *p < 1 ||
      *p > kMaxP || 128 * *r * *n > kMaxMem)
    return false;
  auto salt = common::base64_decode_strict(parts[4]);
  auto want = common::base64_decode_strict(parts[5]);
  if (!salt || !want || salt->size() < 8 || salt->size() > 64 || want->size() < 16 ||
      want->size() > 64)
    return false;
  std::vector<unsigned char> got(want->size());
  bool ok = scrypt(key, as_bytes(*salt), salt->size(), *n, *r, *p, got.data(), got.size()) &&
            CRYPTO_memcmp(got.data(), want->data(), got.size()) == 0;
  OPENSSL_cleanse(got.data(), got.size());
  return ok;
}

std::string random_token(std::size_t bytes) {
  if (bytes == 0 || bytes > (std::size_t{1} << 20)) return {};
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), int(raw.size())) != 1) return {};
  auto out = common::hex_encode(raw.data(), raw.size());
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

}  // namespace parley::common::security
