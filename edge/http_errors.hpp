#pragma once
// How failures the client did not cause become HTTP answers, in one place. The server-side
// detail (database text, exception messages) is logged under a correlation id; the response
// carries the id, never the detail. Any thread.
#include <string>
#include <string_view>

#include "edge/http_types.hpp"
#include "persistence/db_failure.hpp"

namespace parley::edge {

/// A fresh correlation id (16 hex digits).
[[nodiscard]] std::string correlation_id();

/// A database failure: retryable ones (connection, overload, stopping) answer 503
/// "unavailable" (worth a retry), anything else 500 "internal". `context` names what was being
/// done, for the log line.
[[nodiscard]] http_response db_failure_response(const persistence::db_failure& f,
                                                std::string_view context);

/// A handler threw: 500 "internal".
[[nodiscard]] http_response internal_error_response(std::string_view detail,
                                                    std::string_view context);

}  // namespace parley::edge
