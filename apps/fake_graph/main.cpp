// parley-fake-graph: a stand-in for Meta's Graph API on loopback, for demos and manual tests
// where the real API cannot be reached. It accepts POST /{version}/{phone_number_id}/messages,
// answers like the Cloud API (a fresh wamid, "accepted") and prints one JSON line per message
// it received, so an operator sees the replies parley sends.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>

#include "edge/http_server.hpp"
#include "common/json_writer.hpp"

int main(int argc, char** argv) {
  uint16_t port = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string{argv[i]} == "--port") port = static_cast<uint16_t>(std::stoi(argv[i + 1]));
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  std::atomic<uint64_t> next{1};
  std::mutex out;
  parley::edge::http_server_settings s;
  s.port = port;
  parley::edge::http_server server{
      s, [&](parley::edge::http_request&& req, parley::edge::respond_fn respond) {
        if (req.method != "POST" || req.path.size() < 10 ||
            req.path.compare(req.path.size() - 9, 9, "/messages") != 0) {
          return respond(
              parley::edge::json_error(404, "not_found", "only POST /{version}/{id}/messages"));
        }
        auto wamid = "wamid.demo" + std::to_string(next++);
        {
          std::lock_guard<std::mutex> guard{out};
          parley::common::json_writer w;
          w.begin_object()
              .field("path", req.path)
              .field("wamid", wamid)
              .key("request")
              .raw(req.body);
          w.end_object();
          std::cout << w.str() << std::endl;
        }
        respond(parley::edge::json_ok(200, R"({"messaging_product":"whatsapp","messages":[{"id":")" +
                                             wamid + R"(","message_status":"accepted"}]})"));
      }};
  try {
    port = server.bind();
  } catch (const std::exception& e) {
    std::cerr << "parley-fake-graph: cannot listen: " << e.what() << "\n";
    return 3;
  }
  server.start();
  std::cerr << "parley-fake-graph listening on http://127.0.0.1:" << port << "\n";
  int sig = 0;
  sigwait(&stop, &sig);
  server.stop();
  return 0;
}
