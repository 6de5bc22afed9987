#pragma once
// GET /health, GET /ready and GET /metrics.
#include <atomic>
#include <functional>
#include <string>

namespace parley::common {
}

namespace parley::common {
class metrics_registry;
}

namespace parley::edge {

class router;

struct health_deps {
  common::metrics_registry* metrics = nullptr;
  /// Checks the database without blocking the caller; calls back (any thread) with ok/why.
  std::function<void(std::function<void(bool ok, std::string why)>)> check_database;
  /// True once the node has finished starting (migrations applied, cluster joined).
  std::function<bool()> started;
};

void add_health_routes(router& r, health_deps deps);

}  // namespace parley::edge
