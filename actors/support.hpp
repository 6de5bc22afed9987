#pragma once
// The support agent of one tenant: answers a customer's turn from the tenant's knowledge base
// (the embedded BM25 responder). Spawned and restarted by its tenant actor; the index is built
// on a database pool thread and swapped in whole, so answering never waits for the database.
#include <caf/fwd.hpp>
#include <string>

#include "actors/services.hpp"
#include "messages/support.hpp"

namespace parley::actors {

/// Answers (ask_atom, question) with a support_answer; reloads on kb_changed_atom.
support_actor spawn_support(caf::actor_system& sys, services svc, std::string tenant_id);

}  // namespace parley::actors
