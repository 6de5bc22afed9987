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

/// Asks every child for its info and delivers `self_info` with the children filled in. `Self`
/// is any event-based actor, typed or not (instantiated in actor .cpp files, which include
/// caf/all.hpp).
template <class Self>
void gather_children(Self* self, child_info self_info, std::vector<named_child> children,
                     caf::response_promise rp);

template <class Self>
void gather_children(Self* self, child_info self_info, std::vector<named_child> children,
                     caf::response_promise rp) {
  struct pending {
    child_info info;
    std::size_t waiting = 0;
    caf::response_promise rp;
  };
  auto p = std::make_shared<pending>();
  p->info = std::move(self_info);
  p->rp = std::move(rp);
  p->info.children.resize(children.size());
  for (std::size_t i = 0; i < children.size(); ++i) {
    auto& c = children[i];
    auto& slot = p->info.children[i];
    slot.name = c.name;
    slot.state = c.state;
    slot.restarts = c.restarts;
    slot.last_error = c.last_error;
    if (c.handle) ++p->waiting;
  }
  if (p->waiting == 0) {
    p->rp.deliver(p->info);
    return;
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    auto& c = children[i];
    if (!c.handle) continue;
    auto done = [p] {
      if (--p->waiting == 0) p->rp.deliver(p->info);
    };
    self->request(c.handle, std::chrono::seconds{2}, info_atom::value)
        .then(
            [p, i, done, c](child_info& reported) {
              auto& slot = p->info.children[i];
              // The parent knows the name, state and restarts; the child knows the rest.
              reported.name = c.name;
              reported.restarts = c.restarts;
              reported.last_error = c.last_error;
              if (c.state != "running") reported.state = c.state;
              slot = std::move(reported);
              done();
            },
            [p, i, done](caf::error&) {
              p->info.children[i].state = "unresponsive";
              done();
            });
  }
}

}  // namespace parley::supervision
