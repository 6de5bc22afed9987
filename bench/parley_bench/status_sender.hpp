#pragma once
// What Meta does after accepting a message: a "sent" status webhook for it, signed with the
// channel's app secret and carrying the message's biz_opaque_callback_data, to the business's
// webhook. parley-bench's fake Graph API calls accepted() for every send when --statuses is on;
// the status goes to the first target that takes it (a node may be down in a chaos run).
//
// Owned by main, outliving the fake Graph API; accepted() is called from its server threads and
// returns at once (the posts run on the HTTP client's own threads).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/parley_bench/payload.hpp"

namespace parley::edge {
class http_client;
}

namespace parley::bench {

class status_sender {
 public:
  status_sender(std::vector<std::string> target_urls, const std::vector<tenant_channel>& tenants);
  ~status_sender();
  status_sender(const status_sender&) = delete;
  status_sender& operator=(const status_sender&) = delete;

  void accepted(const std::string& phone_number_id, const std::string& to, const std::string& wamid,
                const std::string& callback);
  [[nodiscard]] uint64_t posted() const { return posted_.load(); }
  [[nodiscard]] uint64_t lost() const { return lost_.load(); }

 private:
  void post(std::shared_ptr<const std::string> body, std::string signature, std::string path,
            std::size_t target);

  std::vector<std::string> targets_;
  std::unordered_map<std::string, tenant_channel> by_phone_;
  std::atomic<uint64_t> posted_{0}, lost_{0};
  // Last: destroyed first, so no answer of a post in flight reaches the members above.
  std::unique_ptr<edge::http_client> client_;
};

}  // namespace parley::bench
