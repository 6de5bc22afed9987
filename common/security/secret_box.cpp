#include "common/security/secret_box.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/codec.hpp"

namespace parley::common::security {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;
// EVP update calls take int lengths; secrets are tiny, so a generous cap keeps the casts safe.
constexpr std::size_t kMaxPlaintext = std::size_t{1} << 30;
// Anything larger than a few hundred bytes is not a key file; don't read an arbitrary file.
constexpr std::size_t kMaxKeyFile = 4096;

struct ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, ctx_free>;

// Wipes a string holding key material or plaintext when it goes out of scope.
struct wipe_on_exit {
  std::string& s;
  ~wipe_on_exit() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

const unsigned char* bytes(std::string_view s) {
  static const unsigned char empty = 0;
  return s.empty() ? &empty : reinterpret_cast<const unsigned char*>(s.data());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits "v1:<id>:<b64>" without allocating; false when the shape is wrong.
bool split_sealed(std::string_view s, std::string_view& id, std::string_view& b64) {
  if (s.size() < kVersion.size() + 1 || s.substr(0, kVersion.size()) != kVersion ||
      s[kVersion.size()] != ':')
    return false;
  s.remove_prefix(kVersion.size() + 1);
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  id = s.substr(0, colon);
  b64 = s.substr(colon + 1);
  return !b64.empty();
}

std::optional<std::string> read_key_file(const std::string& path, std::string& error) {
  // Check the opened descriptor, not the path, so the file checked is the file read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    error = "cannot open key file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_fd{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = "cannot stat key file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "key file " + path + " is not a regular file";
    return std::nullopt;
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    error = "key file " + path + " has mode " + mode +
            ": group/others may read it; run chmod 600 (or 400) on it";
    return std::nullopt;
  }
  std::string data;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      OPENSSL_cleanse(buf, sizeof buf);
      OPENSSL_cleanse(data.data(), data.size());
      error = "cannot read key file " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    if (data.size() + std::size_t(n) > kMaxKeyFile) {
      OPENSSL_cleanse(buf, sizeof buf);
      OPENSSL_cleanse(data.data(), data.size());
      error = "key file " + path + " is too large to be a key";
      return std::nullopt;
    }
    data.append(buf, std::size_t(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return data;
}

}  // namespace

std::optional<secret_box::key_bytes> secret_box::parse_key(std::string_view text) {
  key_bytes key{};
  // Raw first: a binary key may well start or end with bytes that look like whitespace. But 32
  // printable characters are text, not random bytes (odds ~1e-14 for a real key): a password, or
  // `openssl rand -hex 16` / base64 of 24 bytes without newline, all far weaker than 256 bits.
  if (text.size() == key.size()) {
    bool all_text = true;
    for (char c : text) all_text = all_text && ((c >= 0x20 && c < 0x7f) || is_space(c));
    if (all_text) return std::nullopt;
    std::memcpy(key.data(), text.data(), key.size());
    return key;
  }
  std::string_view t = trim(text);
  if (t.size() == key.size() * 2) {
    bool ok = true;
    for (std::size_t i = 0; i < key.size() && ok; ++i) {
      int hi = hex_value(t[2 * i]);
      int lo = hex_value(t[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      key[i] = uint8_t(ok ? hi << 4 | lo : 0);
    }
    if (ok) return key;
  }
  // `openssl rand -base64 32` pads; tolerate an unpadded copy as well.
  std::string padded(t);
  wipe_on_exit wipe_padded{padded};
  if (padded.size() % 4 == 3) padded += "=";
  if (padded.size() % 4 == 2) padded += "==";
  if (auto raw = common::base64_decode_strict(padded)) {
    wipe_on_exit wipe_raw{*raw};
    if (raw->size() == key.size()) {
      std::memcpy(key.data(), raw->data(), key.size());
      return key;
    }
  }
  OPENSSL_cleanse(key.data(), key.size());
  return std::nullopt;
}

std::string secret_box::key_id_for(const key_bytes& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr) != 1 || len < 4)
    return {};
  return common::hex_encode(md, 4);
}

std::optional<secret_box> secret_box::from_key_file(const std::string& path, std::string& error) {
  return from_key_files({path}, error);
}

std::optional<secret_box> secret_box::from_key_files(const std::vector<std::string>& paths,
                                                     std::string& error) {
  if (paths.empty()) {
    error = "no master key file given";
    return std::nullopt;
  }
  std::vector<key_bytes> keys;
  for (const auto& path : paths) {
    auto data = read_key_file(path, error);
    if (!data) return std::nullopt;
    wipe_on_exit wipe{*data};
    auto key = parse_key(*data);
    if (!key) {
      error = "key file " + path +
              " must hold 32 raw bytes, 64 hex digits or the base64 of 32 bytes (e.g. `openssl "
              "rand -base64 32`)";
      return std::nullopt;
    }
    keys.push_back(*key);
    OPENSSL_cleanse(key->data(), key->size());
  }
  auto box = from_keys(keys);
  for (auto& k : keys) OPENSSL_cleanse(k.data(), k.size());
  return box;
}

secret_box::secret_box(std::vector<std::pair<std::string, key_bytes>> keys) {
  for (auto& [id, key] : keys) {
    if (!id.empty() && id.find(':') == std::string::npos) keys_.push_back(entry{id, key});
    OPENSSL_cleanse(key.data(), key.size());
  }
}

secret_box secret_box::from_keys(const std::vector<key_bytes>& keys) {
  std::vector<std::pair<std::string, key_bytes>> with_ids;
  with_ids.reserve(keys.size());
  for (const auto& k : keys) with_ids.emplace_back(key_id_for(k), k);
  return secret_box(std::move(with_ids));
}

secret_box::~secret_box() {
  for (auto& e : keys_) OPENSSL_cleanse(e.key.data(), e.key.size());
}

std::string secret_box::seal(std::string_view plaintext, std::string_view associated_data) const {
  if (keys_.empty() || plaintext.size() > kMaxPlaintext || associated_data.size() > kMaxPlaintext)
    return {};
  const entry& k = keys_.front();
  std::string blob(kNonce + plaintext.size() + kTag, '\0');
  auto* out = reinterpret_cast<unsigned char*>(blob.data());
  if (RAND_bytes(out, int(kNonce)) != 1) return {};

  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(kNonce), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, k.key.data(), out) != 1)
    return {};
  if (!associated_data.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(associated_data),
                        int(associated_data.size())) != 1)
    return {};
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out + kNonce, &len, bytes(plaintext), int(plaintext.size())) !=
        1)
      return {};
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out + kNonce + total, &len) != 1) return {};
  total += len;
  if (std::size_t(total) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kTag), out + kNonce + total) != 1)
    return {};

  std::string sealed;
  sealed.reserve(kVersion.size() + k.id.size() + 2 + (blob.size() + 2) / 3 * 4);
  sealed.append(kVersion).append(":").append(k.id).append(":").append(common::base64_encode(blob));
  return sealed;
}

std::optional<std::string> secret_box::open(std::string_view sealed,
                                            std::string_view associated_data) const {
  std::string_view id;
  std::string_view b64;
  if (!split_sealed(sealed, id, b64) || associated_data.size() > kMaxPlaintext) return std::nullopt;
  auto blob = common::base64_decode_strict(b64);
  if (!blob || blob->size() < kNonce + kTag || blob->size() - kNonce - kTag > kMaxPlaintext)
    return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(blob->data());
  const std::size_t ct_len = blob->size() - kNonce - kTag;
  // GCM_SET_TAG wants a writable buffer.
  std::array<unsigned char, kTag> tag{};
  std::memcpy(tag.data(), in + kNonce + ct_len, kTag);

  // Ids are 32 bits, so two keys of one box may collide: try every key carrying the id.
  for (const entry& k : keys_) {
    if (k.id != id) continue;
    std::string plain(ct_len, '\0');
    wipe_on_exit wipe{plain};
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int total = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(kNonce), nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, k.key.data(), in) != 1)
      continue;
    if (!associated_data.empty() &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(associated_data),
                          int(associated_data.size())) != 1)
      continue;
    if (ct_len > 0) {
      if (EVP_DecryptUpdate(ctx.get(), out, &len, in + kNonce, int(ct_len)) != 1) continue;
      total = len;
    }
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kTag), tag.data()) != 1) continue;
    // Final is where GCM checks the tag; before it, `plain` is unauthenticated and is wiped.
    if (EVP_DecryptFinal_ex(ctx.get(), out + total, &len) != 1) continue;
    total += len;
    if (std::size_t(total) != ct_len) continue;
    // A copy, so `wipe` still clears every byte of the buffer it guards.
    return std::optional<std::string>{std::in_place, plain};
  }
  return std::nullopt;
}

bool secret_box::is_sealed(std::string_view value) const {
  std::string_view id;
  std::string_view b64;
  if (!split_sealed(value, id, b64)) return false;
  auto blob = common::base64_decode_strict(b64);
  return blob && blob->size() >= kNonce + kTag;
}

std::string secret_box::current_key_id() const {
  return keys_.empty() ? "" : keys_.front().id;
}

}  // namespace parley::common::security
