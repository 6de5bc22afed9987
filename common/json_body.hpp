#pragma once
// Reading small JSON request bodies (admin API) with clear errors for the client.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::common {

/// The body's top-level object as string fields. Non-string values are kept as their JSON text
/// in `others` so callers can reject them precisely.
struct json_fields {
  std::map<std::string, std::string> strings;
  std::map<std::string, std::string> others;
  [[nodiscard]] const std::string* get(const std::string& k) const {
    auto it = strings.find(k);
    return it == strings.end() ? nullptr : &it->second;
  }
  [[nodiscard]] bool has(const std::string& k) const {
    return strings.count(k) != 0 || others.count(k) != 0;
  }
};

/// Parses `body` as a JSON object; on failure returns nullopt and sets `error`.
std::optional<json_fields> parse_object(std::string_view body, std::string& error);

}  // namespace parley::common
