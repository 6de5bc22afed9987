#pragma once
// Signed WhatsApp webhooks as Meta sends them: text messages from the benchmark's customers,
// batched per tenant, in bursts per customer, with a share of earlier bodies sent again.
//
// text_webhook is a pure function (any thread; the micro benchmarks use it too). A
// payload_generator belongs to one load-driver thread: it is not thread-safe, but the ledger it
// writes to is.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

class message_ledger;

/// One tenant as the benchmark set it up (or as the baseline server knows it).
struct tenant_channel {
  std::string tenant_id;
  std::string channel_id;
  std::string phone_number_id;
  std::string app_secret;
  std::string webhook_path;  ///< /webhooks/whatsapp/{channel_id}
};

struct webhook_message {
  std::string from;  ///< wa_id
  std::string name;  ///< profile name
  std::string wamid;
  std::string text;
  int64_t timestamp = 0;  ///< unix seconds
};

/// A notification with these text messages (one entry, one change, contacts per sender).
[[nodiscard]] std::string text_webhook(std::string_view phone_number_id,
                                       const std::vector<webhook_message>& messages);
/// A "sent" status for `wamid`, echoing the send's biz_opaque_callback_data (omitted if empty).
[[nodiscard]] std::string sent_status_webhook(std::string_view phone_number_id, std::string_view to,
                                              std::string_view wamid, std::string_view callback);

struct traffic_settings {
  int tenants = 1;
  int customers = 1;  ///< per tenant
  int messages_per_request = 1;
  int burst_size = 1;
  double duplicate_ratio = 0;
  double hot_tenant_share = 0;
};

/// A webhook ready to send.
struct outgoing_request {
  std::size_t tenant = 0;
  const std::string* path = nullptr;  ///< into the generator's tenants (outlive the request)
  std::string body;
  std::string signature;  ///< X-Hub-Signature-256 value
  uint64_t first_seq = 0;
  uint32_t messages = 0;
  bool resend = false;  ///< an earlier, acknowledged body again: duplicates by design
};

class payload_generator {
 public:
  payload_generator(const std::vector<tenant_channel>& tenants, traffic_settings s,
                    message_ledger& ledger, uint64_t seed);

  /// The next request; records its messages in the ledger as meant to go out at intended_ns.
  outgoing_request next(int64_t intended_ns);
  /// The request was acknowledged with everything stored: it may be sent again later.
  void acknowledged(const outgoing_request& r);

 private:
  std::size_t pick_tenant();

  const std::vector<tenant_channel>& tenants_;
  traffic_settings settings_;
  message_ledger& ledger_;
  std::mt19937_64 rng_;
  std::vector<webhook_message> scratch_;
  std::vector<uint64_t> customers_;  // global indexes of scratch_'s senders
  // Burst in progress: its tenant and customer, messages still to come.
  std::size_t burst_tenant_ = 0;
  uint64_t burst_customer_ = 0;
  int burst_left_ = 0;
  // Acknowledged bodies that may be sent again (a ring).
  std::vector<outgoing_request> sent_before_;
  std::size_t ring_next_ = 0;
};

}  // namespace parley::bench
