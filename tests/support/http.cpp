#include "tests/support/http.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace parley::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

http_reply http_call(const std::string& method, int port, const std::string& target,
                     const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     int timeout_ms) {
  http_reply out;
  try {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.expires_after(std::chrono::milliseconds{timeout_ms});
    stream.connect(
        tcp::endpoint{net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.body() = body;
      if (req.find(http::field::content_type) == req.end())
        req.set(http::field::content_type, "application/json");
    }
    req.prepare_payload();
    beast::error_code write_ec;
    http::write(stream, req, write_ec);  // a server may answer (413) before taking the body
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string().data(), f.name_string().size());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.headers[name] = std::string(f.value().data(), f.value().size());
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

std::string raw_exchange(int port, const std::string& bytes, int timeout_ms) {
  std::string out;
  try {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.expires_after(std::chrono::milliseconds{timeout_ms});
    stream.connect(
        tcp::endpoint{net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    net::write(stream, net::buffer(bytes));
    char buf[4096];
    for (;;) {
      beast::error_code ec;
      auto n = stream.read_some(net::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
  } catch (const std::exception&) {
  }
  return out;
}

}  // namespace parley::test
