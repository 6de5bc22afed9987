#include "edge/http_errors.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "common/codec.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"

namespace parley::edge {
namespace {

http_response with_reference(int status, std::string_view code, std::string_view message,
                             const std::string& id) {
  common::json_writer w;
  w.begin_object().key("error").begin_object();
  w.field("code", code).field("message", message).field("correlation_id", id);
  w.end_object().end_object();
  return http_response{status, "application/json", w.take(), {{"X-Correlation-Id", id}}};
}

}  // namespace

std::string correlation_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t v = rng();
  return common::hex_encode(reinterpret_cast<const unsigned char*>(&v), sizeof v);
}

http_response db_failure_response(const persistence::db_failure& f, std::string_view context) {
  auto id = correlation_id();
  common::log::get("io")->error("[{}] {}: database {}", id, context, f.what());
  if (f.retryable())
    return with_reference(503, "unavailable", "the database is unavailable; retry shortly", id);
  return with_reference(500, "internal", "internal error", id);
}

http_response internal_error_response(std::string_view detail, std::string_view context) {
  auto id = correlation_id();
  common::log::get("io")->error("[{}] {}: {}", id, context, detail);
  return with_reference(500, "internal", "internal error", id);
}

}  // namespace parley::edge
