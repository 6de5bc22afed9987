#pragma once
// Strict standard base64 (RFC 4648, "+/", padded) for values parley writes itself and reads
// back: sealed secrets, API-key hashes. Decoding refuses anything base64_encode would not have
// produced (wrong length, stray characters, non-zero leftover bits), because a value that was
// not written by us is corruption and must not be "repaired". Thread-safe, no state.
// (io/signature.hpp's base64_decode is the lenient one, for digests written by others.)
#include <optional>
#include <string>
#include <string_view>

namespace parley::io::security {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> base64_decode_strict(std::string_view text);

}  // namespace parley::io::security
