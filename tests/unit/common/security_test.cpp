// Tests for io/security: secret_box (sealing secrets at rest), API keys, JWT access tokens,
// and the role/permission matrix. Attack tokens (alg "none", HS512,
// missing claims) are built by hand with OpenSSL so the checks don't depend on libjwt agreeing.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "common/security/api_keys.hpp"
#include "common/security/jwt.hpp"
#include "common/security/permissions.hpp"
#include "common/security/secret_box.hpp"

using namespace parley::common::security;

namespace {

secret_box::key_bytes key_of(uint8_t seed) {
  secret_box::key_bytes k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = uint8_t(seed * 31 + i * 7);
  return k;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64(std::string_view in, bool url) {
  std::string out;
  std::size_t i = 0;
  auto ch = [&](uint32_t v) {
    char c = kB64[v & 63];
    if (url && c == '+') c = '-';
    if (url && c == '/') c = '_';
    out += c;
  };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 |
                 uint32_t(uint8_t(in[i + 2]));
    ch(v >> 18), ch(v >> 12), ch(v >> 6), ch(v);
  }
  std::size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    ch(v >> 18), ch(v >> 12);
    if (rest == 2) ch(v >> 6);
    if (!url) out += rest == 2 ? "=" : "==";
  }
  return out;
}

std::string unb64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
    const char* p = std::strchr(kB64, c);
    if (p == nullptr || c == '\0') return "<bad>";
    acc = acc << 6 | uint32_t(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

// A sealed value with one bit of its decoded blob flipped at `byte`.
std::string flip(const std::string& sealed, std::size_t byte) {
  auto colon = sealed.rfind(':');
  std::string blob = unb64(sealed.substr(colon + 1));
  blob.at(byte) ^= 0x01;
  return sealed.substr(0, colon + 1) + b64(blob, false);
}

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = ::testing::TempDir() + "parley-sec-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    path_ = made ? made : "";
  }
  ~temp_dir() {
    for (const auto& f : files_) ::unlink(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string write(const std::string& name, std::string_view content, mode_t mode) {
    std::string p = path_ + "/" + name;
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out.write(content.data(), std::streamsize(content.size()));
    }
    ::chmod(p.c_str(), mode);
    files_.push_back(p);
    return p;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

}  // namespace

// ---------------------------------------------------------------- secret_box

TEST(secret_box, round_trip_and_format) {
  auto box = secret_box::from_keys({key_of(1)});
  const std::string secret("EAAG-whatsapp-access-token-\xC3\xA9\0tail", 34);
  std::string sealed = box.seal(secret, "channel:42");
  ASSERT_FALSE(sealed.empty());
  EXPECT_EQ(sealed.rfind("v1:" + box.current_key_id() + ":", 0), 0u) << sealed;
  EXPECT_EQ(box.current_key_id().size(), 8u);
  EXPECT_EQ(box.current_key_id(), secret_box::key_id_for(key_of(1)));
  EXPECT_EQ(sealed.find(secret), std::string::npos);
  auto opened = box.open(sealed, "channel:42");
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, secret);
  EXPECT_TRUE(box.is_sealed(sealed));
}

TEST(secret_box, key_id_is_sha256_prefix) {
  // SHA-256 of 32 zero bytes is 66687aad...
  EXPECT_EQ(secret_box::key_id_for(secret_box::key_bytes{}), "66687aad");
}

TEST(secret_box, empty_plaintext_and_nonces_differ) {
  auto box = secret_box::from_keys({key_of(2)});
  std::string a = box.seal("");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(box.open(a).value_or("x"), "");
  EXPECT_NE(box.seal("same"), box.seal("same"));
}

TEST(secret_box, tampering_fails_to_open) {
  auto box = secret_box::from_keys({key_of(3)});
  std::string sealed = box.seal("hello, secret world", "row-1");
  const std::size_t blob_size = 12 + 19 + 16;
  ASSERT_EQ(unb64(sealed.substr(sealed.rfind(':') + 1)).size(), blob_size);
  EXPECT_FALSE(box.open(flip(sealed, 0), "row-1")) << "nonce";
  EXPECT_FALSE(box.open(flip(sealed, 11), "row-1")) << "nonce end";
  EXPECT_FALSE(box.open(flip(sealed, 12), "row-1")) << "ciphertext";
  EXPECT_FALSE(box.open(flip(sealed, 20), "row-1")) << "ciphertext";
  EXPECT_FALSE(box.open(flip(sealed, blob_size - 16), "row-1")) << "tag";
  EXPECT_FALSE(box.open(flip(sealed, blob_size - 1), "row-1")) << "tag end";
  // Truncation and extension.
  auto colon = sealed.rfind(':');
  std::string blob = unb64(sealed.substr(colon + 1));
  EXPECT_FALSE(
      box.open(sealed.substr(0, colon + 1) + b64(blob.substr(0, blob.size() - 1), false), "row-1"));
  EXPECT_FALSE(box.open(sealed.substr(0, colon + 1) + b64(blob + "x", false), "row-1"));
  EXPECT_TRUE(box.open(sealed, "row-1"));
}

TEST(secret_box, wrong_associated_data_fails) {
  auto box = secret_box::from_keys({key_of(4)});
  std::string sealed = box.seal("token", "channel:1");
  EXPECT_FALSE(box.open(sealed, "channel:2"));
  EXPECT_FALSE(box.open(sealed));
  EXPECT_FALSE(box.open(box.seal("token"), "channel:1"));
  EXPECT_TRUE(box.open(box.seal("token")));
}

TEST(secret_box, rotation_keeps_old_values_readable) {
  auto old_box = secret_box::from_keys({key_of(5)});
  std::string sealed_old = old_box.seal("legacy", "ad");
  auto rotated = secret_box::from_keys({key_of(6), key_of(5)});
  EXPECT_NE(rotated.current_key_id(), old_box.current_key_id());
  EXPECT_EQ(rotated.open(sealed_old, "ad").value_or(""), "legacy");
  std::string sealed_new = rotated.seal("fresh", "ad");
  EXPECT_EQ(sealed_new.rfind("v1:" + rotated.current_key_id() + ":", 0), 0u);
  EXPECT_EQ(rotated.open(sealed_new, "ad").value_or(""), "fresh");
  EXPECT_FALSE(old_box.open(sealed_new, "ad"));  // the old box never had the new key
}

TEST(secret_box, unknown_key_id_fails) {
  auto a = secret_box::from_keys({key_of(7)});
  auto b = secret_box::from_keys({key_of(8)});
  std::string sealed = a.seal("x");
  EXPECT_FALSE(b.open(sealed));
  // Relabelling with the other box's id does not help either: the key is wrong.
  std::string relabelled = "v1:" + b.current_key_id() + sealed.substr(3 + 8);
  EXPECT_FALSE(b.open(relabelled));
  EXPECT_FALSE(a.open(relabelled));
}

TEST(secret_box, explicit_ids_and_colliding_ids) {
  // Two keys under the same id: both are tried.
  secret_box box({{"k", key_of(9)}, {"k", key_of(10)}});
  secret_box only_second({{"k", key_of(10)}});
  std::string sealed = only_second.seal("v");
  EXPECT_EQ(box.open(sealed).value_or(""), "v");
  EXPECT_EQ(box.current_key_id(), "k");
  // Ids with ':' cannot appear in the format; such keys are dropped.
  secret_box bad({{"a:b", key_of(1)}});
  EXPECT_EQ(bad.current_key_id(), "");
  EXPECT_EQ(bad.seal("x"), "");
  secret_box none({});
  EXPECT_EQ(none.seal("x"), "");
  EXPECT_FALSE(none.open(sealed));
}

TEST(secret_box, garbage_never_opens_or_crashes) {
  auto box = secret_box::from_keys({key_of(11)});
  std::string id = box.current_key_id();
  for (const std::string& s : std::vector<std::string>{
           std::string(), std::string("v1"), std::string("v1:"), "v1:" + id, "v1:" + id + ":",
           "v1:" + id + ":!!!!", "v1:" + id + ":AAAA", "v1::" + b64(std::string(40, 'a'), false),
           "v2:" + id + ":AAAA", "v1:" + id + ":" + b64(std::string(27, 'a'), false),
           std::string("plaintext-token"), std::string("\0\0\0", 3)}) {
    EXPECT_FALSE(box.open(s)) << s;
  }
  std::mt19937 rng(1);
  std::string sealed = box.seal("payload");
  for (int i = 0; i < 2000; ++i) {
    std::string s = sealed;
    s[rng() % s.size()] = char(rng());
    if (s != sealed) {
      auto r = box.open(s);
      if (r) {
        EXPECT_EQ(*r, "payload");  // e.g. a change the strict decoder maps back
      }
    }
    (void)box.open(sealed.substr(0, rng() % sealed.size()));
  }
}

TEST(secret_box, is_sealed_is_syntactic) {
  auto box = secret_box::from_keys({key_of(12)});
  auto other = secret_box::from_keys({key_of(13)});
  EXPECT_TRUE(box.is_sealed(other.seal("x")));  // unknown key, still sealed: don't seal twice
  EXPECT_FALSE(box.is_sealed("EAAGm0PX4ZCpsBA"));
  EXPECT_FALSE(box.is_sealed("v1:abc:short"));
  EXPECT_FALSE(box.is_sealed("v1:abc:" + b64(std::string(27, 'a'), false)));
  EXPECT_TRUE(box.is_sealed("v1:abc:" + b64(std::string(28, 'a'), false)));
}

TEST(secret_box, key_file_encodings) {
  temp_dir dir;
  auto k = key_of(14);
  std::string raw(reinterpret_cast<const char*>(k.data()), k.size());
  std::string hex;
  for (uint8_t b : k) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02X", b);
    hex += buf;
  }
  auto reference = secret_box::from_keys({k});
  std::string sealed = reference.seal("s");
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"raw", raw},
           {"hex", hex + "\n"},
           {"b64", b64(raw, false) + "\n"},
           {"b64-unpadded", "  " + b64(raw, false).substr(0, 43) + " \n"}}) {
    std::string err;
    std::string path = dir.write(name, content, 0600);
    auto box = secret_box::from_key_file(path, err);
    ASSERT_TRUE(box) << name << ": " << err;
    EXPECT_EQ(box->current_key_id(), reference.current_key_id()) << name;
    EXPECT_EQ(box->open(sealed).value_or(""), "s") << name;
  }
  // 32 raw bytes that end in a newline are still raw (not trimmed to 31).
  std::string raw_nl = raw;
  raw_nl.back() = '\n';
  std::string err;
  auto box = secret_box::from_key_file(dir.write("raw-nl", raw_nl, 0400), err);
  ASSERT_TRUE(box) << err;
  secret_box::key_bytes k2 = k;
  k2.back() = '\n';
  EXPECT_EQ(box->current_key_id(), secret_box::key_id_for(k2));
}

TEST(secret_box, key_file_rejections) {
  temp_dir dir;
  auto k = key_of(15);
  std::string raw(reinterpret_cast<const char*>(k.data()), k.size());
  std::string err;

  EXPECT_FALSE(secret_box::from_key_file(dir.write("short", raw.substr(0, 31), 0600), err));
  EXPECT_NE(err.find("32 raw bytes"), std::string::npos) << err;
  EXPECT_FALSE(secret_box::from_key_file(dir.write("long", raw + "xx", 0600), err));
  EXPECT_FALSE(secret_box::from_key_file(dir.write("hex63", std::string(63, 'a'), 0600), err));
  EXPECT_FALSE(
      secret_box::from_key_file(dir.write("hexbad", std::string(63, 'a') + "g", 0600), err));
  EXPECT_FALSE(
      secret_box::from_key_file(dir.write("b64-24", b64(raw.substr(0, 24), false), 0600), err));
  // 32 printable characters would pass as "32 raw bytes" but are a weak text secret.
  EXPECT_FALSE(secret_box::from_key_file(
      dir.write("password", "correct horse battery staple!!!!", 0600), err));
  EXPECT_FALSE(secret_box::from_key_file(dir.write("hex16", std::string(32, 'f'), 0600), err));
  EXPECT_FALSE(secret_box::parse_key(b64(raw.substr(0, 24), false)));
  EXPECT_FALSE(secret_box::from_key_file(dir.write("empty", "", 0600), err));
  EXPECT_FALSE(secret_box::from_key_file(dir.write("huge", std::string(10000, 'a'), 0600), err));

  err.clear();
  EXPECT_FALSE(secret_box::from_key_file(dir.write("open", raw, 0644), err));
  EXPECT_NE(err.find("0644"), std::string::npos) << err;
  EXPECT_NE(err.find("chmod 600"), std::string::npos) << err;
  EXPECT_FALSE(secret_box::from_key_file(dir.write("group", raw, 0640), err));
  EXPECT_FALSE(secret_box::from_key_file(dir.write("other-w", raw, 0602), err));
  EXPECT_TRUE(secret_box::from_key_file(dir.write("ok", raw, 0600), err)) << err;

  err.clear();
  EXPECT_FALSE(secret_box::from_key_file("/nonexistent/parley.key", err));
  EXPECT_NE(err.find("/nonexistent/parley.key"), std::string::npos) << err;
  EXPECT_FALSE(secret_box::from_key_file(::testing::TempDir(), err));  // a directory
  EXPECT_FALSE(secret_box::from_key_files({}, err));
}

TEST(secret_box, key_files_rotation) {
  temp_dir dir;
  auto k_old = key_of(16);
  auto k_new = key_of(17);
  std::string sealed = secret_box::from_keys({k_old}).seal("rotated");
  std::string err;
  auto box = secret_box::from_key_files(
      {dir.write("new", std::string(reinterpret_cast<const char*>(k_new.data()), 32), 0600),
       dir.write("old", std::string(reinterpret_cast<const char*>(k_old.data()), 32), 0600)},
      err);
  ASSERT_TRUE(box) << err;
  EXPECT_EQ(box->current_key_id(), secret_box::key_id_for(k_new));
  EXPECT_EQ(box->open(sealed).value_or(""), "rotated");
}

// ---------------------------------------------------------------- API keys

TEST(api_keys, format) {
  std::string key = generate_api_key();
  ASSERT_EQ(key.size(), 43u);
  EXPECT_EQ(key.rfind("pk_", 0), 0u);
  for (char c : key.substr(3)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << key;
  EXPECT_TRUE(looks_like_api_key(key));
  EXPECT_EQ(key_prefix(key), key.substr(0, 11));
  EXPECT_EQ(key_prefix("pk_abc"), "pk_abc");
  EXPECT_FALSE(looks_like_api_key(key.substr(0, 42)));
  EXPECT_FALSE(looks_like_api_key(key + "a"));
  EXPECT_FALSE(looks_like_api_key("sk_" + key.substr(3)));
  EXPECT_FALSE(looks_like_api_key(key.substr(0, 42) + "-"));
}

TEST(api_keys, unique_and_uses_whole_alphabet) {
  std::set<std::string> keys;
  std::set<std::string> prefixes;
  std::set<char> chars;
  for (int i = 0; i < 1000; ++i) {
    std::string k = generate_api_key();
    keys.insert(k);
    prefixes.insert(key_prefix(k));
    chars.insert(k.begin() + 3, k.end());
  }
  EXPECT_EQ(keys.size(), 1000u);
  EXPECT_EQ(prefixes.size(), 1000u);
  EXPECT_EQ(chars.size(), 62u);  // 40000 draws: every base62 character shows up
}

TEST(api_keys, hash_and_verify) {
  std::string key = generate_api_key();
  // Informational (not asserted: the machine is shared). The first hash pays OpenSSL's one-time
  // provider/DRBG setup, so it is reported separately.
  auto time_ms = [&] {
    auto t0 = std::chrono::steady_clock::now();
    std::string h = hash_api_key(key);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  double first = time_ms();
  double steady = 0;
  for (int i = 0; i < 5; ++i) steady += time_ms() / 5;
  std::printf("[          ] scrypt N=4096 r=8 p=1: first %.1f ms, then %.1f ms per hash\n", first,
              steady);
  std::string stored = hash_api_key(key);
  ASSERT_EQ(stored.rfind("scrypt$4096$8$1$", 0), 0u) << stored;
  EXPECT_EQ(std::count(stored.begin(), stored.end(), '$'), 5);
  EXPECT_EQ(stored.find(key), std::string::npos);
  EXPECT_NE(hash_api_key(key), stored) << "salted";
  EXPECT_TRUE(verify_api_key(key, stored));

  std::string other = generate_api_key();
  EXPECT_FALSE(verify_api_key(other, stored));
  std::string one_off = key;
  one_off.back() = one_off.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(verify_api_key(one_off, stored));
  EXPECT_FALSE(verify_api_key("", stored));
  EXPECT_EQ(hash_api_key(""), "");
}

TEST(api_keys, tampered_hash_fails) {
  std::string key = generate_api_key();
  std::string stored = hash_api_key(key);
  auto last = stored.rfind('$');
  // Flip one character of the hash and of the salt (keeping valid base64).
  std::string h = stored;
  h[last + 1] = h[last + 1] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_api_key(key, h));
  std::string s = stored;
  auto salt_at = stored.rfind('$', last - 1) + 1;
  s[salt_at] = s[salt_at] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_api_key(key, s));
  // Different (valid) parameters change the hash.
  std::string p = stored;
  p.replace(0, std::string("scrypt$4096").size(), "scrypt$2048");
  EXPECT_FALSE(verify_api_key(key, p));
}

TEST(api_keys, garbage_stored_string_never_crashes) {
  std::string key = generate_api_key();
  std::string stored = hash_api_key(key);
  std::string salt_hash = stored.substr(std::string("scrypt$4096$8$1$").size());
  for (const std::string& s :
       std::vector<std::string>{std::string(),
                                std::string("scrypt"),
                                std::string("scrypt$$$$$"),
                                std::string("bcrypt$4096$8$1$AAAA$AAAA"),
                                "scrypt$4096$8$1$" + salt_hash + "$extra",
                                "scrypt$4096$8$" + salt_hash,
                                "scrypt$-4096$8$1$" + salt_hash,
                                "scrypt$4095$8$1$" + salt_hash,
                                "scrypt$1$8$1$" + salt_hash,
                                "scrypt$0$8$1$" + salt_hash,
                                "scrypt$1073741824$8$1$" + salt_hash,
                                "scrypt$4096$0$1$" + salt_hash,
                                "scrypt$4096$1000000$1$" + salt_hash,
                                "scrypt$4096$8$1000000$" + salt_hash,
                                "scrypt$99999999999999999999999$8$1$" + salt_hash,
                                "scrypt$4096$8$1$!!!!$AAAA",
                                "scrypt$4096$8$1$AAAA$AAAA",
                                "scrypt$4096$8$1$$",
                                "scrypt$ 4096$8$1$" + salt_hash,
                                "scrypt$+4096$8$1$" + salt_hash,
                                std::string("scrypt$4096$8$1$\0\0\0\0$AAAA", 25)}) {
    EXPECT_FALSE(verify_api_key(key, s)) << s;
  }
  std::mt19937 rng(2);
  for (int i = 0; i < 100; ++i) {
    std::string s = stored;
    s[rng() % s.size()] = char(rng() % 128);
    if (s != stored) (void)verify_api_key(key, s);  // may only fail; must not crash
  }
}

TEST(api_keys, random_token) {
  std::string t = random_token(16);
  EXPECT_EQ(t.size(), 32u);
  EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(random_token(16), t);
  EXPECT_EQ(random_token(0), "");
  EXPECT_EQ(random_token(1).size(), 2u);
}

// ---------------------------------------------------------------- JWT

namespace {

constexpr std::string_view kSigningKey = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000;

token_claims sample_claims() {
  token_claims c;
  c.tenant_id = "tenant-7";
  c.permissions = {"conversations:read", "conversations:reply", "with \"quote\" \\ and \xC3\xA9"};
  c.role = "agent";
  c.origin = "https://console.example.com";
  c.issued_at = kNow;
  c.expires_at = kNow + 900;
  c.key_id = "k2024";
  c.token_id = "jti-1";
  return c;
}

std::string hmac_b64url(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return b64(std::string(reinterpret_cast<char*>(out), len), true);
}

// A compact JWT built by hand: header and payload JSON as given, HMAC signature with `md`
// (nullptr: empty signature, as in alg "none").
std::string craft(std::string_view header, std::string_view payload, const EVP_MD* md,
                  std::string_view key = kSigningKey) {
  std::string signing_input = b64(header, true) + "." + b64(payload, true);
  return signing_input + "." + (md ? hmac_b64url(md, key, signing_input) : "");
}

const std::string kPayload = R"({"iss":"parley","tenantId":"t1","exp":)" +
                             std::to_string(kNow + 60) + R"(,"iat":)" + std::to_string(kNow) + "}";

}  // namespace

TEST(jwt, round_trip_claims) {
  token_claims in = sample_claims();
  std::string token = issue_token(in, kSigningKey);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(jwt_key_id(token).value_or(""), "k2024");
  token_error why = token_error::malformed;
  auto out = verify_token(token, kSigningKey, kNow + 10, why);
  ASSERT_TRUE(out) << to_string(why);
  EXPECT_EQ(why, token_error::none);
  EXPECT_EQ(out->tenant_id, in.tenant_id);
  EXPECT_EQ(out->permissions, in.permissions);
  EXPECT_EQ(out->role, in.role);
  EXPECT_EQ(out->origin, in.origin);
  EXPECT_EQ(out->issued_at, in.issued_at);
  EXPECT_EQ(out->expires_at, in.expires_at);
  EXPECT_EQ(out->key_id, in.key_id);
  EXPECT_EQ(out->token_id, in.token_id);

  std::string payload =
      unb64(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  EXPECT_NE(payload.find(R"("iss":"parley")"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("tenantId":"tenant-7")"), std::string::npos) << payload;
}

TEST(jwt, optional_fields_and_generated_jti) {
  token_claims in;
  in.tenant_id = "t";
  in.issued_at = kNow;
  in.expires_at = kNow + 1;
  std::string token = issue_token(in, kSigningKey);
  ASSERT_FALSE(token.empty());
  std::string payload =
      unb64(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  EXPECT_EQ(payload.find("origin"), std::string::npos) << payload;
  EXPECT_FALSE(jwt_key_id(token));
  token_error why{};
  auto out = verify_token(token, kSigningKey, kNow, why);
  ASSERT_TRUE(out) << to_string(why);
  EXPECT_TRUE(out->permissions.empty());
  EXPECT_EQ(out->origin, "");
  EXPECT_EQ(out->key_id, "");
  EXPECT_EQ(out->token_id.size(), 32u);
  EXPECT_NE(verify_token(issue_token(in, kSigningKey), kSigningKey, kNow, why)->token_id,
            out->token_id);
}

TEST(jwt, issue_refuses_bad_input) {
  token_claims c = sample_claims();
  EXPECT_EQ(issue_token(c, ""), "");
  c.tenant_id.clear();
  EXPECT_EQ(issue_token(c, kSigningKey), "");
  c = sample_claims();
  c.role = "bad\xFFutf8";
  EXPECT_EQ(issue_token(c, kSigningKey), "");
  c = sample_claims();
  c.permissions.push_back("\xC3");
  EXPECT_EQ(issue_token(c, kSigningKey), "");
  c = sample_claims();
  c.tenant_id = std::string("t\0x", 3);
  EXPECT_EQ(issue_token(c, kSigningKey), "");
}

TEST(jwt, expiry_and_leeway) {
  std::string token = issue_token(sample_claims(), kSigningKey);
  token_error why{};
  EXPECT_TRUE(verify_token(token, kSigningKey, kNow + 899, why));
  EXPECT_FALSE(verify_token(token, kSigningKey, kNow + 900, why));
  EXPECT_EQ(why, token_error::expired);
  EXPECT_FALSE(verify_token(token, kSigningKey, kNow + 100000, why));
  EXPECT_EQ(why, token_error::expired);
  EXPECT_TRUE(verify_token(token, kSigningKey, kNow + 929, why, 30));
  EXPECT_FALSE(verify_token(token, kSigningKey, kNow + 930, why, 30));
  EXPECT_EQ(why, token_error::expired);
  EXPECT_FALSE(verify_token(token, kSigningKey, kNow + 900, why, -5));  // negative leeway = 0
  // exp near INT64_MAX with leeway must not overflow into "expired".
  std::string far =
      craft(R"({"alg":"HS256","typ":"JWT"})",
            R"({"iss":"parley","tenantId":"t","exp":9223372036854775807})", EVP_sha256());
  EXPECT_TRUE(verify_token(far, kSigningKey, kNow, why, 100)) << to_string(why);
}

TEST(jwt, tampered_payload_and_signature) {
  std::string token = issue_token(sample_claims(), kSigningKey);
  auto d1 = token.find('.');
  auto d2 = token.rfind('.');
  std::string payload = unb64(token.substr(d1 + 1, d2 - d1 - 1));
  auto at = payload.find("tenant-7");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 8, "tenant-8");
  std::string forged = token.substr(0, d1 + 1) + b64(payload, true) + token.substr(d2);
  token_error why{};
  EXPECT_FALSE(verify_token(forged, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::bad_signature);

  std::string sig_flip = token;
  sig_flip[d2 + 1] = sig_flip[d2 + 1] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_token(sig_flip, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::bad_signature);
  EXPECT_FALSE(verify_token(token.substr(0, d2 + 1), kSigningKey, kNow, why));  // stripped sig
  EXPECT_EQ(why, token_error::bad_signature);
}

TEST(jwt, wrong_key) {
  std::string token = issue_token(sample_claims(), kSigningKey);
  token_error why{};
  EXPECT_FALSE(verify_token(token, "another-key-another-key-another!!", kNow, why));
  EXPECT_EQ(why, token_error::bad_signature);
  EXPECT_FALSE(verify_token(token, "", kNow, why));
  EXPECT_EQ(why, token_error::bad_signature);
}

TEST(jwt, alg_none_rejected) {
  token_error why{};
  std::string none = craft(R"({"alg":"none"})", kPayload, nullptr);
  ASSERT_EQ(none.back(), '.');
  EXPECT_FALSE(verify_token(none, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
  EXPECT_FALSE(verify_token(craft(R"({"alg":"none","typ":"JWT"})", kPayload, nullptr), kSigningKey,
                            kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
  // Case games and a real-looking signature do not help.
  for (std::string alg : {"None", "NONE", "nOnE", "hs256", ""}) {
    EXPECT_FALSE(verify_token(craft(R"({"alg":")" + alg + R"("})", kPayload, EVP_sha256()),
                              kSigningKey, kNow, why))
        << alg;
    EXPECT_EQ(why, token_error::wrong_algorithm) << alg;
  }
  // No alg at all.
  EXPECT_FALSE(
      verify_token(craft(R"({"typ":"JWT"})", kPayload, EVP_sha256()), kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
  // A real header with alg none in a hand-written "header.payload." (the classic forged token).
  std::string legit = issue_token(sample_claims(), kSigningKey);
  std::string classic = b64(R"({"alg":"none","typ":"JWT"})", true) +
                        legit.substr(legit.find('.'), legit.rfind('.') - legit.find('.') + 1);
  EXPECT_FALSE(verify_token(classic, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
}

TEST(jwt, other_algorithms_rejected) {
  token_error why{};
  // Correctly signed with our key, but HS512/HS384: still refused (algorithm pinning).
  std::string hs512 = craft(R"({"alg":"HS512","typ":"JWT"})", kPayload, EVP_sha512());
  EXPECT_FALSE(verify_token(hs512, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
  std::string hs384 = craft(R"({"alg":"HS384","typ":"JWT"})", kPayload, EVP_sha384());
  EXPECT_FALSE(verify_token(hs384, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
  std::string rs256 = craft(R"({"alg":"RS256","typ":"JWT"})", kPayload, EVP_sha256());
  EXPECT_FALSE(verify_token(rs256, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::wrong_algorithm);
  // The same payload as HS256 is accepted: the crafting helper itself is right.
  std::string hs256 = craft(R"({"alg":"HS256","typ":"JWT"})", kPayload, EVP_sha256());
  EXPECT_TRUE(verify_token(hs256, kSigningKey, kNow, why)) << to_string(why);
  // alg given twice: parsers disagree on which one wins, so the header is refused outright.
  for (const std::string& h :
       std::vector<std::string>{R"({"alg":"HS256","alg":"none","typ":"JWT"})",
                                R"({"alg":"none","alg":"HS256","typ":"JWT"})",
                                R"({"alg":"HS256","alg":"HS256","typ":"JWT"})"}) {
    EXPECT_FALSE(verify_token(craft(h, kPayload, EVP_sha256()), kSigningKey, kNow, why)) << h;
    EXPECT_EQ(why, token_error::malformed) << h;
  }
  // Extensions we do not understand ("crit") make the token invalid (RFC 7515 4.1.11).
  std::string crit =
      craft(R"({"alg":"HS256","typ":"JWT","crit":["b64"],"b64":false})", kPayload, EVP_sha256());
  EXPECT_FALSE(verify_token(crit, kSigningKey, kNow, why));
  EXPECT_EQ(why, token_error::malformed);
}

TEST(jwt, missing_claims_rejected) {
  token_error why{};
  const std::string h = R"({"alg":"HS256","typ":"JWT"})";
  std::string exp = std::to_string(kNow + 60);
  for (const std::string& payload :
       std::vector<std::string>{R"({"iss":"parley","exp":)" + exp + "}",
                                R"({"iss":"parley","tenantId":"","exp":)" + exp + "}",
                                std::string(R"({"iss":"parley","tenantId":"t1"})"),
                                R"({"tenantId":"t1","exp":)" + exp + "}",
                                R"({"iss":"someone-else","tenantId":"t1","exp":)" + exp + "}"}) {
    EXPECT_FALSE(verify_token(craft(h, payload, EVP_sha256()), kSigningKey, kNow, why)) << payload;
    EXPECT_EQ(why, token_error::missing_claims) << payload;
  }
  // Wrong types are malformed, not silently defaulted.
  for (const std::string& payload : std::vector<std::string>{
           R"({"iss":"parley","tenantId":7,"exp":)" + exp + "}",
           R"({"iss":"parley","tenantId":"t1","exp":")" + exp + "\"}",
           R"({"iss":"parley","tenantId":"t1","exp":1.5})",
           R"({"iss":"parley","tenantId":"t1","exp":)" + exp + R"(,"permissions":"a"})",
           R"({"iss":"parley","tenantId":"t1","exp":)" + exp + R"(,"permissions":["a",1]})",
           std::string(R"(["not","an","object"])"), std::string("not json")}) {
    EXPECT_FALSE(verify_token(craft(h, payload, EVP_sha256()), kSigningKey, kNow, why)) << payload;
    EXPECT_EQ(why, token_error::malformed) << payload;
  }
}

TEST(jwt, garbage_never_crashes) {
  token_error why{};
  std::string legit = issue_token(sample_claims(), kSigningKey);
  for (const std::string& s : std::vector<std::string>{
           std::string(), std::string("."), std::string(".."), std::string("..."),
           std::string("a.b.c"), std::string("a.b"), std::string("a.b.c.d"),
           std::string("!!.??.##"), std::string("eyJ.eyJ.sig"), legit + ".", legit + "=",
           "." + legit, std::string(10000, 'a') + ".b.c", std::string("e30.e30.e30"),
           std::string("e30.e30."), legit.substr(0, 10) + std::string(1, '\0') + legit.substr(10),
           std::string("\xFF\xFE.\x01.x")}) {
    EXPECT_FALSE(verify_token(s, kSigningKey, kNow, why)) << s;
    EXPECT_NE(why, token_error::none);
    (void)jwt_key_id(s);
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    std::string s = legit;
    int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits; ++e) s[rng() % s.size()] = char(rng());
    if (s == legit) continue;
    auto r = verify_token(s, kSigningKey, kNow, why);
    // Base64url has slack in its last character: a change there may decode to the same bytes.
    if (r) {
      EXPECT_EQ(r->tenant_id, "tenant-7");
    }
    (void)verify_token(s.substr(0, rng() % s.size()), kSigningKey, kNow, why);
  }
}

// ---------------------------------------------------------------- permissions

TEST(permissions, matrix) {
  struct row {
    std::string_view perm;
    bool platform_admin, tenant_admin, agent, viewer;
  };
  const row rows[] = {
      {perm::tenants_read, true, true, true, true},
      {perm::tenants_write, true, false, false, false},
      {perm::credentials_write, true, true, false, false},
      {perm::channels_read, true, true, true, true},
      {perm::channels_write, true, true, false, false},
      {perm::knowledge_read, true, true, true, true},
      {perm::knowledge_write, true, true, false, false},
      {perm::conversations_read, true, true, true, true},
      {perm::conversations_reply, true, true, true, false},
      {perm::conversations_handoff, true, true, true, false},
      {perm::analytics_read, true, true, true, true},
      {perm::audit_read, true, true, false, false},
  };
  auto pa = permissions_for(role::platform_admin);
  auto ta = permissions_for(role::tenant_admin);
  auto ag = permissions_for(role::agent);
  auto vw = permissions_for(role::viewer);
  EXPECT_EQ(pa, std::vector<std::string>{"*"});
  for (const auto& r : rows) {
    EXPECT_TRUE(is_known_permission(r.perm)) << r.perm;
    EXPECT_EQ(allows(pa, r.perm), r.platform_admin) << r.perm;
    EXPECT_EQ(allows(ta, r.perm), r.tenant_admin) << r.perm;
    EXPECT_EQ(allows(ag, r.perm), r.agent) << r.perm;
    EXPECT_EQ(allows(vw, r.perm), r.viewer) << r.perm;
  }
  // Every granted permission is a known one (no typos in the tables).
  for (const auto& set : {ta, ag, vw})
    for (const auto& p : set) EXPECT_TRUE(is_known_permission(p)) << p;
  EXPECT_TRUE(allows(pa, "anything:at-all"));
}

TEST(permissions, unknown_roles_and_wildcards) {
  EXPECT_TRUE(permissions_for("").empty());
  EXPECT_TRUE(permissions_for("root").empty());
  EXPECT_TRUE(permissions_for("Tenant_Admin").empty());
  EXPECT_TRUE(is_known_role("viewer"));
  EXPECT_FALSE(is_known_role("admin"));
  EXPECT_FALSE(is_known_permission("*"));
  EXPECT_FALSE(is_known_permission("conversations:*"));

  EXPECT_FALSE(allows({}, "tenants:read"));
  EXPECT_FALSE(allows({"*"}, ""));
  EXPECT_TRUE(allows({"conversations:*"}, "conversations:reply"));
  EXPECT_FALSE(allows({"conversations:*"}, "tenants:read"));
  EXPECT_FALSE(allows({"conversations:*"}, "conversationsx:read"));
  EXPECT_FALSE(allows({"conv:*"}, "conversations:read"));
  EXPECT_FALSE(allows({"conversations:read"}, "conversations:*"));
  EXPECT_FALSE(allows({"conversations:read"}, "*"));
  EXPECT_FALSE(allows({"conversations:rea"}, "conversations:read"));
  EXPECT_FALSE(allows({"conversations:read "}, "conversations:read"));
  EXPECT_FALSE(allows({""}, "conversations:read"));
  EXPECT_FALSE(allows({":*"}, "conversations:read"));
  EXPECT_TRUE(allows({"x", "audit:read"}, "audit:read"));
}
