// X-Hub-Signature-256 and media digests: the input is split into secret, body and header; the
// check never accepts a header that is not the body's HMAC, and never misbehaves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto a = in.find('\n');
  auto b = a == std::string_view::npos ? a : in.find('\n', a + 1);
  if (b == std::string_view::npos) {
    (void)parley::common::sha256_matches(in, in);
    return 0;
  }
  auto secret = in.substr(0, a);
  auto body = in.substr(a + 1, b - a - 1);
  auto header = in.substr(b + 1);
  bool ok = parley::common::verify_signature(secret, body, header);
  if (ok && !secret.empty()) {
    // Accepted: it must be the signature sign_body computes (hex case aside).
    auto expected = parley::common::sign_body(secret, body);
    std::string lower(header);
    for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    if (lower != expected) __builtin_trap();
  }
  (void)parley::common::sha256_matches(body, header);
  return 0;
}
