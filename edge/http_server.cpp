#include "edge/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "edge/http_errors.hpp"

namespace parley::edge {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
template <class View>
std::string str(const View& v) {
  return std::string(v.data(), v.size());
}
}  // namespace

class session;

// Sessions and handlers point back here with a raw pointer: the io_context is a member, so
// whatever it still holds is destroyed before the members declared above it.
struct http_server::impl {
  http_server_settings settings;
  handler_fn handler;
  std::atomic<std::size_t> open{0};
  std::atomic<bool> stopping{false};
  std::mutex mtx;
  std::set<std::weak_ptr<session>, std::owner_less<std::weak_ptr<session>>> sessions;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;

  impl(http_server_settings s, handler_fn h) : settings(std::move(s)), handler(std::move(h)) {}
  void do_accept();
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, http_server::impl* srv) : stream_(std::move(socket)), srv_(srv) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  /// Called from stop(): close if idle, else let the answer close the connection.
  void shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(srv_->settings.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(srv_->settings.header_limit));
    stream_.expires_after(first_ ? srv_->settings.read_timeout : srv_->settings.idle_timeout);
    first_ = false;
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return write_error(413, "payload_too_large", "request body exceeds the limit");
    }
    if (ec == http::error::header_limit) {
      return write_error(431, "headers_too_large", "request headers exceed the limit");
    }
    if (ec) return write_error(400, "bad_request", "malformed HTTP request: " + ec.message());

    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;
    http_request req;
    req.received_at = std::chrono::steady_clock::now();
    req.method = str(msg.method_string());
    req.target = str(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& field : msg) {
      std::string name = str(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      req.headers.emplace_back(std::move(name), str(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    busy_ = true;
    stream_.expires_never();
    arm_handler_timeout();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    answered_ = answered;
    respond_fn respond = [self = shared_from_this(), answered](http_response res) {
      if (answered->exchange(true)) return;  // a handler may only answer once
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    };
    try {
      srv_->handler(std::move(req), respond);
    } catch (const std::exception& e) {
      respond(internal_error_response(e.what(), "http handler"));
    }
  }

  void arm_handler_timeout() {
    timer_.emplace(stream_.get_executor(), srv_->settings.handler_timeout);
    timer_->async_wait([self = shared_from_this(), answered = answered_](beast::error_code ec) {
      if (ec || !answered || answered->exchange(true)) return;
      self->write(json_error(503, "timeout", "the request took too long"));
    });
  }

  void write_error(int status, const std::string& code, const std::string& message) {
    keep_alive_ = false;
    busy_ = true;
    linger_ = true;  // the client may still be sending the body we refused
    write(json_error(status, code, message));
  }

  // Closing a socket with unread input makes the kernel send RST, which can destroy our error
  // answer before the client reads it. So: stop sending, drain what arrives for a moment, close.
  void lingering_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds{2});
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > 64 * 1024 * 1024) return self->close();
                              self->drain();
                            });
  }

  void write(http_response res) {
    if (timer_) timer_->cancel();
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(version_ ? version_ : 11);
    out->result(static_cast<unsigned>(res.status));
    out->set(http::field::server, "parley");
    out->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out->set(k, v);
    bool keep = keep_alive_ && !srv_->stopping.load();
    out->keep_alive(keep);
    out->body() = std::move(res.body);
    out->prepare_payload();
    if (head_) out->body().clear();  // Content-Length stays that of the GET answer
    stream_.expires_after(srv_->settings.read_timeout);
    http::async_write(stream_, *out,
                      [self = shared_from_this(), out, keep](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        if (!ec && self->linger_) return self->lingering_close();
                        if (ec || !keep) return self->close();
                        self->do_read();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<net::steady_timer> timer_;
  std::shared_ptr<std::atomic<bool>> answered_;
  http_server::impl* srv_;
  std::string remote_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool busy_ = false;
  bool first_ = true;
  bool linger_ = false;
  std::size_t drained_ = 0;
  std::array<char, 16384> discard_{};

 public:
  struct counter_guard {
    std::atomic<std::size_t>& n;
    explicit counter_guard(std::atomic<std::size_t>& c) : n(c) { ++n; }
    ~counter_guard() { --n; }
  };
  std::optional<counter_guard> counted_;
};

void http_server::impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [self = this](beast::error_code ec, tcp::socket socket) {
                          if (self->stopping.load() || !self->acceptor.is_open()) return;
                          if (!ec) {
                            auto s = std::make_shared<session>(std::move(socket), self);
                            s->counted_.emplace(self->open);
                            {
                              std::lock_guard<std::mutex> guard{self->mtx};
                              for (auto it = self->sessions.begin(); it != self->sessions.end();)
                                it = it->expired() ? self->sessions.erase(it) : std::next(it);
                              self->sessions.insert(s);
                            }
                            s->start();
                          }
                          self->do_accept();
                        });
}

http_server::http_server(http_server_settings settings, handler_fn handler)
    : impl_(std::make_unique<impl>(std::move(settings), std::move(handler))) {}

http_server::~http_server() {
  stop(std::chrono::milliseconds{0});
}

uint16_t http_server::bind() {
  auto& a = impl_->acceptor;
  beast::error_code addr_ec;
  auto addr = net::ip::make_address(impl_->settings.host, addr_ec);
  if (addr_ec) throw std::runtime_error("invalid listen address '" + impl_->settings.host + "'");
  tcp::endpoint ep{addr, impl_->settings.port};
  beast::error_code ec;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    a.close();
    throw std::runtime_error(ec.message());
  }
  return a.local_endpoint().port();
}

void http_server::start() {
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->do_accept();
  for (int i = 0; i < std::max(1, impl_->settings.threads); ++i)
    impl_->threads.emplace_back([self = impl_.get()] { self->ioc.run(); });
}

void http_server::stop(std::chrono::milliseconds drain) {
  impl_->stopping.store(true);
  net::post(impl_->ioc, [self = impl_.get()] {
    beast::error_code ec;
    self->acceptor.close(ec);
  });
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    for (auto& w : impl_->sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->shutdown();
  live.clear();
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (impl_->open.load() > 0 && std::chrono::steady_clock::now() < deadline &&
         !impl_->threads.empty())
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

std::size_t http_server::open_connections() const {
  return impl_->open.load();
}

}  // namespace parley::edge
