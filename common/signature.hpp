#pragma once
// Webhook signature checks and digests for the WhatsApp channel.
//
// Meta signs every notification with X-Hub-Signature-256 = HMAC-SHA256(app secret, raw body);
// the webhook route verifies it before trusting a byte of the body. Media downloads are checked
// against the sha256 Meta announces (base64 in webhooks, hex in the media endpoint). Tests and
// benches use sign_body to produce valid notifications. All functions are thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace parley::common {

/// True when header is "sha256=<64 lowercase-or-uppercase hex>" and equals
/// HMAC-SHA256(app_secret, body), compared in constant time. An empty app_secret never verifies:
/// anyone can sign with an empty key, so a misconfigured channel must fail closed.
[[nodiscard]] bool verify_signature(std::string_view app_secret, std::string_view body,
                                    std::string_view header);

/// "sha256=<lowercase hex>" of HMAC-SHA256(app_secret, body) (for tests, benches, notifications).
[[nodiscard]] std::string sign_body(std::string_view app_secret, std::string_view body);

/// Lowercase hex SHA-256 of data.
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// True when SHA-256(data) equals `expected`, given either as 64 hex digits (media endpoint) or
/// as base64 (webhook media objects). Constant time over the digest.
[[nodiscard]] bool sha256_matches(std::string_view data, std::string_view expected);

}  // namespace parley::common
