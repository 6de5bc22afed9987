#pragma once
// The schema as versioned SQL files, embedded at build time (see CMakeLists.txt).
#include <string>
#include <vector>

namespace parley::persistence {

struct migration {
  int version;
  std::string name;
  std::string sql;
};

/// All files of persistence/migrations/, ordered by version.
const std::vector<migration>& embedded_migrations();

}  // namespace parley::persistence
