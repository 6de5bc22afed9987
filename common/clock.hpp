#pragma once
// Clocks as plain integers, for code that stores or compares times as milliseconds.
#include <chrono>
#include <cstdint>

namespace parley::common {

/// Milliseconds since the Unix epoch (wall clock: what is written to rows and compared with
/// rows' times).
inline int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Seconds since the Unix epoch (token lifetimes, key expiry).
inline int64_t unix_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Milliseconds of the monotonic clock (durations and deadlines inside one process).
inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// This process's incarnation: microseconds since the Unix epoch when it was first asked for,
/// fixed for the life of the process. Tells a node's current process from its previous ones
/// (cluster membership) and marks the bubbles this process will send (their `sender`).
inline int64_t process_incarnation() {
  static const int64_t incarnation = std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
  return incarnation;
}

}  // namespace parley::common
