// Tests for common/signature: X-Hub-Signature-256 verification and media digests.
// Expected values computed with `printf '%s' BODY | openssl dgst -sha256 -hmac SECRET`.
#include "common/signature.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "common/codec.hpp"

using namespace parley::common;

namespace {

constexpr std::string_view kSecret = "app-secret-123";
constexpr std::string_view kBody = R"({"object":"whatsapp_business_account","entry":[]})";
constexpr std::string_view kHex =
    "20e391a99a86fc5adf7e3a453236d20c906360291977896cf2f671e03bb95703";

std::string header() {
  return "sha256=" + std::string(kHex);
}

}  // namespace

TEST(signature, sign_body_matches_openssl_vector) {
  EXPECT_EQ(sign_body(kSecret, kBody), header());
  EXPECT_EQ(sign_body("k", ""),
            "sha256=8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620");
}

TEST(signature, known_vector_verifies) {
  EXPECT_TRUE(verify_signature(kSecret, kBody, header()));
}

TEST(signature, round_trips_through_sign_body) {
  std::string body = "{\"a\":\"\xC3\xA9\\u00e9\"}\n";
  EXPECT_TRUE(verify_signature("s3cr3t", body, sign_body("s3cr3t", body)));
}

TEST(signature, wrong_secret_fails) {
  EXPECT_FALSE(verify_signature("app-secret-124", kBody, header()));
}

TEST(signature, tampered_body_fails) {
  std::string body(kBody);
  body[body.size() - 2] = ' ';
  EXPECT_FALSE(verify_signature(kSecret, body, header()));
  EXPECT_FALSE(verify_signature(kSecret, std::string(kBody) + " ", header()));
}

TEST(signature, missing_or_wrong_prefix_fails) {
  EXPECT_FALSE(verify_signature(kSecret, kBody, std::string(kHex)));
  EXPECT_FALSE(verify_signature(kSecret, kBody, "sha1=" + std::string(kHex)));
  EXPECT_FALSE(verify_signature(kSecret, kBody, "SHA256=" + std::string(kHex)));
  EXPECT_FALSE(verify_signature(kSecret, kBody, " sha256=" + std::string(kHex)));
}

TEST(signature, bad_hex_fails) {
  std::string h = header();
  h.back() = 'g';
  EXPECT_FALSE(verify_signature(kSecret, kBody, h));
  EXPECT_FALSE(verify_signature(kSecret, kBody, header().substr(0, header().size() - 1)));
  EXPECT_FALSE(verify_signature(kSecret, kBody, header() + "0"));
  EXPECT_FALSE(verify_signature(kSecret, kBody, header() + " "));
  EXPECT_FALSE(verify_signature(kSecret, kBody, "sha256="));
}

TEST(signature, empty_header_fails) {
  EXPECT_FALSE(verify_signature(kSecret, kBody, ""));
}

TEST(signature, empty_secret_never_verifies) {
  EXPECT_FALSE(verify_signature("", kBody, sign_body("", kBody)));
}

TEST(signature, uppercase_hex_accepted) {
  std::string h = header();
  std::transform(h.begin() + 7, h.end(), h.begin() + 7,
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  EXPECT_NE(h, header());
  EXPECT_TRUE(verify_signature(kSecret, kBody, h));
}

TEST(signature, sha256_hex_known_vectors) {
  EXPECT_EQ(sha256_hex("hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(signature, base64_decode_variants) {
  EXPECT_EQ(parley::common::base64_decode_lenient("aGVsbG8="), "hello");
  EXPECT_EQ(parley::common::base64_decode_lenient("aGVsbG8"), "hello");
  EXPECT_EQ(parley::common::base64_decode_lenient(""), "");
  EXPECT_EQ(parley::common::base64_decode_lenient("_-8="), std::string("\xff\xef", 2));
  EXPECT_EQ(parley::common::base64_decode_lenient("/+8="), std::string("\xff\xef", 2));
  EXPECT_FALSE(parley::common::base64_decode_lenient("aGVsb*8=").has_value());
  EXPECT_FALSE(parley::common::base64_decode_lenient("a").has_value());
}

TEST(signature, sha256_matches_hex_or_base64) {
  EXPECT_TRUE(sha256_matches("hello", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="));
  EXPECT_TRUE(sha256_matches("hello", "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"));
  EXPECT_TRUE(
      sha256_matches("hello", "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"));
  EXPECT_FALSE(sha256_matches("hellO", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="));
  EXPECT_FALSE(sha256_matches("hello", "aGVsbG8="));
  EXPECT_FALSE(sha256_matches("hello", ""));
}
