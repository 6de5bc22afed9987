#include "supervisors/introspect.hpp"

#include <caf/all.hpp>

namespace parley::supervision {

void gather_children(caf::event_based_actor* self, child_info self_info,
                     std::vector<named_child> children, caf::response_promise rp) {
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
