#pragma once
// Maps method + path pattern ("/v1/tenants/{tenant_id}/channels") to a handler, answers 404
// and 405 itself, and records per-route request counts and latencies.
//
// Built once at startup (not thread-safe while adding), then dispatched from any Asio thread.
#include <string>
#include <utility>
#include <vector>

#include "edge/http_types.hpp"

namespace parley::common {
class metrics_registry;
class counter;
class histogram;
}

namespace parley::edge {


class path_params {
 public:
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  /// The segment bound to {name}, or empty.
  [[nodiscard]] const std::string& get(const std::string& name) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

class router {
 public:
  using handler = std::function<void(http_request&&, const path_params&, respond_fn)>;

  explicit router(common::metrics_registry* metrics = nullptr) : metrics_(metrics) {}

  void add(std::string method, std::string pattern, handler h);
  /// Answers every OPTIONS request (CORS preflight), whatever the path.
  void set_preflight(handler h) { preflight_ = std::move(h); }
  void dispatch(http_request&& req, respond_fn respond) const;

 private:
  struct route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    handler fn;
    common::histogram* latency = nullptr;
  };
  [[nodiscard]] static bool match(const route& r, const std::vector<std::string_view>& parts,
                                  path_params& out);
  respond_fn instrument(const std::string& method, const std::string& name, const http_request& req,
                        common::histogram* latency, respond_fn respond) const;

  common::metrics_registry* metrics_;
  std::vector<route> routes_;
  handler preflight_;
};

}  // namespace parley::edge
