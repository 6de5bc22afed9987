#pragma once
// Creates the benchmark's tenants through parleyd's admin API: per tenant one WhatsApp channel
// pointing at the fake Graph API and the shop's knowledge base. Blocking; runs on the main
// thread (with a few helper threads for many tenants) before the load starts.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench/parley_bench/payload.hpp"

namespace parley::bench {

struct setup_request {
  std::string admin_url;  ///< http://host:port of one node
  std::string admin_token;
  std::string graph_base_url;
  int tenants = 1;
  int extra_articles = 0;  ///< generated articles per tenant on top of the base KB
  uint64_t seed = 1;
};

struct setup_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Waits until GET /ready answers 200 (throws setup_error after `timeout_s`).
void wait_ready(const std::string& base_url, double timeout_s);

/// Throws setup_error with the failing call and its answer.
std::vector<tenant_channel> create_tenants(const setup_request& req);

/// Customers (global indexes, see customer_wa_id) whose conversation a person has taken over
/// (human_override_until set): the bot is silent there by design. Reads up to 1,000
/// conversations per tenant; an unreachable API gives an empty set.
std::unordered_set<uint64_t> handed_off_customers(const std::string& admin_url,
                                                  const std::string& admin_token,
                                                  const std::vector<tenant_channel>& tenants);

}  // namespace parley::bench
