#include "persistence/inbox_writer.hpp"

#include <memory>
#include <pqxx/pqxx>

#include "persistence/tenant_scope.hpp"

namespace parley::persistence {

namespace {

// One round trip per message: conversation upsert, deduplicated insert and event together.
// No row back means the message was a duplicate.
constexpr const char* ingest_message_sql = R"sql(
WITH conv AS (
  INSERT INTO conversations (tenant_id, channel_id, customer, customer_name)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT (channel_id, customer) DO UPDATE
    SET last_message_at = now(),
        customer_name = CASE WHEN EXCLUDED.customer_name <> '' THEN EXCLUDED.customer_name
                             ELSE conversations.customer_name END
  RETURNING id),
msg AS (
  INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, provider_id,
                        raw, provider_ts, author, media_id, media_mime, media_sha256,
                        media_filename, media_voice)
  SELECT $1, conv.id, 'in', $5, $6, 'received', $7, $8, to_timestamp($9), 'customer',
         NULLIF($10, ''), NULLIF($11, ''), NULLIF($12, ''), NULLIF($13, ''), $14
  FROM conv
  ON CONFLICT (tenant_id, provider_id) WHERE direction = 'in' DO NOTHING
  RETURNING id, conversation_id),
ev AS (
  INSERT INTO events (tenant_id, conversation_id, type, data)
  SELECT $1, msg.conversation_id, 'message.received',
         jsonb_build_object('message_id', msg.id, 'wamid', $7::text, 'type', $5::text)
  FROM msg)
SELECT id, conversation_id FROM msg
)sql";

// Statuses are kept as received and applied monotonically: a late 'delivered' never
// overwrites 'read', and 'failed' is final.
constexpr const char* ingest_status_sql = R"sql(
WITH s AS (
  INSERT INTO message_statuses (tenant_id, provider_id, status, provider_ts, errors)
  VALUES ($1, $2, $3, to_timestamp($4), NULLIF($5, ''))
  RETURNING provider_id)
UPDATE messages m
   SET status = $3,
       delivered_at = CASE WHEN $3 = 'delivered' THEN coalesce(m.delivered_at, to_timestamp($4))
                           ELSE m.delivered_at END,
       read_at = CASE WHEN $3 IN ('read', 'played') THEN coalesce(m.read_at, to_timestamp($4))
                      ELSE m.read_at END,
       failed_at = CASE WHEN $3 = 'failed' THEN to_timestamp($4) ELSE m.failed_at END,
       error = CASE WHEN $3 = 'failed' THEN NULLIF($5, '') ELSE m.error END
 WHERE m.direction = 'out' AND m.tenant_id = $1 AND m.provider_id = $2
   AND m.status NOT IN ('failed', 'dead')
   AND parley_status_rank(m.status) < parley_status_rank($3)
)sql";

constexpr const char* payload_sql =
    "INSERT INTO webhook_payloads (tenant_id, channel_id, body) VALUES ($1, $2, $3)";

void prepare(pqxx::connection& c) {
  c.prepare("ingest_message", ingest_message_sql);
  c.prepare("ingest_status", ingest_status_sql);
  c.prepare("ingest_payload", payload_sql);
}

// Runs inside the batch's transaction (scope: platform; the tenant of every row comes from
// the channel the webhook was verified for). Throws on any error.
ingest_result write_one(pqxx::work& sub, const ingest_request& r) {
  ingest_result out;
  sub.exec_prepared("ingest_payload", r.tenant_id, r.channel_id, r.raw_body);
  for (const auto& m : r.messages) {
    auto rs = sub.exec_prepared("ingest_message", r.tenant_id, r.channel_id, m.from, m.contact_name,
                                m.type, m.text, m.wamid, m.raw, m.provider_ts, m.media_id,
                                m.media_mime, m.media_sha256, m.media_filename, m.media_voice);
    if (rs.empty()) {
      ++out.duplicates;
      continue;
    }
    stored_message s{rs[0][0].as<int64_t>(),
                     r.tenant_id,
                     r.channel_id,
                     rs[0][1].c_str(),
                     m.from,
                     m.type,
                     m.text,
                     m.wamid};
    s.media_id = m.media_id;
    s.media_mime = m.media_mime;
    s.media_sha256 = m.media_sha256;
    s.media_filename = m.media_filename;
    s.media_voice = m.media_voice;
    out.stored.push_back(std::move(s));
  }
  for (const auto& s : r.statuses)
    sub.exec_prepared("ingest_status", r.tenant_id, s.wamid, s.status, s.provider_ts, s.errors);
  out.ok = true;
  return out;
}

}  // namespace

inbox_writer::inbox_writer(inbox_settings s) : settings_(std::move(s)) {
  thread_ = std::thread([this] { run(); });
}

inbox_writer::~inbox_writer() {
  stop();
}

void inbox_writer::submit(ingest_request req, done_fn done) {
  {
    std::unique_lock<std::mutex> guard{mtx_};
    if (!stopping_ && queue_.size() < settings_.max_queue) {
      queue_.push_back(pending{std::move(req), std::move(done)});
      guard.unlock();
      cv_.notify_one();
      return;
    }
  }
  ingest_result r;
  r.error = stopping_ ? "stopping" : "intake overloaded";
  done(std::move(r));
}

void inbox_writer::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

inbox_stats inbox_writer::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return stats_;
}

void inbox_writer::run() {
  std::unique_ptr<pqxx::connection> conn;
  for (;;) {
    std::vector<pending> batch;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued was written
      std::size_t rows = 0;
      while (!queue_.empty() && (batch.empty() || rows < settings_.max_batch_messages)) {
        rows += 1 + queue_.front().req.messages.size() + queue_.front().req.statuses.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<ingest_result> results(batch.size());
    std::string failure;
    try {
      if (!conn || !conn->is_open()) {
        conn.reset();
        conn = std::make_unique<pqxx::connection>(settings_.conninfo);
        prepare(*conn);
      }
      // Round trips are the cost here, not commits: one scope and one commit per batch, no
      // savepoints. Should a request fail, the batch is redone one request per transaction,
      // so a bad request still fails alone.
      try {
        scoped_work tx{*conn, platform};
        for (std::size_t i = 0; i < batch.size(); ++i) results[i] = write_one(tx, batch[i].req);
        tx.commit();
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const std::exception&) {
        if (!conn->is_open()) throw;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          try {
            scoped_work tx{*conn, platform};
            results[i] = write_one(tx, batch[i].req);
            tx.commit();
          } catch (const pqxx::broken_connection&) {
            throw;
          } catch (const std::exception& e) {
            results[i] = ingest_result{false, e.what(), {}, 0};
          }
        }
      }
    } catch (const std::exception& e) {
      if (conn && !conn->is_open()) conn.reset();
      failure = e.what();
    }
    std::size_t messages = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!failure.empty()) results[i] = ingest_result{false, failure, {}, 0};
      messages += results[i].stored.size();
      batch[i].done(std::move(results[i]));
    }
    std::lock_guard<std::mutex> guard{mtx_};
    if (failure.empty()) {
      ++stats_.commits;
      stats_.requests += batch.size();
      stats_.messages += messages;
    }
  }
}

}  // namespace parley::persistence
