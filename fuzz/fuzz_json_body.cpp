// The /v1 API's JSON body reader: an object's fields or a clear error for any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto fields = parley::common::parse_object(
      std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!fields && error.empty()) __builtin_trap();  // a refusal always says why
  return 0;
}
