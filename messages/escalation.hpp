#pragma once
// Escalation: the verdict of a tenant's escalation agent on one customer turn.
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "messages/atoms.hpp"
#include "messages/introspection.hpp"

namespace parley {

/// conversation -> tenant -> escalation agent: score this turn.
using score_atom = caf::atom_constant<caf::atom("score")>;
/// conversation -> tenant -> escalation agent: the handoff happened, notify the tenant.
using notify_atom = caf::atom_constant<caf::atom("notify")>;
/// -> outbox: drop the queued (unsent) bubbles of a conversation that was handed off.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;

struct escalation_verdict {
  bool escalate = false;
  double score = 0;
  std::string priority;
  std::string department;
  std::string language;
  std::string reasons_json = "[]";  ///< [{"code","detail","points"}]
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, escalation_verdict& x) {
  return f(caf::meta::type_name("parley::escalation_verdict"), x.escalate, x.score, x.priority,
           x.department, x.language, x.reasons_json);
}

/// A tenant's escalation agent: scores a turn (text, responder confidence, responder
/// fallback, customer turns so far); posts the tenant's notification (conversation, customer,
/// verdict) once a handoff is stored; reloads the tenant's settings on changed_atom.
using escalation_actor = caf::typed_actor<
    caf::replies_to<score_atom, std::string, double, bool, int32_t>::with<escalation_verdict>,
    caf::reacts_to<notify_atom, std::string, std::string, escalation_verdict>,
    caf::reacts_to<changed_atom>, caf::replies_to<info_atom>::with<child_info>>;

}  // namespace parley
