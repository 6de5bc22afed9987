// Meta's webhook bodies and send responses: any bytes parse to a result or an error, never a
// crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/whatsapp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = parley::channels::whatsapp::parse_webhook(in);
  (void)r;
  auto s = parley::channels::whatsapp::parse_send_response(200, in);
  (void)s;
  auto f = parley::channels::whatsapp::parse_send_response(400, in);
  (void)f;
  return 0;
}
