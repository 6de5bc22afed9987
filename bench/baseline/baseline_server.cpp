// The baseline webhook handler. Runs on the server's threads; the channel table is only read.
#include "bench/baseline/baseline_server.hpp"

#include <string_view>

#include "io/http_server.hpp"
#include "io/json_writer.hpp"
#include "io/signature.hpp"
#include "io/whatsapp.hpp"

namespace parley::bench {

namespace {
constexpr std::string_view webhook_prefix = "/webhooks/whatsapp/";
}

baseline_server::baseline_server(std::unordered_map<std::string, baseline_channel> channels,
                                 int threads)
    : channels_(std::move(channels)) {
  io::http_server_settings s;
  s.port = 0;
  s.threads = threads;
  server_ =
      std::make_unique<io::http_server>(s, [this](io::http_request&& req, io::respond_fn respond) {
        std::string_view path = req.path;
        if (req.method != "POST" || path.substr(0, webhook_prefix.size()) != webhook_prefix)
          return respond(io::json_error(404, "not_found", "no such route"));
        auto ch = channels_.find(std::string{path.substr(webhook_prefix.size())});
        if (ch == channels_.end())
          return respond(io::json_error(404, "unknown_channel", "no channel"));
        auto signature = req.header("x-hub-signature-256");
        if (signature.empty() || !io::verify_signature(ch->second.app_secret, req.body, signature))
          return respond(io::json_error(401, "invalid_signature", "signature mismatch"));
        auto parsed = io::whatsapp::parse_webhook(req.body);
        if (parsed.error != io::whatsapp::parse_errc::ok)
          return respond(io::json_error(400, "invalid_payload", parsed.message));
        for (const auto& id : parsed.batch.phone_number_ids)
          if (id != ch->second.phone_number_id)
            return respond(io::json_error(403, "phone_number_mismatch", "wrong phone_number_id"));
        io::json_writer w;
        w.begin_object()
            .field("status", "ok")
            .field("stored", static_cast<uint64_t>(parsed.batch.messages.size()))
            .field("duplicates", uint64_t{0})
            .end_object();
        respond(io::json_ok(200, w.take()));
      });
}

baseline_server::~baseline_server() {
  stop();
}

uint16_t baseline_server::start() {
  auto port = server_->bind();
  server_->start();
  return port;
}

void baseline_server::stop() {
  if (server_) server_->stop(std::chrono::milliseconds{1000});
}

}  // namespace parley::bench
