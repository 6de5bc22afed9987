#include "messages/register.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/introspection.hpp"

namespace parley {

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<child_info>("parley::child_info");
  cfg.add_message_type<std::vector<child_info>>("std::vector<parley::child_info>");
}

}  // namespace parley
