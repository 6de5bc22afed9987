#include "channels/whatsapp_json.hpp"

#include <charconv>
#include <cmath>

namespace parley::channels::whatsapp::json_read {

[[nodiscard]] std::optional<dom::element> get(dom::element obj, std::string_view key) {
  dom::element out;
  if (obj.at_key(key).get(out)) return std::nullopt;
  return out;
}

[[nodiscard]] std::string str(dom::element obj, std::string_view key) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s)) return {};
  return std::string(s);
}

[[nodiscard]] std::string str(std::optional<dom::element> obj, std::string_view key) {
  return obj ? str(*obj, key) : std::string{};
}

[[nodiscard]] std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc{} ? std::string(buf, end) : std::string{};
}

// Numbers Meta may send either as JSON numbers or strings (prices, coordinates, quantities).
[[nodiscard]] std::string scalar(std::optional<dom::element> e) {
  if (!e) return {};
  switch (e->type()) {
    case dom::element_type::STRING:
      return std::string(e->get_string().value_unsafe());
    case dom::element_type::INT64:
      return std::to_string(e->get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return std::to_string(e->get_uint64().value_unsafe());
    case dom::element_type::DOUBLE:
      return format_double(e->get_double().value_unsafe());
    case dom::element_type::BOOL:
      return e->get_bool().value_unsafe() ? "true" : "false";
    default:
      return {};
  }
}

// Timestamps and codes: Meta sends strings ("1749416383") or numbers; anything else is 0.
[[nodiscard]] int64_t to_int64(std::optional<dom::element> e) {
  if (!e) return 0;
  switch (e->type()) {
    case dom::element_type::STRING: {
      std::string_view s = e->get_string().value_unsafe();
      int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc{} && end == s.data() + s.size() ? v : 0;
    }
    case dom::element_type::INT64:
      return e->get_int64().value_unsafe();
    case dom::element_type::UINT64:
      return 0;  // above INT64_MAX: not a real timestamp or code
    case dom::element_type::DOUBLE: {
      double d = e->get_double().value_unsafe();
      return std::isfinite(d) && std::fabs(d) < 9.2e18 ? static_cast<int64_t>(d) : 0;
    }
    default:
      return 0;
  }
}

[[nodiscard]] std::vector<dom::element> array_at(dom::element obj, std::string_view key) {
  std::vector<dom::element> out;
  dom::array a;
  if (obj.at_key(key).get_array().get(a)) return out;
  for (dom::element e : a) out.push_back(e);
  return out;
}

[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

[[nodiscard]] api_error parse_error(dom::element e) {
  api_error err;
  err.code = to_int64(get(e, "code"));
  err.title = str(e, "title");
  err.message = str(e, "message");
  err.details = str(get(e, "error_data"), "details");
  return err;
}

[[nodiscard]] std::vector<api_error> parse_errors(dom::element obj) {
  std::vector<api_error> out;
  for (dom::element e : array_at(obj, "errors")) {
    if (e.is_object()) out.push_back(parse_error(e));
  }
  return out;
}

}  // namespace parley::channels::whatsapp::json_read
