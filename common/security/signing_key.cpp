#include "common/security/signing_key.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "common/codec.hpp"
#include "common/security/secret_box.hpp"

namespace parley::common::security {

std::string derive_signing_key(const std::string& master_key_file) {
  std::ifstream in{master_key_file, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = secret_box::parse_key(ss.str());
  if (!key) return {};
  // Versioned, so a future derivation for another purpose or scheme gets a different key.
  static constexpr char label[] = "parley/access-token-signing/v1";
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
       reinterpret_cast<const unsigned char*>(label), sizeof label - 1, out, &len);
  return common::hex_encode(out, len);
}

}  // namespace parley::common::security
