#pragma once
// The outbox's protocol: stored bubbles to send (from conversations, the node's recovery and
// cluster sweeps), and handed-off conversations whose queued bubbles must not leave.
// One outbox per node, found under actors::outbox_name() (see actors/outbox.hpp).
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"

namespace parley {

using outbox_actor = caf::typed_actor<
    /// Bubbles just stored, in order per conversation.
    caf::reacts_to<send_atom, std::vector<outbound_msg>>,
    /// Bubbles read back as pending (a sweep, a restart): ids held or finished lately are
    /// skipped.
    caf::reacts_to<requeue_atom, std::vector<outbound_msg>>,
    /// A person took the conversation over: drop its queued bubbles.
    caf::reacts_to<cancel_atom, std::string>,
    /// How many bubbles it holds.
    caf::replies_to<count_atom>::with<uint64_t>, caf::replies_to<info_atom>::with<child_info>>;

}  // namespace parley
