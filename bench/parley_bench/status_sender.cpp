#include "bench/parley_bench/status_sender.hpp"

#include <chrono>

#include "common/signature.hpp"
#include "edge/http_client.hpp"

namespace parley::bench {

status_sender::status_sender(std::vector<std::string> target_urls,
                             const std::vector<tenant_channel>& tenants)
    : targets_(std::move(target_urls)), client_(std::make_unique<edge::http_client>()) {
  for (const auto& t : tenants) by_phone_[t.phone_number_id] = t;
}

status_sender::~status_sender() = default;

void status_sender::accepted(const std::string& phone_number_id, const std::string& to,
                             const std::string& wamid, const std::string& callback) {
  auto it = by_phone_.find(phone_number_id);
  if (it == by_phone_.end() || targets_.empty()) return;
  auto body = std::make_shared<const std::string>(
      sent_status_webhook(phone_number_id, to, wamid, callback));
  post(body, common::sign_body(it->second.app_secret, *body), it->second.webhook_path, 0);
}

// To target `target`, then the next ones while they refuse (a node may be down).
void status_sender::post(std::shared_ptr<const std::string> body, std::string signature,
                         std::string path, std::size_t target) {
  if (target >= targets_.size()) {
    ++lost_;
    return;
  }
  edge::client_request r;
  r.method = "POST";
  r.url = targets_[target] + path;
  r.body = *body;
  r.timeout = std::chrono::seconds{5};
  r.headers = {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}};
  client_->request(std::move(r), [this, body, signature, path, target](edge::client_response res) {
    if (res.status == 200) {
      ++posted_;
      return;
    }
    post(body, signature, path, target + 1);
  });
}

}  // namespace parley::bench
