#pragma once
// The support agent's protocol: a customer's turn in, the knowledge base's answer out.
// conversation -> tenant -> support (the tenant delegates; the agent answers the asker).
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "messages/atoms.hpp"
#include "messages/introspection.hpp"

namespace parley {

using ask_atom = caf::atom_constant<caf::atom("ask")>;

/// What the support agent answers to a customer's turn.
struct support_answer {
  std::string text;
  double confidence = 0;
  bool fallback = true;
  std::string language;
  int64_t entry_id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, support_answer& x) {
  return f(caf::meta::type_name("parley::support_answer"), x.text, x.confidence, x.fallback,
           x.language, x.entry_id);
}

using support_actor =
    caf::typed_actor<caf::replies_to<ask_atom, std::string>::with<support_answer>,
                     caf::reacts_to<kb_changed_atom>, caf::replies_to<info_atom>::with<child_info>>;

}  // namespace parley
