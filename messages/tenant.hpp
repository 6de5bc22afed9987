#pragma once
// A tenant's protocol: what its tenants router hands it (inbound messages, settings and
// knowledge changes, API admission, sweeps, passivation of its least recently used
// conversations) and what its conversations ask of it (turn and load reports for poison
// detection and backpressure; the agents' answers, which it brokers).
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/cluster.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "messages/media.hpp"
#include "messages/support.hpp"

namespace parley {

using tenant_actor = caf::typed_actor<
    // tenants router -> tenant
    caf::reacts_to<inbound_msg>, caf::reacts_to<kb_changed_atom>, caf::reacts_to<changed_atom>,
    /// May the tenant make one more API call? Seconds to wait (0: allowed).
    caf::replies_to<admit_atom>::with<double>,
    /// Replay the inbox from its start (work stranded by another node).
    caf::reacts_to<sweep_atom>, caf::reacts_to<passivate_atom, std::string>,
    // conversation -> tenant
    /// A turn with these inbound ids starts (poison detection).
    caf::reacts_to<turn_atom, std::string, std::vector<int64_t>>,
    /// How many messages the conversation holds now (backpressure).
    caf::reacts_to<load_atom, std::string, uint64_t>,
    caf::replies_to<ask_atom, std::string>::with<support_answer>,
    caf::replies_to<score_atom, std::string, double, bool, int32_t>::with<escalation_verdict>,
    caf::replies_to<media_atom, media_job>::with<std::string>,
    caf::reacts_to<notify_atom, std::string, std::string, escalation_verdict>,
    caf::replies_to<info_atom>::with<child_info>>;

}  // namespace parley
