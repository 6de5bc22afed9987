#include "logic/placement_table.hpp"

namespace parley::logic {

const char* phase_name(placement_phase p) {
  switch (p) {
    case placement_phase::acquiring:
      return "acquiring";
    case placement_phase::running:
      return "running";
    case placement_phase::releasing:
      return "releasing";
  }
  return "releasing";
}

std::chrono::milliseconds forward_retry_delay(int32_t attempt) {
  // Short at first: a forward mostly fails because its owner has just gone or the views
  // disagree for a moment, and the view change that ends that routes them at once anyway.
  return std::chrono::milliseconds{std::min<int64_t>(1000, 50LL << std::min(attempt, 4))};
}

}  // namespace parley::logic
