#pragma once
// Reading Meta's JSON leniently (webhooks and Graph API answers): a missing field or one of the
// wrong type reads as empty; numbers may come as strings. Private to channels/whatsapp_*.cpp.
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/whatsapp.hpp"

namespace parley::channels::whatsapp::json_read {

namespace dom = simdjson::dom;

[[nodiscard]] std::optional<dom::element> get(dom::element obj, std::string_view key);
[[nodiscard]] std::string str(dom::element obj, std::string_view key);
[[nodiscard]] std::string str(std::optional<dom::element> obj, std::string_view key);
[[nodiscard]] std::string format_double(double d);
[[nodiscard]] std::string scalar(std::optional<dom::element> e);
[[nodiscard]] int64_t to_int64(std::optional<dom::element> e);
[[nodiscard]] std::vector<dom::element> array_at(dom::element obj, std::string_view key);
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view sep);
[[nodiscard]] api_error parse_error(dom::element e);
[[nodiscard]] std::vector<api_error> parse_errors(dom::element obj);

}  // namespace parley::channels::whatsapp::json_read
