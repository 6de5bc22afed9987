#pragma once
// A blocking HTTP/1.1 client for tests (one connection per call, or kept alive by a session).
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace parley::test {

struct http_reply {
  int status = 0;  ///< 0 when the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string error;
};

http_reply http_call(const std::string& method, int port, const std::string& target,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     int timeout_ms = 10000);

inline http_reply http_get(int port, const std::string& target) {
  return http_call("GET", port, target);
}

/// Sends raw bytes on a new connection and returns what comes back until close/timeout.
std::string raw_exchange(int port, const std::string& bytes, int timeout_ms = 3000);

}  // namespace parley::test
