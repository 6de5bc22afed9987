#pragma once
// secret_box: authenticated encryption of secrets at rest (tenant WhatsApp access tokens, app
// secrets, webhook verify tokens) under a master key kept outside the database.
//
// Sealed values are text so they fit a `text` column:
//   v1:<key_id>:<base64(nonce 12 bytes | AES-256-GCM ciphertext | tag 16 bytes)>
// key_id is the first 8 hex digits of SHA-256(key): it names the key without revealing it, so a
// box holding several keys (current first, then retired ones) still opens values sealed before a
// rotation. Associated data binds a value to its row (e.g. the channel id): a sealed value copied
// into another row fails to open. A database dump alone therefore reveals no secret.
//
// Used by the persistence/admin layers when storing or loading credentials. All const members are
// thread-safe (no shared mutable state; each call uses its own OpenSSL context). Nothing throws.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::common::security {

class secret_box {
 public:
  using key_bytes = std::array<uint8_t, 32>;

  /// Loads one master key from `path`: 32 raw bytes, or 64 hex digits, or base64 of 32 bytes
  /// (surrounding whitespace ignored for the text forms). Refuses a file that group or others
  /// can access (mode & 077), a non-regular file, one of any other length, and 32 bytes that are
  /// all printable text (a password or a short hex/base64 string, not a random key); on failure
  /// returns nullopt and sets `error` to a message naming the path.
  [[nodiscard]] static std::optional<secret_box> from_key_file(const std::string& path,
                                                               std::string& error);

  /// Like from_key_file for each path; paths[0] becomes the current key, the others only open.
  [[nodiscard]] static std::optional<secret_box> from_key_files(
      const std::vector<std::string>& paths, std::string& error);

  /// Parses one key in any of the key-file encodings (raw 32 bytes, 64 hex, base64 of 32 bytes),
  /// with the same refusal of 32 printable characters.
  [[nodiscard]] static std::optional<key_bytes> parse_key(std::string_view text);

  /// First 8 lowercase hex digits of SHA-256(key).
  [[nodiscard]] static std::string key_id_for(const key_bytes& key);

  /// keys.front() seals; every key opens values carrying its id. Ids must not contain ':'
  /// (such entries are ignored). With no usable key, seal returns "" and open opens nothing.
  explicit secret_box(std::vector<std::pair<std::string, key_bytes>> keys);

  /// Convenience: ids computed with key_id_for.
  [[nodiscard]] static secret_box from_keys(const std::vector<key_bytes>& keys);

  secret_box(const secret_box&) = default;
  secret_box(secret_box&&) noexcept = default;
  secret_box& operator=(const secret_box&) = default;
  secret_box& operator=(secret_box&&) noexcept = default;
  ~secret_box();

  /// Encrypts under the current key with a fresh random nonce. Returns "" only when the box has
  /// no key, the plaintext exceeds 1 GiB, or OpenSSL fails (no randomness): never a weak value.
  [[nodiscard]] std::string seal(std::string_view plaintext,
                                 std::string_view associated_data = {}) const;

  /// The plaintext, or nullopt when the value is malformed, names an unknown key, was tampered
  /// with, or was sealed with different associated data.
  [[nodiscard]] std::optional<std::string> open(std::string_view sealed,
                                                std::string_view associated_data = {}) const;

  /// True when `value` has the sealed syntax (v1, an id, base64 long enough for nonce and tag),
  /// whether or not this box holds its key: lets a migration seal legacy plaintext exactly once.
  [[nodiscard]] bool is_sealed(std::string_view value) const;

  /// Id of the key seal() uses ("" for a box without keys).
  [[nodiscard]] std::string current_key_id() const;

 private:
  struct entry {
    std::string id;
    key_bytes key;
  };
  std::vector<entry> keys_;
};

}  // namespace parley::common::security
