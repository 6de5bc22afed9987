#pragma once
// Rows of the inbox as the message actors pass around (one place, so no field is forgotten).
#include "messages/conversation.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/inbox_writer.hpp"

namespace parley::actors {

inline inbound_msg to_inbound(persistence::stored_message s, int64_t received_ms) {
  inbound_msg m;
  m.id = s.id;
  m.tenant_id = std::move(s.tenant_id);
  m.channel_id = std::move(s.channel_id);
  m.conversation_id = std::move(s.conversation_id);
  m.customer = std::move(s.customer);
  m.type = std::move(s.type);
  m.text = std::move(s.text);
  m.wamid = std::move(s.wamid);
  m.received_ms = received_ms;
  m.media_id = std::move(s.media_id);
  m.media_mime = std::move(s.media_mime);
  m.media_sha256 = std::move(s.media_sha256);
  m.media_filename = std::move(s.media_filename);
  m.media_voice = s.media_voice;
  m.new_conversation = s.new_conversation;
  return m;
}

/// A stored bubble for the outbox; `received_ms` is when the answered message was acknowledged
/// (0 when unknown, e.g. after a restart).
inline outbound_msg to_outbound(persistence::outbound_item o, int64_t received_ms = 0) {
  o.received_ms = received_ms;
  return o;
}

}  // namespace parley::actors
