// Tenant, channel and knowledge setup over the admin API (see admin_setup.hpp). Uses parley's
// own pooled client; the calling threads block on each answer.
#include "bench/parley_bench/admin_setup.hpp"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "bench/parley_bench/knowledge_base.hpp"
#include "bench/parley_bench/ledger.hpp"
#include "edge/http_client.hpp"
#include "common/json_writer.hpp"

namespace parley::bench {

namespace {

edge::client_response call(edge::http_client& client, const std::string& method, const std::string& url,
                         const std::string& token, const std::string& body = {}) {
  edge::client_request r;
  r.method = method;
  r.url = url;
  r.body = body;
  r.timeout = std::chrono::seconds{30};
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  std::promise<edge::client_response> p;
  auto f = p.get_future();
  client.request(std::move(r), [&p](edge::client_response res) { p.set_value(std::move(res)); });
  return f.get();
}

std::string json_field(const std::string& json, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  std::string_view v;
  if (p.parse(json).get(root) != simdjson::SUCCESS || root[key].get(v) != simdjson::SUCCESS)
    return {};
  return std::string{v};
}

edge::client_response expect_201(edge::http_client& client, const std::string& url,
                               const std::string& token, const std::string& body) {
  auto res = call(client, "POST", url, token, body);
  if (res.status != 201)
    throw setup_error("POST " + url + " -> " +
                      (res.status ? std::to_string(res.status) + " " + res.body : res.error));
  return res;
}

// Channel identities must be new in the database, which may hold earlier runs' channels.
std::string random_digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
  return s;
}

std::string random_hex(std::mt19937_64& rng, int n) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += hex[rng() % 16];
  return s;
}

std::string knowledge_json(const kb_item& k) {
  common::json_writer w;
  w.begin_object();
  if (k.faq)
    w.field("question", k.title).field("answer", k.content);
  else
    w.field("title", k.title).field("content", k.content);
  return w.end_object().take();
}

tenant_channel create_one(edge::http_client& client, const setup_request& req, int index,
                          std::mt19937_64& rng) {
  const auto& base = req.admin_url;
  tenant_channel t;
  // The highest limits the API takes: the benchmark measures the node, not its rate limiter
  // (the default of 600 messages a minute per tenant would throttle every run).
  common::json_writer tenant;
  tenant.begin_object().field("name", "Bench Tienda " + std::to_string(index));
  tenant.key("limits").begin_object().field("messages_per_minute", 1000000);
  tenant.field("api_requests_per_minute", 1000000).field("max_active_conversations", 10000000);
  tenant.end_object().end_object();
  t.tenant_id = json_field(
      expect_201(client, base + "/v1/tenants", req.admin_token, tenant.str()).body, "id");
  if (t.tenant_id.empty()) throw setup_error("POST /v1/tenants answered without an id");
  t.phone_number_id = "1" + random_digits(rng, 14);
  t.app_secret = random_hex(rng, 32);
  common::json_writer ch;
  ch.begin_object()
      .field("type", "whatsapp")
      .field("phone_number_id", t.phone_number_id)
      .field("app_secret", t.app_secret)
      .field("verify_token", "bench-verify-" + random_hex(rng, 8))
      .field("access_token", "bench-access-" + random_hex(rng, 16))
      .field("api_base_url", req.graph_base_url)
      .field("api_version", "v21.0")
      .end_object();
  auto channel = expect_201(client, base + "/v1/tenants/" + t.tenant_id + "/channels",
                            req.admin_token, ch.str());
  t.channel_id = json_field(channel.body, "id");
  t.webhook_path = json_field(channel.body, "webhook_path");
  if (t.webhook_path.empty()) t.webhook_path = "/webhooks/whatsapp/" + t.channel_id;
  auto kb_url = base + "/v1/tenants/" + t.tenant_id + "/knowledge";
  for (const auto& k : shop_knowledge())
    expect_201(client, kb_url, req.admin_token, knowledge_json(k));
  for (const auto& k : generated_articles(static_cast<std::size_t>(req.extra_articles),
                                          req.seed + static_cast<uint64_t>(index)))
    expect_201(client, kb_url, req.admin_token, knowledge_json(k));
  return t;
}

}  // namespace

void wait_ready(const std::string& base_url, double timeout_s) {
  edge::http_client client;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds{static_cast<int64_t>(timeout_s * 1000)};
  edge::client_response last;
  do {
    last = call(client, "GET", base_url + "/ready", {});
    if (last.status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  } while (std::chrono::steady_clock::now() < deadline);
  throw setup_error(base_url + "/ready -> " +
                    (last.status ? std::to_string(last.status) + " " + last.body : last.error));
}

std::unordered_set<uint64_t> handed_off_customers(const std::string& admin_url,
                                                  const std::string& admin_token,
                                                  const std::vector<tenant_channel>& tenants) {
  std::unordered_set<uint64_t> out;
  edge::http_client client;
  simdjson::dom::parser parser;
  for (const auto& t : tenants) {
    auto res =
        call(client, "GET", admin_url + "/v1/tenants/" + t.tenant_id + "/conversations?limit=1000",
             admin_token);
    simdjson::dom::element root;
    simdjson::dom::array list;
    if (res.status != 200 || parser.parse(res.body).get(root) || root["conversations"].get(list))
      continue;
    for (auto conv : list) {
      std::string_view customer, until;
      if (conv["customer"].get(customer) || conv["human_override_until"].get(until) ||
          until.empty())
        continue;  // null or absent: the bot answers there
      uint64_t wa_id = 0;
      auto [end, ec] = std::from_chars(customer.data(), customer.data() + customer.size(), wa_id);
      auto first = std::stoull(customer_wa_id(0));
      if (ec == std::errc{} && end == customer.data() + customer.size() && wa_id >= first)
        out.insert(wa_id - first);
    }
  }
  client.stop();
  return out;
}

std::vector<tenant_channel> create_tenants(const setup_request& req) {
  edge::http_client_settings cs;
  cs.max_connections_per_host = 8;
  edge::http_client client{cs};
  std::vector<tenant_channel> out(static_cast<std::size_t>(req.tenants));
  std::atomic<int> next{0};
  std::mutex mtx;
  std::string failure;
  auto worker = [&] {
    std::mt19937_64 rng{std::random_device{}()};
    for (int i = next++; i < req.tenants; i = next++) {
      try {
        out[static_cast<std::size_t>(i)] = create_one(client, req, i, rng);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> guard{mtx};
        if (failure.empty()) failure = e.what();
        next = req.tenants;  // stop the others too
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < std::min(req.tenants, 4); ++i) workers.emplace_back(worker);
  for (auto& w : workers) w.join();
  client.stop();
  if (!failure.empty()) throw setup_error(failure);
  return out;
}

}  // namespace parley::bench
