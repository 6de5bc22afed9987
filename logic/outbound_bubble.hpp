#pragma once
// One stored reply bubble on its way to the channel API: read from PostgreSQL, carried between
// actors and nodes, queued by the outbox. The one shape of the concept (it was two structs
// copied field by field). No credentials: the outbox resolves the channel's sending details
// itself, from its node's channel directory, so tokens never travel between actors or nodes.
// Plain data.
#include <cstdint>
#include <string>

namespace parley::logic {

struct outbound_bubble {
  int64_t id = 0;
  std::string tenant_id;
  std::string conversation_id;
  std::string channel_id;
  std::string to;  ///< the customer
  std::string text;
  std::string reply_to;  ///< provider id of the answered message (quoted by bubble 0)
  int32_t bubble = 0;    ///< index within its reply
  int32_t attempts = 0;
  int64_t received_ms = 0;  ///< when the answered message was acknowledged (0: unknown)
  /// The process (its incarnation) that stored it and sends it; 0: released, anyone may. A
  /// bubble of another process may have been accepted by the channel API already.
  int64_t sender = 0;
};

}  // namespace parley::logic
