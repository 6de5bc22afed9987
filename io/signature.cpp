#include "io/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace parley::io {
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
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (unsigned char c : d) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

[[nodiscard]] int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[nodiscard]] bool from_hex(std::string_view hex, digest& out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

[[nodiscard]] int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

bool verify_signature(std::string_view app_secret, std::string_view body, std::string_view header) {
  if (app_secret.empty() || header.substr(0, kPrefix.size()) != kPrefix) return false;
  digest claimed{};
  digest actual{};
  if (!from_hex(header.substr(kPrefix.size()), claimed)) return false;
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

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

bool sha256_matches(std::string_view data, std::string_view expected) {
  digest want{};
  if (!from_hex(expected, want)) {
    auto bytes = base64_decode(expected);
    if (!bytes || bytes->size() != want.size()) return false;
    std::copy(bytes->begin(), bytes->end(), want.begin());
  }
  digest actual{};
  if (!sha256(data, actual)) return false;
  return CRYPTO_memcmp(want.data(), actual.data(), actual.size()) == 0;
}

}  // namespace parley::io
