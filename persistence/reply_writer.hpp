#pragma once
// Stores the replies of many turns in one transaction (group commit, see group_commit.hpp):
// the turns' claims, the lockout check under the conversations' row locks, the bubbles and the
// message.processed events each take ONE statement per batch, whatever its size.
//
// Owned by the node (parleyd's main), created before the actor system and stopped after it;
// conversation actors submit from their own threads; `done` runs on the writer's thread.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "persistence/conversation_store.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct group_commit_stats;

/// Stores n turns' replies in one transaction and commits it. One outcome per plan, in order.
/// Throws on database errors (nothing committed). When `prepared`, the connection was set up by
/// prepare_reply_statements.
std::vector<reply_outcome> store_replies(pqxx::connection& c, const reply_plan* plans,
                                         std::size_t n, bool prepared = false);

/// One turn alone (tests, and callers without a writer): store_replies of one plan.
reply_outcome store_reply(pqxx::connection& c, const reply_plan& plan);

void prepare_reply_statements(pqxx::connection& c);

class reply_writer {
 public:
  using done_fn = std::function<void(reply_outcome)>;

  explicit reply_writer(std::string conninfo, std::size_t max_batch = 256);
  ~reply_writer();
  reply_writer(const reply_writer&) = delete;
  reply_writer& operator=(const reply_writer&) = delete;

  /// `done` gets the outcome after the commit, or one with `error` set.
  void submit(reply_plan plan, done_fn done);
  void stop();
  [[nodiscard]] group_commit_stats stats() const;
  [[nodiscard]] std::size_t queued() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::persistence
