#pragma once
// Errors of the persistence module, as caf::error values (category "db").
#include <caf/error.hpp>
#include <cstdint>
#include <string>

#include "persistence/db_failure.hpp"

namespace parley::persistence {

[[nodiscard]] caf::error make_error(db_errc x, std::string context = {});

/// Renders "db" errors for caf::actor_system_config::add_error_category.
std::string render_db_error(uint8_t code, caf::atom_value, const caf::message& ctx);

}  // namespace parley::persistence
