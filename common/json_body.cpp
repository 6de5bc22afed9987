#include "common/json_body.hpp"

#include <simdjson.h>

namespace parley::common {

std::optional<json_fields> parse_object(std::string_view body, std::string& error) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded{body};
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    error = std::string{"request body is not valid JSON: "} + simdjson::error_message(err);
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    error = "request body must be a JSON object";
    return std::nullopt;
  }
  json_fields out;
  for (auto field : obj) {
    std::string key{field.key};
    std::string_view sv;
    if (field.value.get(sv) == simdjson::SUCCESS)
      out.strings[key] = std::string{sv};
    else
      out.others[key] = simdjson::minify(field.value);
  }
  return out;
}

}  // namespace parley::common
