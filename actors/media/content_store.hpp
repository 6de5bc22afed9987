#pragma once
// Content-addressed file store for inbound media: <data_dir>/media/<first 2 hex>/<sha256 hex>.
//
// Owned by a media_pipeline; put() runs on the pipeline's worker threads, any thread may call
// it. Files are written atomically (temp file, fsync, rename, fsync of the directory), so a
// crash never leaves a partial file under a final name, and equal content maps to the same
// file: storing it twice is a no-op. Nothing here deletes files (retention is someone else's).
#include <cstddef>
#include <string>
#include <string_view>

namespace parley::media {

struct store_result {
  std::string path;      ///< final path; empty on failure
  std::string error;     ///< empty on success
  bool existed = false;  ///< the content was already stored
};

class content_store {
 public:
  explicit content_store(std::string data_dir);

  /// Stores `bytes` whose SHA-256 is `sha256_hex` (64 lowercase hex digits, computed by the
  /// caller, not re-checked). Never throws.
  [[nodiscard]] store_result put(std::string_view bytes, const std::string& sha256_hex) const;
  /// Where content with this digest lives (whether or not it exists); empty for a malformed
  /// digest, so a digest can never name a path outside the store.
  [[nodiscard]] std::string path_for(const std::string& sha256_hex) const;
  [[nodiscard]] const std::string& root() const { return root_; }

 private:
  std::string root_;  ///< <data_dir>/media
};

}  // namespace parley::media
