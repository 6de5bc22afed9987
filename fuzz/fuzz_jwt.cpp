// Access tokens from clients: the kid lookup and the verifier take any bytes; nothing but a
// token signed with the key verifies (the fuzzer cannot forge HMAC-SHA256, so a success here
// is a bug).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/security/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto kid = parley::common::security::jwt_key_id(token);
  (void)kid;
  parley::common::security::token_error why = parley::common::security::token_error::none;
  auto claims = parley::common::security::verify_token(
      token, "fuzz-signing-key-0123456789abcdef0123456789", 1700000000, why);
  if (claims) __builtin_trap();
  if (why == parley::common::security::token_error::none) __builtin_trap();
  return 0;
}
