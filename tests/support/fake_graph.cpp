#include "tests/support/fake_graph.hpp"

#include <simdjson.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "common/signature.hpp"
#include "edge/http_server.hpp"

namespace parley::test {

struct fake_graph_api::state {
  mutable std::mutex mtx;
  std::vector<graph_call> calls;
  std::vector<bool> ok;
  std::deque<scripted_answer> scripted;
  std::optional<scripted_answer> forever;
  uint64_t next_id = 1;
  struct media_object {
    std::string mime, bytes;
    int64_t announced;
  };
  std::map<std::string, media_object> media;
  std::map<std::string, int> downloads;
  std::string base;
  // Status webhooks to emit (emit_statuses).
  std::function<void(const graph_call&)> post_status;
  std::deque<graph_call> statuses;
  std::condition_variable status_cv;
  bool stopping = false;
};

namespace {

std::string field(simdjson::dom::element e, std::initializer_list<const char*> path) {
  for (auto key : path) {
    simdjson::dom::element next;
    if (e.at_key(key).get(next) != simdjson::SUCCESS) return {};
    e = next;
  }
  std::string_view sv;
  return e.get(sv) == simdjson::SUCCESS ? std::string{sv} : std::string{};
}

// Media metadata (GET /{version}/{id}) and bytes (GET /files/{id}).
void serve_get(fake_graph_api::state& st, const edge::http_request& req,
               const edge::respond_fn& respond);

}  // namespace

fake_graph_api::fake_graph_api() : st_(std::make_shared<state>()) {
  edge::http_server_settings s;
  s.port = 0;
  auto st = st_;
  server_ = std::make_unique<edge::http_server>(
      s, [st](edge::http_request&& req, edge::respond_fn respond) {
        if (req.method == "GET") return serve_get(*st, req, respond);
        graph_call c;
        c.path = req.path;
        c.authorization = std::string{req.header("authorization")};
        c.body = req.body;
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        if (parser.parse(req.body).get(root) == simdjson::SUCCESS) {
          c.to = field(root, {"to"});
          c.text = field(root, {"text", "body"});
          c.context_id = field(root, {"context", "message_id"});
          c.callback = field(root, {"biz_opaque_callback_data"});
        }
        edge::http_response res;
        {
          std::lock_guard<std::mutex> guard{st->mtx};
          std::optional<scripted_answer> a;
          if (!st->scripted.empty()) {
            a = st->scripted.front();
            st->scripted.pop_front();
          } else if (st->forever) {
            a = st->forever;
          }
          if (a) {
            res.status = a->status;
            res.body = a->body;
            st->ok.push_back(false);
          } else {
            c.wamid = "wamid.fake" + std::to_string(st->next_id++);
            res.status = 200;
            res.body = R"({"messaging_product":"whatsapp","contacts":[{"input":")" + c.to +
                       R"(","wa_id":")" + c.to + R"("}],"messages":[{"id":")" + c.wamid +
                       R"(","message_status":"accepted"}]})";
            st->ok.push_back(true);
            if (st->post_status) {
              st->statuses.push_back(c);
              st->status_cv.notify_one();
            }
          }
          st->calls.push_back(c);
        }
        respond(std::move(res));
      });
  port_ = server_->bind();
  st_->base = "http://127.0.0.1:" + std::to_string(port_);
  server_->start();
}

namespace {
void serve_get(fake_graph_api::state& st, const edge::http_request& req,
               const edge::respond_fn& respond) {
  std::lock_guard<std::mutex> guard{st.mtx};
  auto id = req.path.substr(req.path.rfind('/') + 1);
  auto it = st.media.find(id);
  if (it == st.media.end()) return respond(edge::json_error(404, "not_found", "no media " + id));
  if (req.path.rfind("/files/", 0) == 0) {
    ++st.downloads[id];
    return respond(edge::http_response{200, it->second.mime, it->second.bytes, {}});
  }
  auto size = it->second.announced >= 0 ? it->second.announced
                                        : static_cast<int64_t>(it->second.bytes.size());
  respond(edge::json_ok(200, R"({"messaging_product":"whatsapp","url":")" + st.base + "/files/" +
                                 id + R"(","mime_type":")" + it->second.mime + R"(","sha256":")" +
                                 common::sha256_hex(it->second.bytes) + R"(","file_size":)" +
                                 std::to_string(size) + R"(,"id":")" + id + "\"}"));
}
}  // namespace

void fake_graph_api::serve_media(const std::string& media_id, const std::string& mime,
                                 std::string bytes, int64_t announced_size) {
  std::lock_guard<std::mutex> guard{st_->mtx};
  st_->media[media_id] = state::media_object{mime, std::move(bytes), announced_size};
}

int fake_graph_api::media_downloads(const std::string& media_id) const {
  std::lock_guard<std::mutex> guard{st_->mtx};
  auto it = st_->downloads.find(media_id);
  return it == st_->downloads.end() ? 0 : it->second;
}

fake_graph_api::~fake_graph_api() {
  server_->stop(std::chrono::milliseconds{1000});
  {
    std::lock_guard<std::mutex> guard{st_->mtx};
    st_->stopping = true;
  }
  st_->status_cv.notify_all();
  if (status_thread_.joinable()) status_thread_.join();
}

void fake_graph_api::emit_statuses(std::function<void(const graph_call&)> post) {
  {
    std::lock_guard<std::mutex> guard{st_->mtx};
    st_->post_status = std::move(post);
  }
  if (status_thread_.joinable()) return;
  status_thread_ = std::thread{[st = st_] {
    std::unique_lock<std::mutex> lock{st->mtx};
    for (;;) {
      st->status_cv.wait(lock, [&] { return st->stopping || !st->statuses.empty(); });
      if (st->stopping) return;
      auto call = std::move(st->statuses.front());
      st->statuses.pop_front();
      auto post = st->post_status;
      lock.unlock();
      if (post) post(call);  // a failed post is lost, like a webhook Meta gives up on
      lock.lock();
    }
  }};
}

std::string fake_graph_api::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<graph_call> fake_graph_api::calls() const {
  std::lock_guard<std::mutex> guard{st_->mtx};
  return st_->calls;
}

std::vector<graph_call> fake_graph_api::accepted() const {
  std::lock_guard<std::mutex> guard{st_->mtx};
  std::vector<graph_call> out;
  for (std::size_t i = 0; i < st_->calls.size(); ++i)
    if (st_->ok[i]) out.push_back(st_->calls[i]);
  return out;
}

bool fake_graph_api::wait_accepted(std::size_t n, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (accepted().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return accepted().size() >= n;
}

bool fake_graph_api::wait_calls(std::size_t n, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (calls().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return calls().size() >= n;
}

void fake_graph_api::script(std::vector<scripted_answer> answers) {
  std::lock_guard<std::mutex> guard{st_->mtx};
  for (auto& a : answers) st_->scripted.push_back(std::move(a));
}

void fake_graph_api::always(scripted_answer a) {
  std::lock_guard<std::mutex> guard{st_->mtx};
  st_->forever = std::move(a);
}

}  // namespace parley::test
