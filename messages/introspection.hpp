#pragma once
// What a supervisor reports about its children (GET /v1/actors, the console).
#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace parley {

struct child_info {
  std::string name;
  std::string state;  ///< "running", "restarting", "stopped"
  uint32_t restarts = 0;
  std::string last_error;
  std::vector<child_info> children;  ///< filled by supervisors that are children themselves
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("child_info"), x.name, x.state, x.restarts, x.last_error,
           x.children);
}

}  // namespace parley
