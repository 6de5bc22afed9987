#include "messages/register.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/cluster.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "messages/media.hpp"
#include "messages/support.hpp"

namespace parley::cluster {

std::string to_string(node_state s) {
  switch (s) {
    case node_state::joining:
      return "joining";
    case node_state::up:
      return "up";
    case node_state::suspect:
      return "suspect";
    case node_state::down:
      return "down";
  }
  return "unknown";
}

}  // namespace parley::cluster

namespace parley {

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<child_info>("parley::child_info");
  cfg.add_message_type<std::vector<child_info>>("std::vector<parley::child_info>");
  cfg.add_message_type<inbound_msg>("parley::inbound_msg");
  cfg.add_message_type<support_answer>("parley::support_answer");
  cfg.add_message_type<outbound_msg>("parley::outbound_msg");
  cfg.add_message_type<escalation_verdict>("parley::escalation_verdict");
  cfg.add_message_type<media_job>("parley::media_job");
  cfg.add_message_type<std::vector<outbound_msg>>("std::vector<parley::outbound_msg>");
  cfg.add_message_type<placed_tenant>("parley::placed_tenant");
  cfg.add_message_type<std::vector<placed_tenant>>("std::vector<parley::placed_tenant>");
  cfg.add_message_type<placement_report>("parley::placement_report");
}

}  // namespace parley
