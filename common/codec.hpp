#pragma once
// The byte and text encodings parley reads and writes: hex, base64 (strict, lenient, url) and
// JSON string escaping. One implementation each; pure functions, no state, any thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::common {

/// Lower-case hex of `bytes`.
[[nodiscard]] std::string hex_encode(std::string_view bytes);
[[nodiscard]] std::string hex_encode(const unsigned char* data, std::size_t size);
/// Bytes of an even-length hex string (either case); nullopt on anything else.
[[nodiscard]] std::optional<std::string> hex_decode(std::string_view hex);
/// Exactly `size` bytes from 2 * `size` hex digits into `out`, without allocating; false (and
/// `out` unspecified) on any other length or a non-hex digit.
[[nodiscard]] bool hex_decode(std::string_view hex, unsigned char* out, std::size_t size);

/// Standard base64 (RFC 4648, "+/", padded).
[[nodiscard]] std::string base64_encode(std::string_view bytes);
/// Strict standard base64, padded, zero leftover bits: for values parley wrote itself (sealed
/// secrets, API-key hashes), where anything else is corruption and must not be "repaired".
[[nodiscard]] std::optional<std::string> base64_decode_strict(std::string_view text);
/// Lenient base64 for values written by others (Meta's media digests): "+/" or "-_", padding
/// optional.
[[nodiscard]] std::optional<std::string> base64_decode_lenient(std::string_view text);
/// RFC 7515 base64url without padding (JWT parts); nothing else accepted.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);
/// True for the 64 characters of the base64url alphabet.
[[nodiscard]] bool is_base64url_char(char c);

/// Appends `s` to `out` escaped for the inside of a JSON string (quotes, backslash, control
/// characters; UTF-8 passes through as it is).
void json_escape(std::string& out, std::string_view s);

}  // namespace parley::common
