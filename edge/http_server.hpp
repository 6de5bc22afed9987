#pragma once
// The node's HTTP/1.1 server (Boost.Beast on its own Asio threads).
//
// Owned by parleyd's main. Each connection reads one request at a time with a fresh parser
// (body limit, header limit, timeouts), hands it to the handler as plain values and writes
// the answer the handler gives, from whichever thread, back on the connection's strand.
// stop() drains: no new connections, idle keep-alive connections closed, requests in
// flight answered (with Connection: close), then the threads end.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "edge/http_types.hpp"

namespace parley::edge {

struct http_server_settings {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                      ///< 0 picks a free port
  std::size_t body_limit = 3 * 1024 * 1024;  ///< Meta sends up to 3 MB
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{10000};     ///< a request must arrive within this
  std::chrono::milliseconds idle_timeout{60000};     ///< keep-alive connection without request
  std::chrono::milliseconds handler_timeout{30000};  ///< answer 503 if the handler is slower
  int threads = 1;
};

class http_server {
 public:
  http_server(http_server_settings settings, handler_fn handler);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and listens. Returns the bound port; throws std::runtime_error (e.g. port taken)
  /// without starting anything.
  uint16_t bind();
  /// Starts accepting on the Asio threads. Call after bind().
  void start();
  /// Stops accepting, answers what is in flight, waits up to `drain`, joins the threads.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds{10000});

  [[nodiscard]] std::size_t open_connections() const;

  struct impl;  // public so the connection class in the .cpp can name it

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::edge
