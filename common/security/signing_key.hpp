#pragma once
// The key that signs tenant access tokens (HS256), derived from the master key: every node of a
// cluster reads the same master key file, so they agree on it without a second secret to
// distribute, and rotating the master key rotates it too.
//
// Called once by the node at start, on parleyd's main thread. Nothing throws.
#include <string>

namespace parley::common::security {

/// HMAC-SHA256 of a fixed label under the master key in `master_key_file` (any encoding
/// secret_box::parse_key accepts), as 64 lowercase hex digits; "" when the file holds no key.
/// The file's permissions are not checked here: the node opens it with secret_box first.
[[nodiscard]] std::string derive_signing_key(const std::string& master_key_file);

}  // namespace parley::common::security
