// Tests for io/http_client: real loopback sockets against parley's own http_server, plus a
// small synchronous TLS server (certificates made with the openssl CLI at test time).
#include "edge/http_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <list>
#include <mutex>
#include <thread>

#include "edge/http_server.hpp"

using namespace parley::edge;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// Handlers that answer later keep their respond_fn here. The server's sessions live as long
/// as these do, so they must go before the server (test_server takes care of that).
struct parked {
  std::mutex m;
  std::condition_variable cv;
  std::vector<respond_fn> fns;

  void add(respond_fn fn) {
    std::lock_guard<std::mutex> g{m};
    fns.push_back(std::move(fn));
    cv.notify_all();
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> l{m};
    return cv.wait_for(l, limit, [&] { return fns.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard<std::mutex> g{m};
    return fns.size();
  }
  void answer_all(int status = 200) {
    std::vector<respond_fn> out;
    {
      std::lock_guard<std::mutex> g{m};
      out.swap(fns);
    }
    for (auto& f : out) f(json_ok(status, "late"));
  }
};

struct test_server {
  explicit test_server(handler_fn h, http_server_settings s = {},
                       std::shared_ptr<parked> held = nullptr)
      : held_(std::move(held)), server(with_free_port(s), std::move(h)) {
    port = server.bind();
    server.start();
  }
  ~test_server() {
    if (held_) held_->answer_all();  // frees the sessions now instead of at handler_timeout
    server.stop(500ms);
  }
  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port) + target;
  }
  static http_server_settings with_free_port(http_server_settings s) {
    s.host = "127.0.0.1";
    s.port = 0;
    return s;
  }

  std::shared_ptr<parked> held_;
  http_server server;
  uint16_t port = 0;
};

/// Collects completions; counts them so tests can check "exactly once".
struct completions {
  std::mutex m;
  std::condition_variable cv;
  std::vector<client_response> got;

  std::function<void(client_response)> callback() {
    return [this](client_response r) {
      std::lock_guard<std::mutex> g{m};
      got.push_back(std::move(r));
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = 15000ms) {
    std::unique_lock<std::mutex> l{m};
    return cv.wait_for(l, limit, [&] { return got.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard<std::mutex> g{m};
    return got.size();
  }
};

client_request make_request(std::string url, std::string method = "GET", std::string body = {}) {
  client_request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

client_response fetch(http_client& client, client_request req) {
  auto box = std::make_shared<completions>();
  client.request(std::move(req), [box](client_response r) { box->callback()(std::move(r)); });
  if (!box->wait_for(1)) {
    client_response none;
    none.error = "test: no completion within 15 s";
    return none;
  }
  std::lock_guard<std::mutex> g{box->m};
  return box->got.front();
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 3000ms) {
  auto end = steady::now() + limit;
  while (steady::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

uint16_t unused_port() {
  net::io_context ioc;
  tcp::acceptor a{ioc, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();  // closed again when `a` goes
}

handler_fn echo_handler() {
  return [](http_request&& req, respond_fn respond) {
    http_response res;
    res.status = 200;
    res.content_type = "text/plain";
    res.body = req.body;
    respond(std::move(res));
  };
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// plain HTTP against http_server

TEST(http_client, post_round_trip_delivers_request_and_response_intact) {
  std::mutex m;
  http_request seen;
  test_server srv{[&](http_request&& req, respond_fn respond) {
    {
      std::lock_guard<std::mutex> g{m};
      seen = req;
    }
    http_response res;
    res.status = 201;
    res.body = R"({"messages":[{"id":"wamid.1"}]})";
    res.headers.emplace_back("X-Reply", "yes");
    respond(std::move(res));
  }};
  http_client client;
  auto req = make_request(srv.url("/v21.0/123/messages?a=1&b=two"), "POST", R"({"to":"49"})");
  req.headers = {{"Authorization", "Bearer tok"}, {"Content-Type", "application/json"}};
  auto res = fetch(client, req);

  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.error, "");
  EXPECT_FALSE(res.timed_out);
  EXPECT_EQ(res.body, R"({"messages":[{"id":"wamid.1"}]})");
  EXPECT_EQ(res.header("x-reply"), "yes");
  EXPECT_EQ(res.header("content-type"), "application/json");

  std::lock_guard<std::mutex> g{m};
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/v21.0/123/messages");
  EXPECT_EQ(seen.query, "a=1&b=two");
  EXPECT_EQ(seen.body, R"({"to":"49"})");
  EXPECT_EQ(seen.header("authorization"), "Bearer tok");
  EXPECT_EQ(seen.header("content-type"), "application/json");
  EXPECT_EQ(seen.header("content-length"), "11");
  EXPECT_EQ(seen.header("user-agent"), "parley/0.1");
  EXPECT_EQ(seen.header("host"), "127.0.0.1:" + std::to_string(srv.port));
}

TEST(http_client, error_statuses_are_responses_not_errors) {
  test_server srv{[](http_request&& req, respond_fn respond) {
    respond(json_error(std::stoi(req.path.substr(1)), "nope", "no"));
  }};
  http_client client;
  for (int status : {400, 401, 404, 429, 500, 503}) {
    auto res = fetch(client, make_request(srv.url("/" + std::to_string(status))));
    EXPECT_EQ(res.status, status);
    EXPECT_EQ(res.error, "");
    EXPECT_NE(res.body.find("nope"), std::string::npos);
  }
}

TEST(http_client, sequential_requests_reuse_one_connection) {
  test_server srv{echo_handler()};
  http_client client;
  for (int i = 0; i < 50; ++i) {
    auto res = fetch(client, make_request(srv.url("/seq"), "POST", "n" + std::to_string(i)));
    ASSERT_EQ(res.status, 200) << res.error;
    EXPECT_EQ(res.body, "n" + std::to_string(i));
    EXPECT_EQ(client.open_connections(), 1u);
    EXPECT_LE(srv.server.open_connections(), 1u);
  }
  EXPECT_EQ(client.connects(), 1u);  // pooled again before `done` ran
  EXPECT_EQ(client.retries(), 0u);
}

TEST(http_client, concurrent_requests_from_many_threads_complete_exactly_once) {
  http_server_settings ss;
  ss.threads = 2;
  test_server srv{[](http_request&& req, respond_fn respond) {
                    http_response res;
                    res.body = "echo:" + req.body;
                    res.headers.emplace_back("x-id", req.body);
                    respond(std::move(res));
                  },
                  ss};
  http_client_settings cs;
  cs.threads = 2;
  http_client client{cs};

  constexpr int n = 200;
  std::vector<std::atomic<int>> calls(n);
  std::vector<client_response> results(n);
  std::mutex m;
  std::condition_variable cv;
  int finished = 0;
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t)
    submitters.emplace_back([&, t] {
      for (int i = t; i < n; i += 4) {
        client.request(make_request(srv.url("/c"), "POST", std::to_string(i)),
                       [&, i](client_response r) {
                         calls[i]++;
                         std::lock_guard<std::mutex> g{m};
                         results[i] = std::move(r);
                         ++finished;
                         cv.notify_all();
                       });
      }
    });
  for (auto& t : submitters) t.join();
  {
    std::unique_lock<std::mutex> l{m};
    ASSERT_TRUE(cv.wait_for(l, 30s, [&] { return finished == n; })) << finished << " of " << n;
  }
  std::this_thread::sleep_for(50ms);  // a second completion would show up now
  std::lock_guard<std::mutex> g{m};
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(calls[i].load(), 1) << i;
    EXPECT_EQ(results[i].status, 200) << i << " " << results[i].error;
    EXPECT_EQ(results[i].body, "echo:" + std::to_string(i));
    EXPECT_EQ(results[i].header("x-id"), std::to_string(i));
  }
  EXPECT_LE(client.open_connections(), 16u);
  EXPECT_LE(client.connects(), 16u + 2u);
}

TEST(http_client, requests_beyond_max_connections_queue_per_host) {
  auto held = std::make_shared<parked>();
  test_server srv{
      [held](http_request&&, respond_fn respond) { held->add(std::move(respond)); }, {}, held};
  http_client_settings cs;
  cs.max_connections_per_host = 2;
  http_client client{cs};
  completions done;
  for (int i = 0; i < 5; ++i) client.request(make_request(srv.url("/q")), done.callback());

  ASSERT_TRUE(held->wait_for(2));
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(held->size(), 2u);  // the other three wait for a connection
  EXPECT_EQ(client.open_connections(), 2u);

  std::size_t answered = 0;
  while (answered < 5) {
    auto batch = held->size();
    ASSERT_GT(batch, 0u);
    held->answer_all();
    answered += batch;
    ASSERT_TRUE(done.wait_for(answered));
    if (answered < 5) {
      ASSERT_TRUE(held->wait_for(std::min<std::size_t>(2, 5 - answered)));
    }
  }
  EXPECT_EQ(done.size(), 5u);
  for (auto& r : done.got) {
    EXPECT_EQ(r.status, 200);
  }
  EXPECT_EQ(client.connects(), 2u);
}

TEST(http_client, timeout_reports_timed_out_and_the_late_answer_is_harmless) {
  auto held = std::make_shared<parked>();
  test_server srv{[held](http_request&& req, respond_fn respond) {
                    if (req.path == "/slow") return held->add(std::move(respond));
                    respond(json_ok(200, "fast"));
                  },
                  {},
                  held};
  http_client client;
  completions done;
  auto req = make_request(srv.url("/slow"));
  req.timeout = 300ms;
  auto t0 = steady::now();
  client.request(req, done.callback());
  ASSERT_TRUE(done.wait_for(1, 5000ms));
  auto elapsed = steady::now() - t0;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2000ms);
  {
    std::lock_guard<std::mutex> g{done.m};
    EXPECT_TRUE(done.got[0].timed_out);
    EXPECT_EQ(done.got[0].status, 0);
    EXPECT_EQ(done.got[0].error, "timeout");
  }
  ASSERT_TRUE(held->wait_for(1));
  held->answer_all();  // to a connection the client already dropped
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_TRUE(eventually([&] { return client.open_connections() == 0; }));

  auto res = fetch(client, make_request(srv.url("/fast")));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "fast");
}

TEST(http_client, connection_refused_fails_fast) {
  http_client client;
  auto t0 = steady::now();
  auto res = fetch(client, make_request("http://127.0.0.1:" + std::to_string(unused_port()) + "/"));
  EXPECT_LT(steady::now() - t0, 2000ms);
  EXPECT_EQ(res.status, 0);
  EXPECT_FALSE(res.timed_out);
  EXPECT_EQ(res.error.rfind("connection refused: ", 0), 0u) << res.error;
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST(http_client, stale_keep_alive_connection_is_retried_on_a_fresh_one) {
  std::atomic<int> handled{0};
  http_server_settings ss;
  ss.idle_timeout = 50ms;  // the server drops keep-alive connections quickly
  test_server srv{[&](http_request&& req, respond_fn respond) {
                    ++handled;
                    respond(json_ok(200, req.body));
                  },
                  ss};
  http_client client;
  ASSERT_EQ(fetch(client, make_request(srv.url("/a"), "POST", "one")).status, 200);
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(eventually([&] { return srv.server.open_connections() == 0; }));
  EXPECT_EQ(client.open_connections(), 1u);  // the client still thinks it is usable

  auto res = fetch(client, make_request(srv.url("/b"), "POST", "two"));
  EXPECT_EQ(res.status, 200) << res.error;
  EXPECT_EQ(res.body, "two");
  EXPECT_EQ(client.retries(), 1u);
  EXPECT_EQ(client.connects(), 2u);
  EXPECT_EQ(handled.load(), 2);  // no duplicate delivery
}

TEST(http_client, stop_completes_in_flight_and_queued_requests_with_stopped) {
  auto held = std::make_shared<parked>();
  test_server srv{
      [held](http_request&&, respond_fn respond) { held->add(std::move(respond)); }, {}, held};
  http_client_settings cs;
  cs.max_connections_per_host = 2;
  cs.threads = 2;
  http_client client{cs};
  std::vector<std::atomic<int>> calls(6);
  completions done;
  for (int i = 0; i < 6; ++i)
    client.request(make_request(srv.url("/hang")), [&, i, cb = done.callback()](auto r) {
      calls[i]++;
      cb(std::move(r));
    });
  ASSERT_TRUE(held->wait_for(2));

  auto t0 = steady::now();
  client.stop();
  EXPECT_LT(steady::now() - t0, 3000ms);
  ASSERT_EQ(done.size(), 6u);
  for (auto& r : done.got) {
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.error, "stopped");
  }
  for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  EXPECT_EQ(client.open_connections(), 0u);

  auto after = fetch(client, make_request(srv.url("/late")));
  EXPECT_EQ(after.error, "stopped");
  client.stop();  // idempotent
}

TEST(http_client, idle_connections_close_after_idle_timeout) {
  test_server srv{echo_handler()};
  http_client_settings cs;
  cs.idle_timeout = 100ms;
  http_client client{cs};
  ASSERT_EQ(fetch(client, make_request(srv.url("/"))).status, 200);
  EXPECT_EQ(client.open_connections(), 1u);
  EXPECT_TRUE(eventually([&] { return client.open_connections() == 0; }));
  EXPECT_TRUE(eventually([&] { return srv.server.open_connections() == 0; }));
  EXPECT_EQ(fetch(client, make_request(srv.url("/"))).status, 200);
  EXPECT_EQ(client.connects(), 2u);
  EXPECT_EQ(client.retries(), 0u);
}

TEST(http_client, connection_close_is_honoured) {
  test_server srv{echo_handler()};
  http_client client;
  auto req = make_request(srv.url("/"), "POST", "x");
  req.headers = {{"Connection", "close"}};  // http_server then answers with Connection: close
  auto res = fetch(client, req);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("connection"), "close");
  EXPECT_TRUE(eventually([&] { return client.open_connections() == 0; }));
  EXPECT_EQ(fetch(client, make_request(srv.url("/"))).status, 200);
  EXPECT_EQ(client.connects(), 2u);
}

TEST(http_client, invalid_requests_complete_with_an_error) {
  http_client client;
  auto bad_url = fetch(client, make_request("ftp://example.com/"));
  EXPECT_EQ(bad_url.status, 0);
  EXPECT_EQ(bad_url.error, "invalid url");

  auto injected = make_request("http://127.0.0.1:1/");
  injected.headers = {{"X-Evil", "a\r\nX-Injected: 1"}};
  EXPECT_EQ(fetch(client, injected).error.rfind("invalid header", 0), 0u);

  auto bad_method = make_request("http://127.0.0.1:1/", "GET /x");
  EXPECT_EQ(fetch(client, bad_method).error, "invalid method");
}

// ---------------------------------------------------------------------------------------------
// parse_url

TEST(parse_url, table) {
  struct row {
    const char* in;
    bool ok;
    const char* scheme = "";
    const char* host = "";
    const char* port = "";
    const char* target = "";
  };
  const row rows[] = {
      {"http://example.com", true, "http", "example.com", "80", "/"},
      {"https://graph.facebook.com/v21.0/123/messages", true, "https", "graph.facebook.com", "443",
       "/v21.0/123/messages"},
      {"HTTP://Example.COM:8080/a/b?x=1&y=2", true, "http", "example.com", "8080", "/a/b?x=1&y=2"},
      {"http://127.0.0.1:9000?q=1", true, "http", "127.0.0.1", "9000", "/?q=1"},
      {"http://h/p#frag", true, "http", "h", "80", "/p"},
      {"https://[::1]:8443/x", true, "https", "::1", "8443", "/x"},
      {"http://[::1]/", true, "http", "::1", "80", "/"},
      {"http://h:/", true, "http", "h", "80", "/"},
      {"https://h:0443/", true, "https", "h", "443", "/"},
      {"", false},
      {"example.com/path", false},
      {"ftp://example.com/", false},
      {"http://", false},
      {"http:///path", false},
      {"http://h:0/", false},
      {"http://h:65536/", false},
      {"http://h:80x/", false},
      {"http://h:1:2/", false},
      {"http://[::1/", false},
      {"http://[::1]x/", false},
      {"http://[nope]/", false},
      {"http://user:pw@h/", false},
      {"http://h/a b", false},
      {"http://h/a\r\nHost: evil", false},
  };
  for (const auto& r : rows) {
    auto u = parse_url(r.in);
    ASSERT_EQ(u.has_value(), r.ok) << r.in;
    if (!u) continue;
    EXPECT_EQ(u->scheme, r.scheme) << r.in;
    EXPECT_EQ(u->host, r.host) << r.in;
    EXPECT_EQ(u->port, r.port) << r.in;
    EXPECT_EQ(u->target, r.target) << r.in;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTPS against a small synchronous TLS server

namespace {

namespace fs = std::filesystem;

/// Makes a self-signed certificate with the openssl CLI; false when that is not possible.
bool make_cert(const fs::path& dir, const std::string& name, const std::string& san) {
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -days 2 -subj /CN=" +
      name + " -addext subjectAltName=" + san + " -keyout " + (dir / (name + ".key")).string() +
      " -out " + (dir / (name + ".pem")).string() + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

/// One thread accepts, one thread per connection answers "METHOD target body" with keep-alive
/// (except for target /close). Blocking calls keep it short; the client under test is the
/// interesting part.
class tls_server {
 public:
  tls_server(const fs::path& cert, const fs::path& key) {
    ctx_.use_certificate_chain_file(cert.string());
    ctx_.use_private_key_file(key.string(), net::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~tls_server() {
    stopping_ = true;
    {  // wake the blocking accept
      net::io_context ioc;
      tcp::socket s{ioc};
      beast::error_code ec;
      s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
    }
    accept_thread_.join();
    {
      std::lock_guard<std::mutex> g{m_};
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : sessions_) t.join();
  }
  int accepted() const { return accepted_.load(); }
  int handshakes_failed() const { return handshakes_failed_.load(); }
  std::string url(const std::string& host, const std::string& target) const {
    return "https://" + host + ":" + std::to_string(port) + target;
  }

  uint16_t port = 0;

 private:
  void accept_loop() {
    for (;;) {
      tcp::socket sock{ioc_};
      beast::error_code ec;
      acceptor_.accept(sock, ec);
      if (stopping_ || ec) return;
      ++accepted_;
      {
        std::lock_guard<std::mutex> g{m_};
        open_fds_.push_back(sock.native_handle());
      }
      sessions_.emplace_back([this, s = std::move(sock)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(tcp::socket sock) {
    int fd = sock.native_handle();
    beast::ssl_stream<tcp::socket> stream{std::move(sock), ctx_};
    beast::error_code ec;
    stream.handshake(net::ssl::stream_base::server, ec);
    if (ec) ++handshakes_failed_;
    beast::flat_buffer buf;
    while (!ec) {
      bhttp::request<bhttp::string_body> req;
      bhttp::read(stream, buf, req, ec);
      if (ec) break;
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.set("x-tls", "yes");
      res.body() =
          std::string(req.method_string()) + " " + std::string(req.target()) + " " + req.body();
      res.keep_alive(req.keep_alive() && req.target() != "/close");
      res.prepare_payload();
      bhttp::write(stream, res, ec);
      if (!res.keep_alive()) break;
    }
    std::lock_guard<std::mutex> g{m_};  // deregister before the fd number can be reused
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    beast::error_code ignored;
    stream.next_layer().close(ignored);
  }

  net::io_context ioc_;
  net::ssl::context ctx_{net::ssl::context::tls_server};
  tcp::acceptor acceptor_{ioc_};
  std::thread accept_thread_;
  std::vector<std::thread> sessions_;  // touched by the accept thread, joined after it
  std::mutex m_;
  std::vector<int> open_fds_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> handshakes_failed_{0};
};

class https : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/parley-http-client-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    dir_ = tmpl;
    certs_ok_ = make_cert(dir_, "localhost", "DNS:localhost,IP:127.0.0.1") &&
                make_cert(dir_, "other", "DNS:other.example");
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (!certs_ok_) GTEST_SKIP() << "openssl CLI could not make a test certificate";
  }
  static std::unique_ptr<tls_server> server(const std::string& name) {
    return std::make_unique<tls_server>(dir_ / (name + ".pem"), dir_ / (name + ".key"));
  }
  static std::string ca(const std::string& name) { return (dir_ / (name + ".pem")).string(); }

  static inline fs::path dir_;
  static inline bool certs_ok_ = false;
};

}  // namespace

TEST_F(https, round_trip_without_verification_and_reuse) {
  auto srv = server("localhost");
  http_client_settings cs;
  cs.verify_tls = false;
  http_client client{cs};
  for (int i = 0; i < 3; ++i) {
    auto res = fetch(client, make_request(srv->url("127.0.0.1", "/echo?x=1"), "POST", "hi"));
    ASSERT_EQ(res.status, 200) << res.error;
    EXPECT_EQ(res.body, "POST /echo?x=1 hi");
    EXPECT_EQ(res.header("x-tls"), "yes");
  }
  EXPECT_EQ(srv->accepted(), 1);
  EXPECT_EQ(client.connects(), 1u);
}

TEST_F(https, verifies_peer_and_host_against_ca_file) {
  auto srv = server("localhost");
  http_client_settings cs;
  cs.ca_file = ca("localhost");
  http_client client{cs};
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto res = fetch(client, make_request(srv->url(host, "/v")));
    EXPECT_EQ(res.status, 200) << host << ": " << res.error;
    EXPECT_EQ(res.body, "GET /v ");
  }
}

TEST_F(https, rejects_an_untrusted_certificate) {
  auto srv = server("localhost");
  http_client client;  // system CAs only
  auto res = fetch(client, make_request(srv->url("localhost", "/")));
  EXPECT_EQ(res.status, 0);
  EXPECT_EQ(res.error.rfind("tls handshake failed: ", 0), 0u) << res.error;
  EXPECT_NE(res.error.find("self-signed"), std::string::npos) << res.error;
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST_F(https, rejects_a_certificate_for_another_host) {
  auto srv = server("other");
  http_client_settings cs;
  cs.ca_file = ca("other");
  http_client client{cs};
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto res = fetch(client, make_request(srv->url(host, "/")));
    EXPECT_EQ(res.status, 0) << host;
    EXPECT_NE(res.error.find("mismatch"), std::string::npos) << host << ": " << res.error;
  }
}

TEST_F(https, connection_close_from_server_is_honoured) {
  auto srv = server("localhost");
  http_client_settings cs;
  cs.verify_tls = false;
  http_client client{cs};
  auto res = fetch(client, make_request(srv->url("127.0.0.1", "/close")));
  EXPECT_EQ(res.status, 200) << res.error;
  EXPECT_TRUE(eventually([&] { return client.open_connections() == 0; }));
  EXPECT_EQ(fetch(client, make_request(srv->url("127.0.0.1", "/close"))).status, 200);
  EXPECT_EQ(srv->accepted(), 2);
}

TEST(http_client, missing_ca_file_throws) {
  http_client_settings cs;
  cs.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(http_client{cs}, std::runtime_error);
}
