#pragma once
// Rows as plain values, shared by the stores, the HTTP routes and the actors.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::persistence {

struct tenant_settings {
  std::string name;
  std::vector<std::string> allowed_origins;  ///< browser origins allowed by CORS
  int messages_per_minute = 600;
  int api_requests_per_minute = 600;
  int64_t llm_tokens_per_day = 1000000;
  int max_active_conversations = 10000;
  std::string handoff_message;  ///< empty: the default
  int handoff_hours = 24;
  std::string notify_url;     ///< empty: no notification
  std::string notify_secret;  ///< sealed (secret_box) when stored
};

struct tenant_row {
  std::string id;
  std::string name;
  std::string created_at;
  std::string status = "active";  ///< active or deleted
  std::string updated_at;
  tenant_settings settings;
};

struct channel_row {
  std::string id;
  std::string tenant_id;
  std::string type = "whatsapp";
  std::string phone_number_id;
  std::string app_secret;
  std::string verify_token;
  std::string access_token;
  std::string api_base_url = "https://graph.facebook.com";
  std::string api_version = "v21.0";
  std::string created_at;
};

struct knowledge_row {
  int64_t id = 0;
  std::string tenant_id;
  std::string kind;  ///< "article" or "faq"
  std::string title;
  std::string content;
};

struct conversation_row {
  std::string id;
  std::string tenant_id;
  std::string channel_id;
  std::string customer;
  std::string customer_name;
  std::string created_at;
  std::string last_message_at;
  std::string human_override_until;  ///< ISO timestamp or empty
};

struct message_row {
  int64_t id = 0;
  std::string conversation_id;
  std::string direction;  ///< "in" or "out"
  std::string type;
  std::string text;
  std::string status;
  std::string provider_id;
  int bubble = 0;
  int attempts = 0;
  std::string error;
  std::string created_at, processed_at, sent_at, delivered_at, read_at, failed_at;
};

}  // namespace parley::persistence
