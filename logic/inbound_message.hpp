#pragma once
// One inbound message, once acknowledged: the one shape it has from the inbox writer (and the
// replays that read it back) to its tenant and its conversation, and the media reference the
// media agent works from. The channel's own wire format (io/whatsapp.hpp) is parsed into the
// inbox writer's ingest items, which carry the same media_reference.
#include <cstdint>
#include <string>

namespace parley::logic {

/// A media attachment as the channel describes it; fetched, verified and described later.
struct media_reference {
  std::string id;  ///< the channel's media id; empty: the message has no media
  std::string mime_type;
  std::string sha256;
  std::string filename;
  bool voice = false;
  [[nodiscard]] bool empty() const { return id.empty(); }
};

struct inbound_message {
  int64_t id = 0;  ///< inbox row id: increases in acknowledgement order
  std::string tenant_id;
  std::string channel_id;
  std::string conversation_id;
  std::string customer;
  std::string type;  ///< text, image, audio, video, document, sticker, ...
  std::string text;
  std::string wamid;
  int64_t received_ms = 0;  ///< when it was acknowledged; 0 when unknown (read back later)
  media_reference media;
  /// Its conversation was created by this message's intake batch (nothing to load for it).
  bool new_conversation = false;
};

}  // namespace parley::logic
