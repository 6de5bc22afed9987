#pragma once
// Tenant API keys and random tokens.
//
// A key is "pk_" + 40 base62 characters drawn without bias from RAND_bytes (40 * log2(62) ≈ 238
// bits). The database stores only key_prefix(key) (the first 11 characters, to find the row) and
// hash_api_key(key): a salted scrypt hash "scrypt$N$r$p$<b64 salt>$<b64 hash>". The key itself is
// shown to the tenant once. Parameters: N=2^12, r=8, p=1 (4 MiB, ~8-15 ms per hash on the 2-core
// dev box); a 238-bit random key cannot be guessed anyway, so the cost only slows an attacker who
// stole the table and tries to test candidate keys. Callers on the request path should cache a
// successful verification (keyed by a SHA-256 of the presented key) and rate-limit failures by
// prefix, or every request costs a hash.
//
// Used by the admin API (issuing keys) and request authentication (verifying them). All
// functions are thread-safe and never throw.
#include <cstddef>
#include <string>
#include <string_view>

namespace parley::common::security {

inline constexpr std::string_view kApiKeyPrefix = "pk_";
inline constexpr std::size_t kApiKeyRandomChars = 40;
inline constexpr std::size_t kApiKeyLength = 3 + kApiKeyRandomChars;
inline constexpr std::size_t kApiKeyLookupLength = 11;  // "pk_" + 8

/// A new key, or "" when the system's random generator fails (never a weak key).
[[nodiscard]] std::string generate_api_key();

/// True when `key` has the exact shape generate_api_key produces ("pk_" + 40 base62).
[[nodiscard]] bool looks_like_api_key(std::string_view key);

/// The first 11 characters ("pk_" + 8), stored in clear to find the key's row; shorter input is
/// returned whole. 8 base62 characters ≈ 47 bits: unique in practice, and revealing nothing
/// useful about the remaining 32 characters.
[[nodiscard]] std::string key_prefix(std::string_view key);

/// "scrypt$4096$8$1$<b64 salt 16 bytes>$<b64 hash 32 bytes>" (standard base64, padded), or ""
/// when `key` is empty or OpenSSL fails.
[[nodiscard]] std::string hash_api_key(std::string_view key);

/// True when `key` is a well-formed API key whose scrypt hash under the stored salt and
/// parameters equals the stored hash (compared with CRYPTO_memcmp). A malformed `stored` string,
/// or one with parameters outside sane bounds (which could make verification eat memory or
/// minutes), is false, never a crash.
[[nodiscard]] bool verify_api_key(std::string_view key, std::string_view stored);

/// `bytes` random bytes from RAND_bytes as lowercase hex (2 * bytes characters), for CSRF/state
/// values, token ids and the like; "" when bytes is 0 or above 1 MiB, or the generator fails.
[[nodiscard]] std::string random_token(std::size_t bytes);

}  // namespace parley::common::security
