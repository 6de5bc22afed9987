// The baseline webhook handler. Runs on the server's threads; the channel table is only read.
#include "bench/baseline/baseline_server.hpp"

#include <string_view>

#include "edge/http_server.hpp"
#include "common/json_writer.hpp"
#include "common/signature.hpp"
#include "channels/whatsapp.hpp"

namespace parley::bench {

namespace {
constexpr std::string_view webhook_prefix = "/webhooks/whatsapp/";
}

baseline_server::baseline_server(std::unordered_map<std::string, baseline_channel> channels,
                                 int threads)
    : channels_(std::move(channels)) {
  edge::http_server_settings s;
  s.port = 0;
  s.threads = threads;
  server_ =
      std::make_unique<edge::http_server>(s, [this](edge::http_request&& req, edge::respond_fn respond) {
        std::string_view path = req.path;
        if (req.method != "POST" || path.substr(0, webhook_prefix.size()) != webhook_prefix)
          return respond(edge::json_error(404, "not_found", "no such route"));
        auto ch = channels_.find(std::string{path.substr(webhook_prefix.size())});
        if (ch == channels_.end())
          return respond(edge::json_error(404, "unknown_channel", "no channel"));
        auto signature = req.header("x-hub-signature-256");
        if (signature.empty() || !common::verify_signature(ch->second.app_secret, req.body, signature))
          return respond(edge::json_error(401, "invalid_signature", "signature mismatch"));
        auto parsed = channels::whatsapp::parse_webhook(req.body);
        if (parsed.error != channels::whatsapp::parse_errc::ok)
          return respond(edge::json_error(400, "invalid_payload", parsed.message));
        for (const auto& id : parsed.batch.phone_number_ids)
          if (id != ch->second.phone_number_id)
            return respond(edge::json_error(403, "phone_number_mismatch", "wrong phone_number_id"));
        common::json_writer w;
        w.begin_object()
            .field("status", "ok")
            .field("stored", static_cast<uint64_t>(parsed.batch.messages.size()))
            .field("duplicates", uint64_t{0})
            .end_object();
        respond(edge::json_ok(200, w.take()));
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
