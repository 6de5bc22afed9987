#pragma once
// Helpers for the (info_atom) protocol: an actor answers with its own child_info and, for
// containers, the infos of its children gathered concurrently (each with a short timeout, so a
// busy or dead child shows up as "unresponsive" instead of stalling the whole tree).
#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "messages/introspection.hpp"

namespace parley::supervision {

struct named_child {
  std::string name;
  caf::actor handle;  ///< may be invalid (restarting): reported without asking
  uint32_t restarts = 0;
  std::string last_error;
  std::string state = "running";
};

/// Asks every child for its info and delivers `self_info` with the children filled in.
void gather_children(caf::event_based_actor* self, child_info self_info,
                     std::vector<named_child> children, caf::response_promise rp);

}  // namespace parley::supervision
