// The load driver's shards and connections (Asio/Beast). Each shard's io_context runs on one
// thread, so a shard and its connections need no locks; they meet the other threads only
// through the ledger and the run metrics.
#include "bench/parley_bench/load_driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cmath>
#include <deque>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "bench/parley_bench/ledger.hpp"
#include "bench/parley_bench/run_metrics.hpp"

namespace parley::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// The value of `"key":<digits>` in a small JSON answer, 0 when absent.
uint64_t number_after(std::string_view body, std::string_view key) {
  auto at = body.find(key);
  if (at == std::string_view::npos) return 0;
  uint64_t v = 0;
  auto from = body.data() + at + key.size();
  std::from_chars(from, body.data() + body.size(), v);
  return v;
}

std::string transport_kind(const beast::error_code& ec) {
  if (ec == net::error::connection_refused) return "connect_refused";
  if (ec == net::error::connection_reset) return "connection_reset";
  if (ec == net::error::broken_pipe) return "broken_pipe";
  if (ec == http::error::end_of_stream || ec == net::error::eof) return "closed_by_server";
  return "transport: " + ec.message();
}

}  // namespace

class connection;

struct load_driver::shard {
  shard(int index, const load_plan& p, const std::vector<tenant_channel>& tenants,
        traffic_settings traffic, message_ledger& l, run_metrics& rm)
      : plan(p),
        ledger(l),
        m(rm),
        gen(tenants, traffic, l, p.seed * 1000003u + static_cast<uint64_t>(index)),
        open_loop(p.rate > 0) {
    if (open_loop) {
      // Each shard sends every threads-th request; shards interleave by an offset.
      double requests_per_s = p.rate / p.messages_per_request;
      interval_ns = 1e9 * p.threads / requests_per_s;
      offset_ns = 1e9 * index / requests_per_s;
    }
  }

  [[nodiscard]] int64_t due(uint64_t i) const {
    return phases.start_ns + static_cast<int64_t>(offset_ns + static_cast<double>(i) * interval_ns);
  }
  // Requests due at or before `now` since the start.
  [[nodiscard]] uint64_t due_by(int64_t now) const {
    double elapsed = static_cast<double>(now - phases.start_ns) - offset_ns;
    if (elapsed < 0) return 0;
    return std::min(limit, static_cast<uint64_t>(elapsed / interval_ns) + 1);
  }
  [[nodiscard]] bool more_to_send(int64_t now) const {
    return open_loop ? next_index < limit : now < phases.measure_end_ns && !given_up;
  }

  void start(run_phases ph);
  void pump();
  void arm_pacer();
  void dispatch(connection* c, int64_t intended);
  void record(connection& c, int status, std::string_view body, const std::string& error,
              int64_t received);
  void release(connection* c);
  void request_finish();
  void give_up();
  void check_done();

  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  const load_plan& plan;
  message_ledger& ledger;
  run_metrics& m;
  payload_generator gen;
  std::vector<std::shared_ptr<connection>> conns;
  std::deque<connection*> idle;  // FIFO: every connection stays in use, none goes stale
  net::steady_timer pacer{ioc};
  run_phases phases;
  bool started = false;
  bool finishing = false;
  bool given_up = false;
  bool done_set = false;
  std::promise<void> done;
  int in_flight = 0;
  // Open loop.
  bool open_loop;
  double interval_ns = 0;
  double offset_ns = 0;
  uint64_t limit = 0;       // requests due before measure_end
  uint64_t next_index = 0;  // next request to send
  uint64_t armed_for = UINT64_MAX;
};

// One keep-alive connection with at most one request in flight. Lives on its shard's thread.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(load_driver::shard& owner, tcp::endpoint ep, std::string host)
      : owner_(owner),
        ep_(std::move(ep)),
        host_(std::move(host)),
        sock_(owner.ioc),
        timer_(owner.ioc) {}

  void open(std::function<void(bool)> done) {
    arm_timer();
    sock_.async_connect(ep_, [self = shared_from_this(), done](beast::error_code ec) {
      self->timer_.cancel();
      ++self->exchange_;
      if (!ec) self->on_open();
      done(!ec);
    });
  }

  void send(outgoing_request r, int64_t intended) {
    req_ = std::move(r);
    intended_ = intended;
    sent_ = owner_.ledger.now_ns();
    out_.clear();
    out_ += "POST ";
    out_ += *req_.path;
    out_ += " HTTP/1.1\r\nHost: ";
    out_ += host_;
    out_ +=
        "\r\nUser-Agent: facebookexternalua\r\nAccept: */*\r\nContent-Type: "
        "application/json\r\nX-Hub-Signature-256: ";
    out_ += req_.signature;
    out_ += "\r\nContent-Length: ";
    out_ += std::to_string(req_.body.size());
    out_ += "\r\n\r\n";
    out_ += req_.body;
    timed_out_ = false;
    retried_ = false;
    arm_timer();
    if (open_) return write();
    reconnect_and_write();
  }

  void close() {
    beast::error_code ec;
    sock_.close(ec);
    open_ = false;
  }

  [[nodiscard]] const outgoing_request& request() const { return req_; }
  [[nodiscard]] int64_t intended() const { return intended_; }
  [[nodiscard]] int64_t sent() const { return sent_; }

 private:
  void reconnect_and_write() {
    owner_.m.reconnects.fetch_add(1, std::memory_order_relaxed);
    sock_.async_connect(ep_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail(ec, true);
      self->on_open();
      self->write();
    });
  }

  // The server may close an idle keep-alive connection just as a request goes out (parleyd
  // closes one that carried no request within its read timeout): nothing of it was processed,
  // so, like any HTTP client, send it once more on a fresh connection.
  [[nodiscard]] bool stale_keep_alive(const beast::error_code& ec) const {
    bool closed = ec == http::error::end_of_stream || ec == net::error::eof ||
                  ec == net::error::connection_reset || ec == net::error::broken_pipe;
    return closed && !timed_out_ && !retried_ && (!parser_ || !parser_->got_some());
  }

  void on_open() {
    open_ = true;
    beast::error_code ec;
    sock_.set_option(tcp::no_delay(true), ec);
    buf_.consume(buf_.size());
  }

  // One deadline per exchange (connect, write and read); a stale expiry is ignored.
  void arm_timer() {
    auto id = ++exchange_;
    timer_.expires_after(owner_.plan.request_timeout);
    timer_.async_wait([self = shared_from_this(), id](beast::error_code ec) {
      if (ec || id != self->exchange_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->sock_.close(ignored);
    });
  }

  void write() {
    parser_.reset();
    net::async_write(sock_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->fail(ec, false);
                       self->read();
                     });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    http::async_read(sock_, buf_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->fail(ec, false);
                       self->on_response();
                     });
  }

  void on_response() {
    auto received = owner_.ledger.now_ns();
    ++exchange_;  // disarms the deadline
    timer_.cancel();
    auto& res = parser_->get();
    if (!res.keep_alive()) close();
    owner_.record(*this, static_cast<int>(res.result_int()), res.body(), {}, received);
    owner_.release(this);
  }

  void fail(const beast::error_code& ec, bool connecting) {
    if (!connecting && stale_keep_alive(ec)) {
      close();
      retried_ = true;
      owner_.m.stale_retries.fetch_add(1, std::memory_order_relaxed);
      return reconnect_and_write();
    }
    ++exchange_;
    timer_.cancel();
    close();
    std::string kind = timed_out_ ? "timeout" : transport_kind(ec);
    owner_.record(*this, 0, {}, kind, owner_.ledger.now_ns());
    if (!connecting) return owner_.release(this);
    // The server is not there: pause before this connection is used again.
    timer_.expires_after(std::chrono::milliseconds{100});
    timer_.async_wait(
        [self = shared_from_this()](beast::error_code) { self->owner_.release(self.get()); });
  }

  load_driver::shard& owner_;
  tcp::endpoint ep_;
  std::string host_;
  tcp::socket sock_;
  net::steady_timer timer_;
  beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::string out_;
  outgoing_request req_;
  int64_t intended_ = 0;
  int64_t sent_ = 0;
  uint64_t exchange_ = 0;
  bool open_ = false;
  bool timed_out_ = false;
  bool retried_ = false;
};

void load_driver::shard::start(run_phases ph) {
  phases = ph;
  started = true;
  if (open_loop) {
    double span = static_cast<double>(ph.measure_end_ns - ph.start_ns) - offset_ns;
    limit = span > 0 ? static_cast<uint64_t>(std::ceil(span / interval_ns)) : 0;
  }
  pacer.expires_at(ledger.at(ph.start_ns));
  pacer.async_wait([this](beast::error_code ec) {
    if (!ec) pump();
  });
}

void load_driver::shard::pump() {
  if (!started) return;
  auto now = ledger.now_ns();
  if (now < phases.start_ns) return;
  if (!open_loop) {
    while (!idle.empty() && more_to_send(now)) {
      auto* c = idle.front();
      idle.pop_front();
      dispatch(c, now);
    }
  } else {
    while (!idle.empty() && next_index < limit && due(next_index) <= now) {
      auto* c = idle.front();
      idle.pop_front();
      dispatch(c, due(next_index++));
    }
    auto due_now = due_by(now);
    if (due_now > next_index) m.note_backlog(due_now - next_index);
    arm_pacer();
  }
  check_done();
}

void load_driver::shard::arm_pacer() {
  if (idle.empty() || next_index >= limit || armed_for == next_index) return;
  armed_for = next_index;
  pacer.expires_at(ledger.at(due(next_index)));
  pacer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    armed_for = UINT64_MAX;
    pump();
  });
}

void load_driver::shard::dispatch(connection* c, int64_t intended) {
  auto r = gen.next(intended);
  m.requests_sent.fetch_add(1, std::memory_order_relaxed);
  m.messages_sent.fetch_add(r.messages, std::memory_order_relaxed);
  if (r.resend) m.resent_requests.fetch_add(1, std::memory_order_relaxed);
  ++in_flight;
  c->send(std::move(r), intended);
}

void load_driver::shard::record(connection& c, int status, std::string_view body,
                                const std::string& error, int64_t received) {
  --in_flight;
  if (!error.empty()) return m.error(error);
  if (status != 200) return m.error("http_" + std::to_string(status));
  const auto& r = c.request();
  // Closed loop: from the moment the bytes go out (the body was built just before); open loop:
  // from when the request was due, so time spent waiting for a connection counts.
  auto latency = received - (open_loop ? c.intended() : c.sent());
  m.requests_acked.fetch_add(1, std::memory_order_relaxed);
  m.messages_acked.fetch_add(r.messages, std::memory_order_relaxed);
  m.ack_all.record(latency);
  if (c.intended() >= phases.measure_begin_ns && c.intended() < phases.measure_end_ns) {
    m.ack.record(latency);
    m.service.record(received - c.sent());
  }
  if (received >= phases.measure_begin_ns && received < phases.measure_end_ns) {
    m.window_requests_acked.fetch_add(1, std::memory_order_relaxed);
    m.window_messages_acked.fetch_add(r.messages, std::memory_order_relaxed);
  }
  auto stored = number_after(body, "\"stored\":");
  auto duplicates = number_after(body, "\"duplicates\":");
  m.messages_stored.fetch_add(stored, std::memory_order_relaxed);
  m.messages_duplicate.fetch_add(duplicates, std::memory_order_relaxed);
  if (r.resend) {
    m.resent_acked.fetch_add(1, std::memory_order_relaxed);
    if (stored) m.dedup_failures.fetch_add(stored, std::memory_order_relaxed);
    return;
  }
  if (duplicates) m.unexpected_duplicates.fetch_add(duplicates, std::memory_order_relaxed);
  for (uint32_t i = 0; i < r.messages; ++i) ledger.acked(r.first_seq + i, received);
  gen.acknowledged(r);
}

void load_driver::shard::release(connection* c) {
  idle.push_back(c);
  pump();
}

void load_driver::shard::request_finish() {
  finishing = true;
  check_done();
}

void load_driver::shard::give_up() {
  given_up = true;
  if (open_loop && next_index < limit) {
    m.unsent.fetch_add(limit - next_index, std::memory_order_relaxed);
    next_index = limit;
  }
  check_done();
}

void load_driver::shard::check_done() {
  if (done_set || !finishing || in_flight > 0 || more_to_send(ledger.now_ns())) return;
  done_set = true;
  done.set_value();
}

load_driver::load_driver(load_plan plan, const std::vector<tenant_channel>& tenants,
                         traffic_settings traffic, message_ledger& ledger, run_metrics& metrics)
    : plan_(std::move(plan)) {
  auto* p = &plan_;
  std::vector<tcp::endpoint> endpoints;
  net::io_context resolve_ctx;
  tcp::resolver resolver{resolve_ctx};
  for (const auto& t : p->targets)
    endpoints.push_back(*resolver.resolve(t.host, std::to_string(t.port)).begin());
  for (int s = 0; s < p->threads; ++s)
    shards_.push_back(std::make_unique<shard>(s, *p, tenants, traffic, ledger, metrics));
  for (int i = 0; i < p->connections; ++i) {
    auto& sh = *shards_[static_cast<std::size_t>(i % p->threads)];
    auto t = static_cast<std::size_t>(i) % p->targets.size();
    auto host = p->targets[t].host + ":" + std::to_string(p->targets[t].port);
    sh.conns.push_back(std::make_shared<connection>(sh, endpoints[t], host));
  }
  for (auto& sh : shards_) {
    sh->work.emplace(sh->ioc.get_executor());
    sh->thread = std::thread([s = sh.get()] { s->ioc.run(); });
  }
}

load_driver::~load_driver() {
  for (auto& sh : shards_) {
    // FIFO on one thread: the sockets close, then run() returns; the aborted handlers still
    // queued are destroyed with the io_context.
    net::post(sh->ioc, [s = sh.get()] {
      s->started = false;
      s->pacer.cancel();
      for (auto& c : s->conns) c->close();
    });
    net::post(sh->ioc, [s = sh.get()] { s->ioc.stop(); });
    sh->work.reset();
  }
  for (auto& sh : shards_)
    if (sh->thread.joinable()) sh->thread.join();
}

int load_driver::connect() {
  std::vector<std::future<bool>> results;
  for (auto& sh : shards_)
    for (auto& c : sh->conns) {
      auto p = std::make_shared<std::promise<bool>>();
      results.push_back(p->get_future());
      net::post(sh->ioc, [s = sh.get(), c, p] {
        c->open([s, c, p](bool ok) {
          s->idle.push_back(c.get());
          p->set_value(ok);
        });
      });
    }
  int failed = 0;
  for (auto& f : results) failed += f.get() ? 0 : 1;
  return failed;
}

void load_driver::begin(run_phases phases) {
  for (auto& sh : shards_) net::post(sh->ioc, [s = sh.get(), phases] { s->start(phases); });
}

void load_driver::finish(std::chrono::milliseconds grace) {
  std::vector<std::future<void>> pending;
  for (auto& sh : shards_) {
    pending.push_back(sh->done.get_future());
    net::post(sh->ioc, [s = sh.get()] { s->request_finish(); });
  }
  auto until = [&](std::chrono::steady_clock::time_point deadline) {
    bool all = true;
    for (auto& f : pending)
      if (f.valid() && f.wait_until(deadline) != std::future_status::ready) all = false;
    return all;
  };
  auto now = std::chrono::steady_clock::now;
  if (until(now() + grace)) return;
  for (auto& sh : shards_) net::post(sh->ioc, [s = sh.get()] { s->give_up(); });
  if (until(now() + plan_.request_timeout + std::chrono::seconds{2})) return;
  // Whatever still hangs fails now (counted as transport errors).
  for (auto& sh : shards_)
    net::post(sh->ioc, [s = sh.get()] {
      for (auto& c : s->conns) c->close();
    });
  until(now() + std::chrono::seconds{5});
}

}  // namespace parley::bench
