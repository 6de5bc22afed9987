#pragma once
// Realistic WhatsApp webhook bodies and a small admin-API client, for integration tests.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/http.hpp"

namespace parley::test {

struct text_in {
  std::string from;
  std::string wamid;
  std::string text;
  std::string name = "Sheena Nelson";
};

/// One notification with the given text messages (one entry, one change).
std::string text_webhook(const std::string& phone_number_id, const std::vector<text_in>& msgs);
/// One notification with one media message (image, document, audio, ...).
std::string media_webhook(const std::string& phone_number_id, const std::string& from,
                          const std::string& wamid, const std::string& type,
                          const std::string& media_id, const std::string& mime,
                          const std::string& sha256_b64, const std::string& caption = {},
                          const std::string& filename = {});
/// One notification with statuses for outgoing messages.
/// One status that echoes the callback data its message was sent with (as Meta does).
std::string status_webhook_with_callback(const std::string& phone_number_id,
                                         const std::string& recipient, const std::string& wamid,
                                         const std::string& status, const std::string& callback);
std::string status_webhook(const std::string& phone_number_id, const std::string& recipient,
                           const std::vector<std::pair<std::string, std::string>>& wamid_status);

/// Value of a top-level string field of a JSON object ("" when absent).
std::string json_string(const std::string& json, const std::string& key);
/// Number of elements of the array at key (top level), -1 when absent.
int json_array_size(const std::string& json, const std::string& key);

/// A tenant with one WhatsApp channel pointing at `api_base_url`, and a small knowledge base.
struct demo_tenant {
  std::string tenant_id;
  std::string channel_id;
  std::string phone_number_id;
  std::string app_secret = "test-app-secret";
  std::string verify_token = "test-verify-token";
  std::string access_token = "test-access-token";
};

constexpr const char* admin_token = "test-admin-token";
http_reply admin_call(int port, const std::string& method, const std::string& target,
                      const std::string& body = {});
demo_tenant make_tenant(int port, const std::string& api_base_url,
                        const std::string& phone_number_id);

/// POSTs a body to the channel's webhook, signed with the channel's app secret.
http_reply post_webhook(int port, const demo_tenant& t, const std::string& body);

}  // namespace parley::test
