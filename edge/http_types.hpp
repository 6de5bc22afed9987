#pragma once
// Plain request/response values: routes and tests see these, never Beast types, so Beast
// stays inside http_server.cpp and http_client.cpp.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::edge {

struct http_request {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< raw request target: path plus query
  std::string path;    ///< target without the query, not decoded
  std::string query;   ///< after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;                                          ///< raw bytes as received
  std::string remote;                                        ///< peer address
  std::chrono::steady_clock::time_point received_at{};

  /// First header with this (lower-case) name, or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_name) const;
  /// Decoded value of a query parameter, or empty.
  [[nodiscard]] std::string query_param(std::string_view name) const;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Completes a request. Thread-safe; call it exactly once, from any thread.
using respond_fn = std::function<void(http_response)>;
using handler_fn = std::function<void(http_request&&, respond_fn)>;

/// {"error":{"code":code,"message":message}} with the given status.
[[nodiscard]] http_response json_error(int status, std::string_view code, std::string_view message);
[[nodiscard]] http_response json_ok(int status, std::string body);

/// Percent-decoding for query values ('+' as space). Invalid escapes are kept verbatim.
[[nodiscard]] std::string url_decode(std::string_view in);

}  // namespace parley::edge
