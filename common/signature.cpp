#include "common/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "common/codec.hpp"

namespace parley::common {
namespace {

using digest = std::array<unsigned char, 32>;
constexpr std::string_view kPrefix = "sha256=";

// OpenSSL rejects a null key pointer on some paths even with length 0.
const unsigned char* key_bytes(std::string_view key) {
  static const unsigned char empty = 0;
  return key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
}

[[nodiscard]] bool hmac_sha256(std::string_view key, std::string_view body, digest& out) {
  unsigned int len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(body.data());
  const unsigned char* md =
      HMAC(EVP_sha256(), key_bytes(key), static_cast<int>(key.size()),
           body.empty() ? key_bytes({}) : data, body.size(), out.data(), &len);
  return md != nullptr && len == out.size();
}

[[nodiscard]] bool sha256(std::string_view data, digest& out) {
  unsigned int len = 0;
  return EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 &&
         len == out.size();
}

[[nodiscard]] std::string to_hex(const digest& d) {
  return common::hex_encode(d.data(), d.size());
}

}  // namespace

bool verify_signature(std::string_view app_secret, std::string_view body, std::string_view header) {
  if (app_secret.empty() || header.substr(0, kPrefix.size()) != kPrefix) return false;
  digest claimed{};
  digest actual{};
  if (!common::hex_decode(header.substr(kPrefix.size()), claimed.data(), claimed.size()))
    return false;
  if (!hmac_sha256(app_secret, body, actual)) return false;
  return CRYPTO_memcmp(claimed.data(), actual.data(), actual.size()) == 0;
}

std::string sign_body(std::string_view app_secret, std::string_view body) {
  digest d{};
  if (!hmac_sha256(app_secret, body, d)) return {};
  return std::string(kPrefix) + to_hex(d);
}

std::string sha256_hex(std::string_view data) {
  digest d{};
  if (!sha256(data, d)) return {};
  return to_hex(d);
}

bool sha256_matches(std::string_view data, std::string_view expected) {
  digest want{};
  if (!common::hex_decode(expected, want.data(), want.size())) {
    auto bytes = common::base64_decode_lenient(expected);
    if (!bytes || bytes->size() != want.size()) return false;
    std::copy(bytes->begin(), bytes->end(), want.begin());
  }
  digest actual{};
  if (!sha256(data, actual)) return false;
  return CRYPTO_memcmp(want.data(), actual.data(), actual.size()) == 0;
}

}  // namespace parley::common
