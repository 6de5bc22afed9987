#pragma once
// Errors of the persistence module, as caf::error values (category "db").
#include <caf/error.hpp>
#include <cstdint>
#include <string>

namespace parley::persistence {

enum class db_errc : uint8_t {
  ok = 0,
  unavailable,       ///< cannot connect, or the connection broke
  overloaded,        ///< the pool's queue is full
  query_failed,      ///< the server rejected a statement
  migration_failed,  ///< a migration did not apply
  stopped,           ///< the pool is shutting down
};

[[nodiscard]] std::string to_string(db_errc x);
[[nodiscard]] caf::error make_error(db_errc x, std::string context = {});

/// Renders "db" errors for caf::actor_system_config::add_error_category.
std::string render_db_error(uint8_t code, caf::atom_value, const caf::message& ctx);

}  // namespace parley::persistence
