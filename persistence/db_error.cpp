#include "persistence/db_error.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace parley::persistence {

std::string to_string(db_errc x) {
  switch (x) {
    case db_errc::ok:
      return "ok";
    case db_errc::unavailable:
      return "unavailable";
    case db_errc::overloaded:
      return "overloaded";
    case db_errc::query_failed:
      return "query_failed";
    case db_errc::migration_failed:
      return "migration_failed";
    case db_errc::stopped:
      return "stopped";
  }
  return "unknown";
}

caf::error make_error(db_errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), caf::atom("db"),
                    caf::make_message(std::move(context))};
}

std::string render_db_error(uint8_t code, caf::atom_value, const caf::message& ctx) {
  std::string out = "db_error(" + to_string(static_cast<db_errc>(code));
  if (ctx.match_elements<std::string>()) out += ", " + ctx.get_as<std::string>(0);
  return out + ")";
}

}  // namespace parley::persistence
