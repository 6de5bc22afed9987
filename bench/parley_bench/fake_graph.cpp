// The fake Graph API's request handler. Runs on the server's threads (one simdjson parser per
// thread).
#include "bench/parley_bench/fake_graph.hpp"

#include <simdjson.h>

#include "bench/parley_bench/ledger.hpp"
#include "bench/parley_bench/status_sender.hpp"
#include "edge/http_server.hpp"

namespace parley::bench {

namespace {

std::string_view string_at(simdjson::dom::element e, std::initializer_list<const char*> path) {
  for (auto key : path) {
    simdjson::dom::element next;
    if (e.at_key(key).get(next) != simdjson::SUCCESS) return {};
    e = next;
  }
  std::string_view sv;
  return e.get(sv) == simdjson::SUCCESS ? sv : std::string_view{};
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

fake_graph::fake_graph(int threads) {
  edge::http_server_settings s;
  s.port = 0;
  s.threads = threads;
  s.idle_timeout = std::chrono::minutes{10};  // the node's client keeps its connections pooled
  server_ = std::make_unique<edge::http_server>(
      s, [this](edge::http_request&& req, edge::respond_fn respond) {
        auto arrived = std::chrono::steady_clock::now();
        calls_.fetch_add(1, std::memory_order_relaxed);
        thread_local simdjson::dom::parser parser;
        simdjson::dom::element root;
        if (req.method != "POST" || !ends_with(req.path, "/messages") ||
            parser.parse(req.body).get(root) != simdjson::SUCCESS) {
          bad_.fetch_add(1, std::memory_order_relaxed);
          return respond(edge::json_error(400, "bad_request", "expected POST /{v}/{id}/messages"));
        }
        auto to = string_at(root, {"to"});
        auto context = string_at(root, {"context", "message_id"});
        sends_.fetch_add(1, std::memory_order_relaxed);
        if (context.empty()) {
          no_context_.fetch_add(1, std::memory_order_relaxed);
        } else if (auto* ledger = ledger_.load()) {
          auto ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(arrived - ledger->at(0)).count();
          ledger->on_reply(context, to, ns);
        }
        std::string wamid = "wamid.HBgLbench" + std::to_string(next_id_.fetch_add(1) + 1);
        std::string body;
        body.reserve(160);
        body += R"({"messaging_product":"whatsapp","contacts":[{"input":")";
        body += to;
        body += R"(","wa_id":")";
        body += to;
        body += R"("}],"messages":[{"id":")";
        body += wamid;
        body += R"(","message_status":"accepted"}]})";
        if (auto* statuses = statuses_.load()) {
          auto phone = std::string_view{req.path}.substr(0, req.path.size() - 9);  // "/messages"
          phone = phone.substr(phone.rfind('/') + 1);
          statuses->accepted(std::string{phone}, std::string{to}, wamid,
                             std::string{string_at(root, {"biz_opaque_callback_data"})});
        }
        respond(edge::json_ok(200, std::move(body)));
      });
  port_ = server_->bind();
  server_->start();
}

fake_graph::~fake_graph() {
  stop();
}

void fake_graph::stop() {
  if (server_) server_->stop(std::chrono::milliseconds{500});
}

std::string fake_graph::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

graph_counters fake_graph::counters() const {
  return graph_counters{calls_.load(), sends_.load(), no_context_.load(), bad_.load()};
}

}  // namespace parley::bench
