#pragma once
// The tenant's media agent: for a media message, fetches the bytes from the channel's Graph API,
// verifies, stores and describes them (media_pipeline, node-wide), records the result in
// media_files, and answers the conversation with a one-line description for its context. A
// failure (expired media, wrong hash, too large, provider down) is recorded and described
// politely; nothing crashes. Spawned and restarted by its tenant actor.
#include <caf/fwd.hpp>
#include <string>

#include "actors/services.hpp"
#include "messages/media.hpp"

namespace parley::actors {

/// Answers (media_atom, media_job) with std::string (the description).
media_actor spawn_media_agent(caf::actor_system& sys, services svc, std::string tenant_id);

}  // namespace parley::actors
