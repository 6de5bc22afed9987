#include "edge/http_types.hpp"

#include "common/json_writer.hpp"

namespace parley::edge {

std::string_view http_request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

std::string http_request::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    auto key = url_decode(part.substr(0, eq));
    if (key == name)
      return eq == std::string_view::npos ? std::string{} : url_decode(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

std::string url_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
      out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

http_response json_error(int status, std::string_view code, std::string_view message) {
  common::json_writer w;
  w.begin_object().key("error").begin_object();
  w.field("code", code).field("message", message);
  w.end_object().end_object();
  return http_response{status, "application/json", w.take(), {}};
}

http_response json_ok(int status, std::string body) {
  return http_response{status, "application/json", std::move(body), {}};
}

}  // namespace parley::edge
