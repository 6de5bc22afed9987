#pragma once
// What an actor reports about itself and its children (GET /v1/actors, the console). Every
// actor of the tree answers (info_atom) with a child_info; containers ask their children in
// turn, so one request to the root returns the node's whole tree.
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace parley {

using info_atom = caf::atom_constant<caf::atom("info")>;

struct child_info {
  std::string name;        ///< e.g. "tenants", "tenant/<id>", "conv/<id>"
  std::string kind;        ///< supervisor, tenant, support, conversation, outbox, placeholder...
  std::string state;       ///< running, restarting, passivating, stopped
  uint32_t restarts = 0;   ///< how often its parent restarted it
  uint64_t mailbox = 0;    ///< messages waiting in its mailbox when asked
  uint64_t handled = 0;    ///< messages it has handled
  std::string last_error;  ///< why it last ended abnormally
  std::string detail;      ///< kind-specific, e.g. "context=12 queued=0"
  std::vector<child_info> children;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("parley::child_info"), x.name, x.kind, x.state, x.restarts,
           x.mailbox, x.handled, x.last_error, x.detail, x.children);
}

}  // namespace parley
