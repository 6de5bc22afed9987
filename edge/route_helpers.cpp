#include "edge/route_helpers.hpp"

#include <algorithm>
#include <cctype>

namespace parley::edge {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<common::json_fields> body_or_400(const http_request& req, respond_fn& respond) {
  std::string error;
  auto fields = common::parse_object(req.body, error);
  if (!fields) respond(json_error(400, "invalid_json", error));
  return fields;
}

std::optional<std::string> required(const common::json_fields& f, const std::string& key, std::size_t max,
                                    respond_fn& respond) {
  auto v = f.get(key);
  if (!v) {
    respond(json_error(400, "invalid_field",
                       f.has(key) ? key + " must be a string" : key + " is required"));
    return std::nullopt;
  }
  auto t = trim(*v);
  if (t.empty() || t.size() > max) {
    respond(json_error(400, "invalid_field",
                       key + " must be between 1 and " + std::to_string(max) + " bytes"));
    return std::nullopt;
  }
  return t;
}

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int limit_param(const http_request& req, int fallback, int max) {
  auto v = req.query_param("limit");
  if (v.empty() || v.size() > 6 || !all_digits(v)) return fallback;
  return std::max(1, std::min(max, std::stoi(v)));
}

std::string json_string_field(const std::string& json, const std::string& key) {
  std::string error;
  auto f = common::parse_object(json, error);
  if (!f) return {};
  auto v = f->get(key);
  return v ? *v : std::string{};
}

}  // namespace parley::edge
