#include "actors/media/content_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace parley::media {

namespace {

namespace fs = std::filesystem;

bool is_digest(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string errno_text(const char* what, const std::string& path) {
  return std::string{what} + " " + path + ": " + std::strerror(errno);
}

// A rename is only durable once the directory entry itself reached the disk.
void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string write_all(int fd, std::string_view bytes, const std::string& path) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_text("write", path);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return errno_text("fsync", path);
  return {};
}

}  // namespace

content_store::content_store(std::string data_dir)
    : root_((fs::path{data_dir.empty() ? std::string{"."} : data_dir} / "media").string()) {}

std::string content_store::path_for(const std::string& sha256_hex) const {
  if (!is_digest(sha256_hex)) return {};
  return (fs::path{root_} / sha256_hex.substr(0, 2) / sha256_hex).string();
}

store_result content_store::put(std::string_view bytes, const std::string& sha256_hex) const {
  store_result out;
  auto final_path = path_for(sha256_hex);
  if (final_path.empty()) {
    out.error = "malformed sha256 digest";
    return out;
  }
  auto dir = fs::path{final_path}.parent_path().string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    out.error = "create " + dir + ": " + ec.message();
    return out;
  }
  // Same digest means same content: a complete file (sizes agree) is already what we would write.
  struct stat st {};
  if (::stat(final_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::size_t>(st.st_size) == bytes.size()) {
    out.path = final_path;
    out.existed = true;
    return out;
  }

  static std::atomic<unsigned long> counter{0};
  auto tmp = dir + "/.tmp-" + sha256_hex.substr(0, 16) + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    out.error = errno_text("create", tmp);
    return out;
  }
  auto err = write_all(fd, bytes, tmp);
  if (::close(fd) != 0 && err.empty()) err = errno_text("close", tmp);
  // rename() replaces atomically: a concurrent writer of the same digest wrote the same bytes.
  if (err.empty() && ::rename(tmp.c_str(), final_path.c_str()) != 0)
    err = errno_text("rename", tmp);
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    out.error = std::move(err);
    return out;
  }
  fsync_dir(dir);
  out.path = final_path;
  return out;
}

}  // namespace parley::media
