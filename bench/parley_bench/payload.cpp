// Webhook bodies and the traffic mix (threads: see payload.hpp).
#include "bench/parley_bench/payload.hpp"

#include <ctime>

#include "bench/parley_bench/knowledge_base.hpp"
#include "bench/parley_bench/ledger.hpp"
#include "common/json_writer.hpp"
#include "common/signature.hpp"

namespace parley::bench {

namespace {
constexpr std::size_t resend_pool = 4096;

// A notification of one change to `phone_number_id`'s number, open at its value object; the
// caller writes the value's arrays, then close_change().
void open_change(common::json_writer& w, std::string_view phone_number_id) {
  w.begin_object().field("object", "whatsapp_business_account").key("entry").begin_array();
  w.begin_object().field("id", "102290129340398").key("changes").begin_array();
  w.begin_object().key("value").begin_object();
  w.field("messaging_product", "whatsapp");
  w.key("metadata").begin_object().field("display_phone_number", "15550783881");
  w.field("phone_number_id", phone_number_id).end_object();
}

void close_change(common::json_writer& w) {
  w.end_object().field("field", "messages").end_object().end_array().end_object();
  w.end_array().end_object();
}
}  // namespace

std::string text_webhook(std::string_view phone_number_id,
                         const std::vector<webhook_message>& messages) {
  common::json_writer w;
  open_change(w, phone_number_id);
  w.key("contacts").begin_array();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j) seen = messages[j].from == messages[i].from;
    if (seen) continue;
    w.begin_object().key("profile").begin_object().field("name", messages[i].name).end_object();
    w.field("wa_id", messages[i].from).end_object();
  }
  w.end_array().key("messages").begin_array();
  for (const auto& m : messages) {
    w.begin_object().field("from", m.from).field("id", m.wamid);
    w.field("timestamp", std::to_string(m.timestamp)).field("type", "text");
    w.key("text").begin_object().field("body", m.text).end_object().end_object();
  }
  w.end_array();
  close_change(w);
  return w.take();
}

std::string sent_status_webhook(std::string_view phone_number_id, std::string_view to,
                                std::string_view wamid, std::string_view callback) {
  common::json_writer w;
  open_change(w, phone_number_id);
  w.key("statuses").begin_array().begin_object();
  w.field("id", wamid).field("status", "sent");
  w.field("timestamp", std::to_string(std::time(nullptr))).field("recipient_id", to);
  if (!callback.empty()) w.field("biz_opaque_callback_data", callback);
  w.end_object().end_array();
  close_change(w);
  return w.take();
}

payload_generator::payload_generator(const std::vector<tenant_channel>& tenants, traffic_settings s,
                                     message_ledger& ledger, uint64_t seed)
    : tenants_(tenants), settings_(s), ledger_(ledger), rng_(seed) {}

std::size_t payload_generator::pick_tenant() {
  auto n = tenants_.size();
  if (n == 1) return 0;
  if (settings_.hot_tenant_share > 0) {
    if (std::uniform_real_distribution<double>{0, 1}(rng_) < settings_.hot_tenant_share) return 0;
    return 1 + rng_() % (n - 1);
  }
  return rng_() % n;
}

outgoing_request payload_generator::next(int64_t intended_ns) {
  if (settings_.duplicate_ratio > 0 && !sent_before_.empty() &&
      std::uniform_real_distribution<double>{0, 1}(rng_) < settings_.duplicate_ratio) {
    auto again = sent_before_[rng_() % sent_before_.size()];
    again.resend = true;
    return again;
  }
  outgoing_request r;
  r.tenant = burst_left_ > 0 ? burst_tenant_ : pick_tenant();
  const auto& t = tenants_[r.tenant];
  r.path = &t.webhook_path;
  r.messages = static_cast<uint32_t>(settings_.messages_per_request);
  r.first_seq = ledger_.allocate(r.messages);
  const auto& texts = customer_messages();
  const auto& names = customer_names();
  auto now_s = static_cast<int64_t>(std::time(nullptr));
  scratch_.resize(r.messages);
  for (uint32_t i = 0; i < r.messages; ++i) {
    if (burst_left_ == 0) {
      burst_tenant_ = r.tenant;
      burst_customer_ = r.tenant * static_cast<uint64_t>(settings_.customers) +
                        rng_() % static_cast<uint64_t>(settings_.customers);
      burst_left_ = settings_.burst_size;
    }
    --burst_left_;
    auto seq = r.first_seq + i;
    auto& m = scratch_[i];
    m.from = customer_wa_id(burst_customer_);
    m.name = names[burst_customer_ % names.size()];
    m.wamid = ledger_.wamid(seq, burst_customer_);
    m.text = texts[rng_() % texts.size()];
    m.timestamp = now_s;
    ledger_.sent(seq, burst_customer_, intended_ns);
  }
  r.body = text_webhook(t.phone_number_id, scratch_);
  r.signature = common::sign_body(t.app_secret, r.body);
  return r;
}

void payload_generator::acknowledged(const outgoing_request& r) {
  if (settings_.duplicate_ratio <= 0 || r.resend) return;
  if (sent_before_.size() < resend_pool) {
    sent_before_.push_back(r);
  } else {
    sent_before_[ring_next_] = r;
    ring_next_ = (ring_next_ + 1) % resend_pool;
  }
}

}  // namespace parley::bench
