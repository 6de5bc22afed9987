#pragma once
// What each module takes from the node's configuration: one function per module, so run time
// code never copies configuration fields by hand and a new option is mapped in one place.
//
// They live with the composition root, not beside node_config (supervisors/): the settings
// types belong to persistence/, io/ and actors/, which supervisors/ must not include.
// Plain functions of the configuration; called on parleyd's main thread while the node starts.
#include "actors/media/media_pipeline.hpp"
#include "actors/services.hpp"
#include "edge/api_context.hpp"
#include "edge/http_client.hpp"
#include "edge/http_server.hpp"
#include "persistence/pool.hpp"

namespace parley {

class node_config;

[[nodiscard]] persistence::pool_settings pool_settings_from(const node_config& cfg);
[[nodiscard]] edge::http_server_settings http_server_settings_from(const node_config& cfg);
/// The client the outbox sends with.
[[nodiscard]] edge::http_client_settings http_client_settings_from(const node_config& cfg);
/// The media downloads' own client: documents may be 100 MB, the shared client caps at 16 MB.
[[nodiscard]] edge::http_client_settings media_client_settings_from(const node_config& cfg);
[[nodiscard]] media::media_settings media_settings_from(const node_config& cfg);
[[nodiscard]] actors::outbox_settings outbox_settings_from(const node_config& cfg);
[[nodiscard]] actors::limits limits_from(const node_config& cfg);
/// The actors' settings; the node adds the pointers to what it owns.
[[nodiscard]] actors::services services_from(const node_config& cfg);
/// The API's settings; the node adds the pointers, the signing key and the actor hooks.
[[nodiscard]] edge::api_context api_context_from(const node_config& cfg);

}  // namespace parley
