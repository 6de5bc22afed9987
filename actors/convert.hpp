#pragma once
// Rows of the inbox as the message actors pass around (one place, so no field is forgotten).
#include "messages/conversation.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/inbox_writer.hpp"

namespace parley::actors {

/// A stored message on its way to its conversation; `received_ms`: when it was acknowledged
/// (0 for messages read back from the inbox).
inline inbound_msg to_inbound(persistence::stored_message s, int64_t received_ms) {
  s.received_ms = received_ms;
  return s;
}

/// A stored bubble for the outbox; `received_ms` is when the answered message was acknowledged
/// (0 when unknown, e.g. after a restart).
inline outbound_msg to_outbound(persistence::outbound_item o, int64_t received_ms = 0) {
  o.received_ms = received_ms;
  return o;
}

}  // namespace parley::actors
