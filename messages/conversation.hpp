#pragma once
// The message path between actors: an acknowledged inbound message on its way to its
// conversation, and outgoing bubbles for the outbox (the support agent's answer: support.hpp).
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "logic/outbound_bubble.hpp"
#include "messages/atoms.hpp"
#include "messages/inbound.hpp"
#include "messages/introspection.hpp"

namespace parley {

using send_atom = caf::atom_constant<caf::atom("send")>;
using loaded_atom = caf::atom_constant<caf::atom("loaded")>;
using timer_atom = caf::atom_constant<caf::atom("turntimer")>;
using stored_atom = caf::atom_constant<caf::atom("stored")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using result_atom = caf::atom_constant<caf::atom("result")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using count_atom = caf::atom_constant<caf::atom("count")>;

/// One stored bubble the outbox must send (with the channel's sending details).
using outbound_msg = logic::outbound_bubble;

}  // namespace parley

namespace parley::logic {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbound_bubble& x) {
  return f(caf::meta::type_name("parley::outbound_msg"), x.id, x.tenant_id, x.conversation_id,
           x.channel_id, x.to, x.text, x.reply_to, x.bubble, x.attempts, x.received_ms, x.sender);
}
}  // namespace parley::logic

namespace parley {
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
}  // namespace parley

namespace parley {
/// conversation -> tenant: a turn with these inbound ids starts (for poison detection).
using turn_atom = caf::atom_constant<caf::atom("turn")>;
/// conversation -> tenant: how many messages it holds now (queued + in its current turn).
using load_atom = caf::atom_constant<caf::atom("load")>;
/// tenant -> tenants: a conversation stopped (for the node-wide LRU).
using gone_atom = caf::atom_constant<caf::atom("gone")>;
/// a sweep -> outbox: stored bubbles read back as pending, to queue again (ids it holds or
/// finished lately are skipped).
using requeue_atom = caf::atom_constant<caf::atom("requeue")>;
/// self-timer: check whether the actor has been idle long enough to stop.
using idle_atom = caf::atom_constant<caf::atom("idle")>;
/// tenants router -> itself: give freed memory back to the OS once more.
using trim_atom = caf::atom_constant<caf::atom("trim")>;
}  // namespace parley

namespace parley {
/// io -> tenants -> tenant: may this tenant make one more API call? Answer: seconds to wait
/// (0 = allowed).
using admit_atom = caf::atom_constant<caf::atom("admit")>;
/// tenant -> itself: its settings, loaded from PostgreSQL.
using settings_atom = caf::atom_constant<caf::atom("settings")>;
}  // namespace parley

namespace parley {
/// One conversation: takes its inbound messages (tenant -> conversation) in order, answers
/// them, and stops once idle when asked to (shutdown_atom, after it asked to be passivated).
using conversation_actor =
    caf::typed_actor<caf::reacts_to<inbound_msg>, caf::reacts_to<shutdown_atom>,
                     caf::replies_to<info_atom>::with<child_info>>;
}  // namespace parley
