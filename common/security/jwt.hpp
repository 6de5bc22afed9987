#pragma once
// Tenant access tokens: HS256 JWTs issued and verified with libjwt 1.10.
//
// Claims: tenantId, permissions (JSON array of strings), role, origin (omitted when empty), iat,
// exp, jti, iss = "parley"; the signing key's id travels in the "kid" header so keys can rotate
// (the caller picks the key by kid, e.g. with jwt_key_id(), and passes it to verify_token).
// Verification accepts HS256 only: the header's alg is checked before libjwt sees the token, so
// "none" and algorithm-substitution tokens fail even if the library would accept them.
//
// Used by the HTTP API (issuing tokens after an API-key exchange, authenticating requests).
// All functions are thread-safe (each call owns its libjwt object) and never throw.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::common::security {

inline constexpr std::string_view kTokenIssuer = "parley";

struct token_claims {
  std::string tenant_id;
  std::vector<std::string> permissions;
  std::string role;
  std::string origin;
  int64_t issued_at = 0;   // seconds since the epoch
  int64_t expires_at = 0;  // seconds since the epoch
  std::string key_id;      // "kid" header; omitted when empty
  std::string token_id;    // "jti"; issue_token generates 128 random bits when empty
};

enum class token_error { none, malformed, bad_signature, expired, wrong_algorithm, missing_claims };

[[nodiscard]] std::string_view to_string(token_error e);

/// A signed compact JWT, or "" when the signing key or tenant id is empty, a string is not valid
/// UTF-8 (the JSON library refuses it), or libjwt fails. Keys shorter than 32 bytes work but
/// weaken HS256; generate them with random_token(32) or `openssl rand`.
[[nodiscard]] std::string issue_token(const token_claims& claims, std::string_view signing_key);

/// The token's "kid" header without verifying anything (to pick the verification key), or
/// nullopt when there is none or the token is malformed.
[[nodiscard]] std::optional<std::string> jwt_key_id(std::string_view token);

/// The claims of a token signed with HS256 under `signing_key` whose exp is still in the future
/// (now < exp + leeway_s), or nullopt with `why` set:
///   malformed        not three base64url parts, header/payload not JSON objects, a claim of
///                    the wrong type, embedded NUL, or longer than 8 KiB
///   wrong_algorithm  header alg is anything but "HS256" ("none", HS512, RS256, ...)
///   bad_signature    signature does not verify under signing_key (or the key is empty)
///   missing_claims   tenantId (non-empty), exp or iss = "parley" absent (judged only once
///                    the signature verified)
///   expired          now >= exp + leeway_s
/// `why` is none on success.
[[nodiscard]] std::optional<token_claims> verify_token(std::string_view token,
                                                       std::string_view signing_key, int64_t now,
                                                       token_error& why, int64_t leeway_s = 0);

}  // namespace parley::common::security
