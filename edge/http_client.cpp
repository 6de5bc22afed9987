// Asynchronous, pooled HTTP/1.1 + HTTPS client: Beast streams on the client's own Asio threads.
//
// Owned by the node or a test. An `exchange` is one request from submit to completion; a
// `connection` runs one exchange at a time on its strand and is pooled per origin
// (scheme://host:port) while idle. The pool bookkeeping (hosts, live) sits behind one mutex in
// impl that is never held while user code (`done`) runs.
#include "edge/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace parley::edge {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using strand_t = net::strand<net::io_context::executor_type>;

namespace {

constexpr char kUserAgent[] = "parley/0.1";
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// stop() waits this long for in-flight work (e.g. a getaddrinfo call) before forcing the end.
constexpr auto kStopGrace = std::chrono::seconds{5};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// RFC 7230 tchar: what a method or header name may contain.
bool is_token(std::string_view s) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || extra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// CR/LF/NUL in a value would let a caller inject headers or split the request.
bool is_field_value(std::string_view s) {
  return s.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

std::string validate(const client_request& req) {
  if (!is_token(req.method)) return "invalid method";
  for (const auto& [name, value] : req.headers)
    if (!is_token(name) || !is_field_value(value)) return "invalid header: " + name;
  return {};
}

client_response failure(std::string error, bool timed_out = false) {
  client_response res;
  res.error = std::move(error);
  res.timed_out = timed_out;
  return res;
}

std::string host_header(const parsed_url& u) {
  std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  bool default_port =
      (u.scheme == "http" && u.port == "80") || (u.scheme == "https" && u.port == "443");
  return default_port ? h : h + ":" + u.port;
}

std::string origin_key(const parsed_url& u) {
  return u.scheme + "://" + host_header(u);
}

}  // namespace

std::string_view client_response::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

class connection;

/// One request from submit to completion. `finished` decides the single completion; the
/// deadline timer lives on the exchange's own strand so that cancelling it never races.
struct exchange {
  explicit exchange(net::io_context& ioc) : strand(net::make_strand(ioc)), timer(strand) {}

  std::uint64_t id = 0;
  client_request req;
  parsed_url url;
  std::function<void(client_response)> done;
  std::chrono::steady_clock::time_point deadline;
  strand_t strand;
  net::steady_timer timer;
  std::atomic<bool> finished{false};
  bool retried = false;  // touched only on the strand of the connection running it

  std::mutex mtx;                  // guards conn
  std::weak_ptr<connection> conn;  // who runs it now, so a timeout or stop can abort it
};

struct host_state {
  std::set<std::shared_ptr<connection>> all;      // busy + idle
  std::vector<std::shared_ptr<connection>> idle;  // most recently used at the back
  std::deque<std::shared_ptr<exchange>> queue;    // waiting for a connection
};

struct http_client::impl {
  explicit impl(http_client_settings s);

  void submit(client_request req, std::function<void(client_response)> done);
  bool finish(const std::shared_ptr<exchange>& ex, client_response res);
  void release(const std::shared_ptr<connection>& c);
  void discard(const std::shared_ptr<connection>& c);
  void expire_idle(const std::shared_ptr<connection>& c);
  void stop();
  std::size_t open_connections();

  std::shared_ptr<connection> make_connection(const parsed_url& origin);
  std::shared_ptr<exchange> pop_live(host_state& h);  // caller holds mtx
  void run_threads();

  http_client_settings settings;
  ssl::context tls{ssl::context::tls_client};
  std::atomic<std::size_t> connects{0};
  std::atomic<std::size_t> retries{0};

  std::mutex mtx;  // guards stopping, next_id, live, hosts
  bool stopping = false;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<exchange>> live;
  std::map<std::string, host_state> hosts;

  std::mutex stop_mtx;  // held through stop(): a second caller waits for the first
  bool stopped = false;
  std::mutex run_mtx;  // guards running
  std::condition_variable threads_done;
  int running = 0;

  // Declared last: destroyed first, so handlers it still holds go before the state above.
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

/// A pooled keep-alive connection to one origin. Everything but the post_* entry points runs on
/// its strand. While `current_` is set exactly one async operation is outstanding, so closing
/// the socket always produces a completion that cleans up.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(http_client::impl& owner, parsed_url origin)
      : owner_(owner),
        origin_(std::move(origin)),
        key_(origin_key(origin_)),
        strand_(net::make_strand(owner.ioc)),
        resolver_(strand_),
        idle_timer_(strand_) {}

  const std::string& key() const { return key_; }

  void post_start(std::shared_ptr<exchange> ex) {
    net::post(strand_, [self = shared_from_this(), ex = std::move(ex)]() mutable {
      self->start(std::move(ex));
    });
  }
  /// The exchange completed elsewhere (timeout, stop): drop the work if still on it.
  void post_abandon(std::shared_ptr<exchange> ex) {
    net::post(strand_, [self = shared_from_this(), ex = std::move(ex)] {
      if (self->current_ == ex) self->close();
    });
  }
  void post_shutdown() {
    net::post(strand_, [self = shared_from_this()] { self->close(); });
  }

  void start(std::shared_ptr<exchange> ex);  // on strand
  void park();                               // on strand: idle in the pool
  void close();                              // on strand

 private:
  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*plain_);
  }
  bool gone() const { return current_->finished.load(); }
  const std::chrono::steady_clock::time_point& deadline() const { return current_->deadline; }

  void open();
  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results);
  void on_connect(beast::error_code ec);
  std::string setup_tls();
  void on_handshake(beast::error_code ec);
  void build_message();
  void send();
  void on_write(beast::error_code ec);
  void on_read(beast::error_code ec, std::size_t n);
  void retry_or_fail(const char* what, beast::error_code ec, bool nothing_received);
  void fail(client_response res);
  void complete(client_response res, bool reusable);
  void drop();

  http_client::impl& owner_;
  parsed_url origin_;
  std::string key_;
  strand_t strand_;
  tcp::resolver resolver_;
  net::steady_timer idle_timer_;
  unsigned idle_generation_ = 0;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> message_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::shared_ptr<exchange> current_;
  bool connected_ = false;
  bool reused_ = false;
};

// ---------------------------------------------------------------------------------------------
// connection

void connection::start(std::shared_ptr<exchange> ex) {
  ++idle_generation_;
  idle_timer_.cancel();
  current_ = std::move(ex);
  {
    std::lock_guard<std::mutex> guard{current_->mtx};
    current_->conn = weak_from_this();
  }
  if (gone()) {  // timed out or stopped while queued: the connection itself is still fine
    current_.reset();
    return connected_ ? owner_.release(shared_from_this()) : drop();
  }
  if (auto err = [&]() -> std::string {
        try {
          build_message();
          return {};
        } catch (const std::exception& e) {
          return std::string{"invalid request: "} + e.what();
        }
      }();
      !err.empty()) {
    return complete(failure(err), connected_);
  }
  reused_ = connected_;
  connected_ ? send() : open();
}

void connection::build_message() {
  auto& req = current_->req;
  message_ = {};
  message_.version(11);
  auto verb = http::string_to_verb(req.method);
  if (verb == http::verb::unknown)
    message_.method_string(req.method);
  else
    message_.method(verb);
  message_.target(current_->url.target);
  message_.set(http::field::host, host_header(origin_));
  message_.set(http::field::user_agent, kUserAgent);
  message_.keep_alive(true);
  for (const auto& [name, value] : req.headers) {
    auto n = lower(name);
    if (n == "content-length" || n == "transfer-encoding") continue;  // ours describe the body
    if (n == "host" || n == "user-agent")
      message_.set(n, value);
    else
      message_.insert(name, value);
  }
  message_.body() = std::move(req.body);  // kept in message_ for a possible retry
  message_.prepare_payload();
}

void connection::open() {
  close();
  buffer_.clear();
  if (origin_.scheme == "https")
    tls_.emplace(strand_, owner_.tls);
  else
    plain_.emplace(strand_);
  // The resolver has no timeout of its own; the exchange's deadline timer aborts it.
  resolver_.async_resolve(
      origin_.host, origin_.port,
      [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
        self->on_resolve(ec, results);
      });
}

void connection::on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
  if (ec) return retry_or_fail("resolve failed: ", ec, false);
  if (gone()) return drop();
  tcp().expires_at(deadline());
  tcp().async_connect(results,
                      [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                        self->on_connect(ec);
                      });
}

void connection::on_connect(beast::error_code ec) {
  if (ec == net::error::connection_refused) return retry_or_fail("connection refused: ", ec, false);
  if (ec) return retry_or_fail("connect failed: ", ec, false);
  if (gone()) return drop();
  ++owner_.connects;
  if (!tls_) {
    connected_ = true;
    return send();
  }
  if (auto err = setup_tls(); !err.empty()) return fail(failure(err));
  tcp().expires_at(deadline());
  tls_->async_handshake(
      ssl::stream_base::client,
      [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
}

std::string connection::setup_tls() {
  SSL* s = tls_->native_handle();
  const std::string& host = origin_.host;
  bool ip = is_ip_literal(host);
  // SNI must not carry an IP literal (RFC 6066); name checks go through OpenSSL's own
  // verification so a mismatch is reported as such ("hostname mismatch").
  if (!ip && SSL_set_tlsext_host_name(s, host.c_str()) != 1) return "tls setup failed: SNI";
  if (!owner_.settings.verify_tls) {
    tls_->set_verify_mode(ssl::verify_none);
    return {};
  }
  int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host.c_str())
              : SSL_set1_host(s, host.c_str());
  if (ok != 1) return "tls setup failed: cannot set expected host";
  tls_->set_verify_mode(ssl::verify_peer);
  return {};
}

void connection::on_handshake(beast::error_code ec) {
  if (gone()) return drop();
  if (ec == beast::error::timeout) return fail(failure("timeout", true));
  if (ec) {
    std::string msg = "tls handshake failed: " + ec.message();
    long verify = SSL_get_verify_result(tls_->native_handle());
    if (verify != X509_V_OK) msg += std::string{" ("} + X509_verify_cert_error_string(verify) + ")";
    return fail(failure(msg));
  }
  connected_ = true;
  send();
}

void connection::send() {
  tcp().expires_at(deadline());
  with_stream([this](auto& stream) {
    http::async_write(
        stream, message_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  });
}

void connection::on_write(beast::error_code ec) {
  if (ec) return retry_or_fail("write failed: ", ec, true);
  if (gone()) return drop();
  parser_.emplace();
  parser_->body_limit(owner_.settings.body_limit);
  parser_->header_limit(kHeaderLimit);
  if (message_.method() == http::verb::head) parser_->skip(true);  // no body follows
  tcp().expires_at(deadline());
  with_stream([this](auto& stream) {
    http::async_read(
        stream, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  });
}

void connection::on_read(beast::error_code ec, std::size_t n) {
  if (ec) return retry_or_fail("read failed: ", ec, n == 0 && buffer_.size() == 0);
  auto msg = parser_->release();
  parser_.reset();
  bool keep = msg.keep_alive();
  client_response res;
  res.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg)
    res.headers.emplace_back(lower({field.name_string().data(), field.name_string().size()}),
                             std::string(field.value()));
  res.body = std::move(msg.body());
  complete(std::move(res), keep);  // !keep: the server said Connection: close (or HTTP/1.0)
}

// A reused keep-alive connection the server had already closed fails on write, or on read
// before any byte. The request almost surely never reached a handler, so it gets one fresh
// attempt; a server that read it and then died without a byte of answer would see it twice.
void connection::retry_or_fail(const char* what, beast::error_code ec, bool nothing_received) {
  if (gone()) return drop();
  if (ec == beast::error::timeout) return fail(failure("timeout", true));
  if (reused_ && nothing_received && !current_->retried) {
    current_->retried = true;
    ++owner_.retries;
    connected_ = false;
    reused_ = false;
    return open();
  }
  fail(failure(what + ec.message()));
}

void connection::fail(client_response res) {
  complete(std::move(res), false);
}

// The connection goes back to the pool (or away) before `done` runs, so a caller that sends
// its next request from `done` finds it idle instead of opening another one.
void connection::complete(client_response res, bool reusable) {
  auto ex = std::move(current_);
  {
    std::lock_guard<std::mutex> guard{ex->mtx};
    ex->conn.reset();  // nothing left to abort
  }
  if (reusable) {
    tcp().expires_never();
    owner_.release(shared_from_this());
  } else {
    close();
    owner_.discard(shared_from_this());
  }
  owner_.finish(ex, std::move(res));
}

void connection::drop() {
  close();
  current_.reset();
  owner_.discard(shared_from_this());
}

void connection::park() {
  auto generation = ++idle_generation_;
  idle_timer_.expires_after(owner_.settings.idle_timeout);
  idle_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (!ec && generation == self->idle_generation_) self->owner_.expire_idle(self);
  });
}

void connection::close() {
  ++idle_generation_;
  idle_timer_.cancel();
  resolver_.cancel();
  connected_ = false;
  // No TLS close_notify: the peer learns from the TCP close, and waiting for its answer would
  // hold the connection open for nothing.
  if (plain_ || tls_) tcp().close();
}

// ---------------------------------------------------------------------------------------------
// impl

http_client::impl::impl(http_client_settings s) : settings(std::move(s)) {
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls.set_default_verify_paths(ec);  // a box without a system bundle can still use ca_file
  if (!settings.ca_file.empty()) {
    tls.load_verify_file(settings.ca_file, ec);
    if (ec)
      throw std::runtime_error("http_client: cannot load CA file '" + settings.ca_file +
                               "': " + ec.message());
  }
  if (settings.max_connections_per_host == 0) settings.max_connections_per_host = 1;
  run_threads();
}

void http_client::impl::run_threads() {
  work.emplace(ioc.get_executor());
  int n = std::max(1, settings.threads);
  running = n;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([this] {
      for (;;) {
        try {
          ioc.run();
          break;
        } catch (...) {  // a throwing handler must not take the whole client down
        }
      }
      std::lock_guard<std::mutex> guard{run_mtx};
      --running;
      threads_done.notify_all();
    });
}

std::shared_ptr<connection> http_client::impl::make_connection(const parsed_url& origin) {
  return std::make_shared<connection>(*this,
                                      parsed_url{origin.scheme, origin.host, origin.port, {}});
}

void http_client::impl::submit(client_request req, std::function<void(client_response)> done) {
  if (!done) done = [](client_response) {};
  auto url = parse_url(req.url);
  std::string invalid = url ? validate(req) : "invalid url";
  std::shared_ptr<connection> conn;
  std::shared_ptr<exchange> ex;
  {
    std::unique_lock<std::mutex> lock{mtx};
    if (stopping) {
      lock.unlock();
      done(failure("stopped"));
      return;
    }
    if (!invalid.empty()) {  // still completes on our threads, as promised
      net::post(ioc, [done = std::move(done), invalid]() { done(failure(invalid)); });
      return;
    }
    ex = std::make_shared<exchange>(ioc);
    ex->id = next_id++;
    ex->url = std::move(*url);
    ex->deadline = std::chrono::steady_clock::now() + req.timeout;
    ex->req = std::move(req);
    ex->done = std::move(done);
    // Armed before the exchange is visible to any other thread, so no cancel can race it.
    ex->timer.expires_at(ex->deadline);
    ex->timer.async_wait([this, ex](beast::error_code ec) {
      if (!ec) finish(ex, failure("timeout", true));
    });
    live.emplace(ex->id, ex);
    auto& h = hosts[origin_key(ex->url)];
    if (!h.idle.empty()) {
      conn = std::move(h.idle.back());
      h.idle.pop_back();
    } else if (h.all.size() < settings.max_connections_per_host) {
      conn = make_connection(ex->url);
      h.all.insert(conn);
    } else {
      h.queue.push_back(ex);
    }
  }
  if (conn) conn->post_start(std::move(ex));
}

bool http_client::impl::finish(const std::shared_ptr<exchange>& ex, client_response res) {
  if (ex->finished.exchange(true)) return false;
  {
    std::lock_guard<std::mutex> guard{mtx};
    live.erase(ex->id);
  }
  net::post(ex->strand, [ex] { ex->timer.cancel(); });
  std::shared_ptr<connection> conn;
  {
    std::lock_guard<std::mutex> guard{ex->mtx};
    conn = ex->conn.lock();
  }
  if (conn) conn->post_abandon(ex);
  auto done = std::move(ex->done);
  try {
    done(std::move(res));
  } catch (...) {  // the caller's bug; the exchange is complete either way
  }
  return true;
}

std::shared_ptr<exchange> http_client::impl::pop_live(host_state& h) {
  while (!h.queue.empty()) {
    auto ex = std::move(h.queue.front());
    h.queue.pop_front();
    if (!ex->finished.load()) return ex;
  }
  return nullptr;
}

void http_client::impl::release(const std::shared_ptr<connection>& c) {
  std::shared_ptr<exchange> next;
  bool parked = false;
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto it = hosts.find(c->key());
    if (stopping || it == hosts.end()) {
      if (it != hosts.end()) it->second.all.erase(c);
    } else {
      next = pop_live(it->second);
      parked = !next;
      if (parked) it->second.idle.push_back(c);
    }
  }
  if (next)
    c->start(std::move(next));  // already on c's strand
  else if (parked)
    c->park();
  else
    c->close();
}

void http_client::impl::discard(const std::shared_ptr<connection>& c) {
  std::shared_ptr<connection> fresh;
  std::shared_ptr<exchange> next;
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto it = hosts.find(c->key());
    if (it == hosts.end()) return;
    auto& h = it->second;
    h.all.erase(c);
    h.idle.erase(std::remove(h.idle.begin(), h.idle.end(), c), h.idle.end());
    if (!stopping) next = pop_live(h);
    if (next) {  // the freed slot goes to the next waiting request
      fresh = make_connection(next->url);
      h.all.insert(fresh);
    } else if (h.all.empty() && h.queue.empty()) {
      hosts.erase(it);
    }
  }
  if (fresh) fresh->post_start(std::move(next));
}

void http_client::impl::expire_idle(const std::shared_ptr<connection>& c) {
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto it = hosts.find(c->key());
    if (it == hosts.end()) return;
    auto& idle = it->second.idle;
    auto pos = std::find(idle.begin(), idle.end(), c);
    if (pos == idle.end()) return;  // taken for a request just before the timer fired
    idle.erase(pos);
    it->second.all.erase(c);
    if (it->second.all.empty() && it->second.queue.empty()) hosts.erase(it);
  }
  c->close();
}

std::size_t http_client::impl::open_connections() {
  std::lock_guard<std::mutex> guard{mtx};
  std::size_t n = 0;
  for (const auto& [key, h] : hosts) n += h.all.size();
  return n;
}

void http_client::impl::stop() {
  std::lock_guard<std::mutex> stop_guard{stop_mtx};
  if (stopped) return;
  std::vector<std::shared_ptr<exchange>> pending;
  std::vector<std::shared_ptr<connection>> conns;
  {
    std::lock_guard<std::mutex> guard{mtx};
    stopping = true;
    for (auto& [id, ex] : live) pending.push_back(ex);
    for (auto& [key, h] : hosts) {
      conns.insert(conns.end(), h.all.begin(), h.all.end());
      h.queue.clear();
    }
  }
  for (auto& ex : pending) net::post(ioc, [this, ex] { finish(ex, failure("stopped")); });
  for (auto& c : conns) c->post_shutdown();
  work.reset();
  // Normally the aborted operations drain within milliseconds; a resolver stuck in
  // getaddrinfo must not hold the owner's shutdown hostage.
  {
    std::unique_lock<std::mutex> lock{run_mtx};
    if (!threads_done.wait_for(lock, kStopGrace, [this] { return running == 0; })) ioc.stop();
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
  threads.clear();
  for (auto& ex : pending) finish(ex, failure("stopped"));  // only if ioc.stop() cut them off
  {
    std::lock_guard<std::mutex> guard{mtx};
    hosts.clear();
    live.clear();
  }
  stopped = true;
}

// ---------------------------------------------------------------------------------------------
// http_client

http_client::http_client(http_client_settings s) : impl_(std::make_unique<impl>(std::move(s))) {}

http_client::~http_client() {
  stop();
}

void http_client::request(client_request req, std::function<void(client_response)> done) {
  impl_->submit(std::move(req), std::move(done));
}

void http_client::stop() {
  impl_->stop();
}

std::size_t http_client::open_connections() const {
  return impl_->open_connections();
}

std::size_t http_client::connects() const {
  return impl_->connects.load();
}

std::size_t http_client::retries() const {
  return impl_->retries.load();
}

// ---------------------------------------------------------------------------------------------
// parse_url

std::optional<parsed_url> parse_url(std::string_view url) {
  if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
    return std::nullopt;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  parsed_url out;
  out.scheme = lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  auto rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  auto tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials

  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) port = after.substr(1);
    beast::error_code ec;
    net::ip::make_address_v6(std::string(host), ec);
    if (ec) return std::nullopt;
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (port.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  out.host = lower(host);

  if (port.empty()) {
    out.port = out.scheme == "https" ? "443" : "80";
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
      return std::nullopt;
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return std::nullopt;
    out.port = std::to_string(p);
  }

  tail = tail.substr(0, tail.find('#'));
  out.target = std::string(tail);
  if (out.target.empty() || out.target.front() == '?') out.target.insert(0, "/");
  return out;
}

}  // namespace parley::edge
