#pragma once
// Asynchronous, pooled HTTP/1.1 + HTTPS client (Boost.Beast on the client's own Asio threads).
//
// Owned by the node (the outbox uses it for the WhatsApp Cloud API, later model providers) or
// by a test. request() may be called from any thread; the completion runs on one of the
// client's threads. Beast/Asio/OpenSSL stay in http_client.cpp: this header is included widely.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::edge {

struct client_request {
  std::string method = "POST";
  std::string url;  ///< http://host:port/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  ///< whole exchange: queueing, resolve, connect, TLS
};

struct client_response {
  int status = 0;  ///< 0 = transport failure (see error)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< lower-case names
  /// "" on an HTTP answer of any status; else "timeout", "stopped", "invalid url",
  /// "connection refused: ...", "resolve failed: ...", "tls handshake failed: ...", ...
  std::string error;
  bool timed_out = false;

  /// First header with this (lower-case) name, or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_name) const;
};

struct http_client_settings {
  int threads = 1;
  std::size_t max_connections_per_host = 16;      ///< beyond this, requests queue per host
  std::chrono::milliseconds idle_timeout{30000};  ///< idle pooled connections closed after this
  bool verify_tls = true;  ///< verify peer + hostname (SNI set); false for self-signed test certs
  std::string ca_file;     ///< extra CA bundle (PEM) on top of the system paths
  std::size_t body_limit = 16 * 1024 * 1024;  ///< larger responses fail with "read failed: ..."
};

/// Any thread may call request(). `done` runs exactly once, on one of the client's own threads,
/// and must not block (it shares the threads with every other exchange). Keep-alive connections
/// are pooled per (scheme, host, port); a request on a reused connection that fails before any
/// response byte is retried once on a fresh connection (the server closed a stale keep-alive).
/// Throws std::runtime_error from the constructor if ca_file cannot be loaded.
class http_client {
 public:
  explicit http_client(http_client_settings s = {});
  ~http_client();  ///< stop()
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// After stop(), `done` runs at once on the caller's thread with error "stopped".
  void request(client_request req, std::function<void(client_response)> done);
  /// Pending requests complete with error "stopped"; idempotent; joins the threads, so it must
  /// not be called from inside a `done`.
  void stop();

  [[nodiscard]] std::size_t open_connections() const;  ///< pooled + busy, for tests/metrics
  [[nodiscard]] std::size_t connects() const;  ///< connections established so far, for metrics
  [[nodiscard]] std::size_t retries() const;   ///< stale keep-alive retries so far, for metrics

  struct impl;  // public so the connection class in the .cpp can name it

 private:
  std::unique_ptr<impl> impl_;
};

struct parsed_url {
  std::string scheme, host, port, target;  ///< host lower-case, IPv6 without brackets
};
/// Target = path + query ("/" when empty; fragment dropped). Default ports 80/443; an IPv6
/// literal in brackets is accepted. nullopt for other schemes, user info, bad ports, spaces or
/// control characters.
std::optional<parsed_url> parse_url(std::string_view url);

}  // namespace parley::edge
