#include "persistence/send_log.hpp"

#include <spdlog/spdlog.h>

#include "persistence/group_commit.hpp"
#include "persistence/sql_text.hpp"
#include "persistence/statement.hpp"

namespace parley::persistence {

namespace {

// Rows are found by primary key (= ANY), whatever the planner thinks of an unnest's size; a
// row's 'reply.sent' event is the row itself (the timeline view). The rows that a status
// webhook overtook (rare) come back to have their best status applied.
constexpr const char* sent_sql = R"sql(
WITH s AS (
  UPDATE messages m
     SET status = 'sent', provider_id = ($2::text[])[array_position($1::bigint[], m.id)],
         sent_at = now(), attempts = m.attempts + 1, error = NULL
   WHERE m.id = ANY($1::bigint[]) AND m.status = 'pending'
  RETURNING m.id, m.provider_id)
SELECT s.id, s.provider_id FROM s
 WHERE EXISTS (SELECT 1 FROM message_statuses ms WHERE ms.provider_id = s.provider_id)
)sql";

// Statuses that overtook the send result are applied now, best first.
constexpr const char* early_status_sql = R"sql(
UPDATE messages m SET status = s.status,
       delivered_at = CASE WHEN s.status = 'delivered' THEN s.provider_ts ELSE m.delivered_at END,
       read_at = CASE WHEN s.status IN ('read', 'played') THEN s.provider_ts ELSE m.read_at END,
       failed_at = CASE WHEN s.status = 'failed' THEN s.provider_ts ELSE m.failed_at END,
       error = CASE WHEN s.status = 'failed' THEN s.errors ELSE m.error END
  FROM (SELECT status, provider_ts, errors FROM message_statuses
         WHERE provider_id = $2 ORDER BY parley_status_rank(status) DESC, id LIMIT 1) s
 WHERE m.id = $1 AND parley_status_rank(s.status) > parley_status_rank(m.status)
)sql";

constexpr const char* attempt_sql =
    "UPDATE messages SET attempts = attempts + 1, error = $2 WHERE id = $1";

constexpr const char* dead_sql = R"sql(
WITH m AS (
  UPDATE messages SET status = 'failed', failed_at = now(), attempts = attempts + 1, error = $2
   WHERE id = $1 AND status = 'pending' RETURNING id, tenant_id, conversation_id),
d AS (
  INSERT INTO dead_letters (tenant_id, message_id, kind, error)
  SELECT tenant_id, id, 'outbound', $2 FROM m)
INSERT INTO events (tenant_id, conversation_id, type, data)
SELECT tenant_id, conversation_id, 'reply.failed',
       jsonb_build_object('message_id', id, 'error', $2::text) FROM m
)sql";

constexpr statement sent_stmt{"send_sent", sent_sql};
constexpr statement early_stmt{"send_early_status", early_status_sql};
constexpr statement attempt_stmt{"send_attempt", attempt_sql};
constexpr statement dead_stmt{"send_dead", dead_sql};

}  // namespace

void prepare_send_statements(pqxx::connection& c) {
  for (const auto* s : {&sent_stmt, &early_stmt, &attempt_stmt, &dead_stmt})
    c.prepare(s->name, s->sql);
}

void record_outcomes(pqxx::connection& c, const send_outcome* outcomes, std::size_t n,
                     bool prepared) {
  auto work = platform_work(c, prepared);  // each outcome names its message; ids are global
  auto& tx = *work;
  std::vector<int64_t> ids;
  std::vector<std::string> wamids;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& o = outcomes[i];
    if (o.kind == send_outcome::sent) {
      ids.push_back(o.message_id);
      wamids.push_back(o.detail);
    } else if (o.kind == send_outcome::attempt) {
      run(tx, prepared, attempt_stmt, o.message_id, o.detail);
    } else {
      run(tx, prepared, dead_stmt, o.message_id, o.detail);
    }
  }
  if (!ids.empty())
    for (const auto& r : run(tx, prepared, sent_stmt, value_array(ids), text_array(wamids)))
      run(tx, prepared, early_stmt, r[0].as<int64_t>(), str(r[1]));
  tx.commit();
}

struct send_log::impl {
  group_commit<send_outcome, bool> writer;

  impl(std::string conninfo, std::size_t max_batch)
      : writer({std::move(conninfo), max_batch, 100000, prepare_send_statements,
                [](pqxx::connection& c, const send_outcome* o, std::size_t n) {
                  record_outcomes(c, o, n, true);
                  return std::vector<bool>(n, true);
                },
                [](const std::string&) { return false; },
                [](const send_outcome&) { return std::size_t{1}; },
                [](const send_outcome& o) { return o.tenant_id; }}) {}
};

send_log::send_log(std::string conninfo, std::size_t max_batch)
    : impl_(std::make_unique<impl>(std::move(conninfo), max_batch)) {}

send_log::~send_log() {
  stop();
}

void send_log::submit(send_outcome outcome) {
  auto id = outcome.message_id;
  impl_->writer.submit(std::move(outcome), [id](bool ok) {
    // The row stays pending and is sent again after a restart: at least once, never lost.
    if (!ok) spdlog::error("outbox: cannot record the outcome of message {}", id);
  });
}

void send_log::stop() {
  impl_->writer.stop();
}

group_commit_stats send_log::stats() const {
  return impl_->writer.stats();
}

}  // namespace parley::persistence
