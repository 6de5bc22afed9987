#pragma once
// The /v1 API: tenants, credentials and tokens, channels, knowledge, conversations, audit.
// Every route declares the permission it needs (see api_context.hpp, guarded()).
#include <string_view>

#include "edge/api_context.hpp"

namespace parley::edge {

void add_admin_routes(router& r, api_ptr api);         // channels, knowledge, conversations
void add_tenant_routes(router& r, api_ptr api);        // tenants CRUD
void add_credential_routes(router& r, api_ptr api);    // API keys, rotation, tokens
void add_audit_routes(router& r, api_ptr api);         // GET /v1/audit
void add_conversation_routes(router& r, api_ptr api);  // reply by hand, handoff, release

/// Constant-time check of "Bearer <token>" against the expected token (empty never matches).
bool bearer_matches(std::string_view authorization, std::string_view expected);

}  // namespace parley::edge
