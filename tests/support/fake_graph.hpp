#pragma once
// A fake WhatsApp Cloud API (Graph API) on loopback, in the test process: parley's real HTTP
// client talks to it over real sockets. It records every call and can be told to fail.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::edge {
class http_server;
}

namespace parley::test {

struct graph_call {
  std::string path;
  std::string authorization;
  std::string body;
  std::string to;          // parsed from body
  std::string text;        // text.body
  std::string context_id;  // context.message_id
  std::string wamid;       // what we answered
  std::string callback;    // biz_opaque_callback_data
};

struct scripted_answer {
  int status;
  std::string body;
};

class fake_graph_api {
 public:
  fake_graph_api();
  ~fake_graph_api();
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] std::vector<graph_call> calls() const;
  /// Calls that were answered 200 (delivered replies).
  [[nodiscard]] std::vector<graph_call> accepted() const;
  /// Waits until at least n calls were accepted; false on timeout.
  bool wait_accepted(std::size_t n,
                     std::chrono::milliseconds timeout = std::chrono::seconds{20}) const;
  bool wait_calls(std::size_t n,
                  std::chrono::milliseconds timeout = std::chrono::seconds{20}) const;
  /// The next answers, in order, before normal 200s resume.
  void script(std::vector<scripted_answer> answers);
  /// Every answer from now on.
  void always(scripted_answer a);
  /// Serves a media object: GET /{version}/{id} answers its metadata (announced_size, when
  /// given, replaces the real size), GET /files/{id} its bytes.
  void serve_media(const std::string& media_id, const std::string& mime, std::string bytes,
                   int64_t announced_size = -1);
  [[nodiscard]] int media_downloads(const std::string& media_id) const;
  /// As Meta does: after each accepted message, `post` is called with it on a thread of the
  /// fake's own (so a test can deliver its status webhook to a node), in acceptance order.
  void emit_statuses(std::function<void(const graph_call&)> post);

  struct state;  // public so the request handler in the .cpp can name it

 private:
  std::shared_ptr<state> st_;
  std::unique_ptr<edge::http_server> server_;
  uint16_t port_ = 0;
  std::thread status_thread_;
};

}  // namespace parley::test
