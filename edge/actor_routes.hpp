#pragma once
// GET /v1/actors: this node's supervision tree as JSON (admin token).
#include <functional>
#include <memory>
#include <string>

#include "messages/introspection.hpp"

namespace parley::edge {

class router;
struct api_context;

struct actor_deps {
  /// Asks the root for its tree; calls back (any thread) with it, or with an error text.
  std::function<void(std::function<void(bool ok, child_info tree, std::string error)>)> tree;
};

void add_actor_routes(router& r, actor_deps deps, std::shared_ptr<const api_context> api);

/// {"name","kind","state","restarts","mailbox","handled","last_error","detail","children":[...]}
std::string to_json(const child_info& tree);

}  // namespace parley::edge
