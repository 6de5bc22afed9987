#pragma once
// What became of each bubble the outbox sent (sent with its wamid, a failed attempt to retry,
// failed for good), written in batches: every "sent" of a batch is ONE statement, whatever its
// size, and one commit (group commit, see group_commit.hpp).
//
// Owned by the node (parleyd's main), created before the actor system and stopped after it;
// the outbox submits from its actor; nothing waits for the outcome (a lost write leaves the row
// pending, and it is sent again after a restart: at least once, never lost).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct group_commit_stats;

struct send_outcome {
  enum kind_t { sent, attempt, dead };
  kind_t kind = sent;
  std::string tenant_id;
  int64_t message_id = 0;
  std::string detail;  ///< the wamid when sent, else the error
};

/// Records n outcomes in one transaction and commits it. Throws on database errors.
void record_outcomes(pqxx::connection& c, const send_outcome* outcomes, std::size_t n,
                     bool prepared = false);
void prepare_send_statements(pqxx::connection& c);

class send_log {
 public:
  explicit send_log(std::string conninfo, std::size_t max_batch = 512);
  ~send_log();
  send_log(const send_log&) = delete;
  send_log& operator=(const send_log&) = delete;

  void submit(send_outcome outcome);
  void stop();
  [[nodiscard]] group_commit_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::persistence
