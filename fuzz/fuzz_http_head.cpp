// A request as it comes off the socket: Beast's parser with parleyd's limits (16 KiB of head,
// 3 MB of body, as io/http_server.cpp sets them), then parley's own decoding of what it parsed
// (target split, header names, percent-decoded query parameters).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "edge/http_types.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(3 * 1024 * 1024);
  parser.header_limit(16 * 1024);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  auto& msg = parser.get();
  parley::edge::http_request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), "");
  for (const char* name : {"hub.mode", "hub.challenge", "limit", "", "a%00"})
    (void)req.query_param(name);
  (void)req.header("content-type");
  return 0;
}
