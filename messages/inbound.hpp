#pragma once
// An acknowledged inbound message (logic/inbound_message.hpp) as it travels between actors,
// also between nodes (a forward to the tenant's owner): tenants router -> tenant ->
// conversation; its media reference goes on to the media agent.
#include <caf/meta/type_name.hpp>

#include "logic/inbound_message.hpp"

namespace parley {
using inbound_msg = logic::inbound_message;
}  // namespace parley

namespace parley::logic {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_reference& x) {
  return f(caf::meta::type_name("parley::media_reference"), x.id, x.mime_type, x.sha256, x.filename,
           x.voice);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inbound_message& x) {
  return f(caf::meta::type_name("parley::inbound_msg"), x.id, x.tenant_id, x.channel_id,
           x.conversation_id, x.customer, x.type, x.text, x.wamid, x.received_ms, x.media,
           x.new_conversation);
}

}  // namespace parley::logic
