#pragma once
// Small helpers shared by the /v1 route files: JSON body fields with 400s, limits, trimming.
#include <optional>
#include <string>

#include "edge/http_types.hpp"
#include "common/json_body.hpp"

namespace parley::edge {

std::string trim(const std::string& s);
std::optional<common::json_fields> body_or_400(const http_request& req, respond_fn& respond);
/// A required string field, trimmed, within [1, max] bytes; answers 400 otherwise.
std::optional<std::string> required(const common::json_fields& f, const std::string& key, std::size_t max,
                                    respond_fn& respond);
bool all_digits(const std::string& s);
int limit_param(const http_request& req, int fallback, int max);
/// A top-level string field of a JSON object we produced ("" when absent).
std::string json_string_field(const std::string& json, const std::string& key);

}  // namespace parley::edge
