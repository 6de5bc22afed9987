#include "edge/router.hpp"

#include <memory>

#include "edge/http_errors.hpp"
#include "common/metrics.hpp"

namespace parley::edge {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return parts;
}

}  // namespace

const std::string& path_params::get(const std::string& name) const {
  static const std::string none;
  for (const auto& [k, v] : items_)
    if (k == name) return v;
  return none;
}

void router::add(std::string method, std::string pattern, handler h) {
  route r;
  for (auto part : split_path(pattern)) r.segments.emplace_back(part);
  if (metrics_)
    r.latency = &metrics_->get_histogram("parley_http_request_duration_seconds",
                                         "HTTP request latency by route, in seconds.",
                                         {{"method", method}, {"route", pattern}});
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.fn = std::move(h);
  routes_.push_back(std::move(r));
}

bool router::match(const route& r, const std::vector<std::string_view>& parts, path_params& out) {
  if (r.segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = r.segments[i];
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      if (parts[i].empty()) return false;
      out.add(seg.substr(1, seg.size() - 2), url_decode(parts[i]));
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return true;
}

respond_fn router::instrument(const std::string& method, const std::string& name,
                              const http_request& req, common::histogram* latency,
                              respond_fn respond) const {
  if (!metrics_) return respond;
  auto started = req.received_at;
  auto* reg = metrics_;
  return [reg, method, name, started, latency, respond = std::move(respond)](http_response res) {
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (latency) latency->observe(secs);
    reg->get_counter("parley_http_requests_total", "HTTP requests by route and status.",
                     {{"method", method}, {"route", name}, {"status", std::to_string(res.status)}})
        .inc();
    respond(std::move(res));
  };
}

void router::dispatch(http_request&& req, respond_fn respond) const {
  if (req.method == "OPTIONS" && preflight_) {
    auto done = instrument("OPTIONS", "preflight", req, nullptr, std::move(respond));
    return preflight_(std::move(req), path_params{}, done);
  }
  auto parts = split_path(req.path);
  bool path_known = false;
  for (const auto& r : routes_) {
    path_params params;
    if (!match(r, parts, params)) continue;
    path_known = true;
    if (r.method != req.method && !(req.method == "HEAD" && r.method == "GET")) continue;
    auto done = instrument(r.method, r.pattern, req, r.latency, std::move(respond));
    try {
      r.fn(std::move(req), params, done);
    } catch (const std::exception& e) {
      // A handler that throws before answering must still answer.
      done(internal_error_response(e.what(), r.pattern));
    }
    return;
  }
  auto done = instrument(req.method, "unmatched", req, nullptr, std::move(respond));
  if (path_known)
    done(json_error(405, "method_not_allowed", "method " + req.method + " not allowed here"));
  else
    done(json_error(404, "not_found", "no route for " + req.path));
}

}  // namespace parley::edge
