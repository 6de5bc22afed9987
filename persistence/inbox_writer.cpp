#include "persistence/inbox_writer.hpp"

#include <atomic>
#include <map>
#include <tuple>

#include "persistence/group_commit.hpp"
#include "persistence/sql_text.hpp"

namespace parley::persistence {

namespace {

// Every statement here writes a whole batch: the arrays are one parameter each.

// Meta offers no way to fetch old webhooks: every accepted body is kept as received.
constexpr const char* payloads_sql = R"sql(
INSERT INTO webhook_payloads (tenant_id, channel_id, body)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])
)sql";

// The batch's customers (each once): new ones get a conversation; existing ones are read from
// the statement's snapshot. No row lock on existing conversations: intake never waits for a
// turn, and a turn never waits for intake.
constexpr const char* conversations_sql = R"sql(
WITH u AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])
         WITH ORDINALITY AS u(tenant_id, channel_id, customer, name, i)),
ins AS (
  INSERT INTO conversations (tenant_id, channel_id, customer, customer_name)
  SELECT tenant_id, channel_id, customer, name FROM u ORDER BY i
  ON CONFLICT (channel_id, customer) DO NOTHING
  RETURNING id, channel_id, customer)
SELECT u.i, coalesce(ins.id, c.id)::text, ins.id IS NOT NULL,
       c.id IS NOT NULL AND u.name <> '' AND c.customer_name <> u.name
  FROM u LEFT JOIN ins ON ins.channel_id = u.channel_id AND ins.customer = u.customer
         LEFT JOIN LATERAL (
           -- OFFSET 0: one index probe per customer, never a scan of the whole table
           SELECT id, customer_name FROM conversations c
            WHERE c.channel_id = u.channel_id AND c.customer = u.customer OFFSET 0) c ON true
)sql";

// A conversation created by another node's intake after this statement's snapshot (rare).
constexpr const char* conversation_sql =
    "SELECT id::text FROM conversations WHERE channel_id = $1 AND customer = $2";

// Names follow the customer's WhatsApp profile. Best effort: a conversation locked by a turn
// in flight keeps its name until the next message (intake never waits for a turn).
constexpr const char* names_sql = R"sql(
UPDATE conversations c SET customer_name = ($2::text[])[array_position($1::uuid[], c.id)]
 WHERE c.id IN (SELECT id FROM conversations WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)
)sql";

// Deduplicated on (tenant, wamid): no row back means the message was stored before. Rows are
// inserted in the arrays' order, so ids follow the order of acknowledgement. Its
// 'message.received' event is the row itself (the timeline view).
constexpr const char* messages_sql = R"sql(
WITH m AS (
  INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, provider_id,
                        raw, provider_ts, author, media_id, media_mime, media_sha256,
                        media_filename, media_voice)
  SELECT t, c, 'in', ty, body, 'received', w, r, to_timestamp(ts), 'customer', NULLIF(mi, ''),
         NULLIF(mm, ''), NULLIF(ms, ''), NULLIF(mf, ''), mv
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[])
         AS u(t, c, ty, body, w, r, ts, mi, mm, ms, mf, mv)
  ON CONFLICT (tenant_id, provider_id) WHERE direction = 'in' DO NOTHING
  RETURNING id, tenant_id, provider_id)
SELECT id, tenant_id::text, provider_id FROM m
)sql";

// Statuses are kept as received and applied monotonically: a late 'delivered' never
// overwrites 'read', and 'failed' is final. Rare next to messages: one statement each.
// A status naming its bubble ($6, from biz_opaque_callback_data) also finds a bubble that has
// no wamid yet: its sender died between the channel's acceptance and its "sent" mark, and this
// is how the node that takes over learns that it was sent.
constexpr const char* status_sql = R"sql(
WITH s AS (
  INSERT INTO message_statuses (tenant_id, provider_id, status, provider_ts, errors)
  VALUES ($1, $2, $3, to_timestamp($4), NULLIF($5, ''))
  RETURNING provider_id)
UPDATE messages m
   SET status = $3,
       provider_id = coalesce(m.provider_id, $2),
       sent_at = coalesce(m.sent_at, to_timestamp($4)),
       delivered_at = CASE WHEN $3 = 'delivered' THEN coalesce(m.delivered_at, to_timestamp($4))
                           ELSE m.delivered_at END,
       read_at = CASE WHEN $3 IN ('read', 'played') THEN coalesce(m.read_at, to_timestamp($4))
                      ELSE m.read_at END,
       failed_at = CASE WHEN $3 = 'failed' THEN to_timestamp($4) ELSE m.failed_at END,
       error = CASE WHEN $3 = 'failed' THEN NULLIF($5, '') ELSE m.error END
 WHERE m.direction = 'out' AND m.tenant_id = $1
   AND (m.provider_id = $2 OR (m.id = $6 AND m.provider_id IS NULL))
   AND m.status NOT IN ('failed', 'dead', 'cancelled')
   AND parley_status_rank(m.status) < parley_status_rank($3)
)sql";

void prepare(pqxx::connection& c) {
  c.prepare("ingest_payloads", payloads_sql);
  c.prepare("ingest_conversations", conversations_sql);
  c.prepare("ingest_conversation", conversation_sql);
  c.prepare("ingest_names", names_sql);
  c.prepare("ingest_messages", messages_sql);
  c.prepare("ingest_status", status_sql);
}

struct message_ref {
  std::size_t request;
  std::size_t message;
  std::size_t conversation;  // index into the batch's distinct customers
};

// The distinct customers of a batch, in order of first appearance, and where each message is.
struct batch_customers {
  std::vector<std::string> tenant, channel, customer, name;
  std::vector<message_ref> refs;
};

batch_customers customers_of(const ingest_request* reqs, std::size_t n) {
  batch_customers c;
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < reqs[i].messages.size(); ++k) {
      const auto& m = reqs[i].messages[k];
      auto [it, added] = seen.emplace(std::make_pair(reqs[i].channel_id, m.from), c.tenant.size());
      if (added) {
        c.tenant.push_back(reqs[i].tenant_id);
        c.channel.push_back(reqs[i].channel_id);
        c.customer.push_back(m.from);
        c.name.push_back(m.contact_name);
      } else if (!m.contact_name.empty()) {
        c.name[it->second] = m.contact_name;  // the latest name wins
      }
      c.refs.push_back(message_ref{i, k, it->second});
    }
  return c;
}

// Each customer's conversation (created when new; renamed when the name changed).
struct batch_conversations {
  std::vector<std::string> id;
  std::vector<bool> created;
};

batch_conversations open_conversations(pqxx::work& tx, const batch_customers& c) {
  batch_conversations out{std::vector<std::string>(c.tenant.size()),
                          std::vector<bool>(c.tenant.size(), false)};
  std::vector<std::string> rename_id, rename_to;
  for (const auto& r :
       tx.exec_prepared("ingest_conversations", text_array(c.tenant), text_array(c.channel),
                        text_array(c.customer), text_array(c.name))) {
    auto i = r[0].as<std::size_t>() - 1;
    out.id[i] = str(r[1]);
    out.created[i] = r[2].as<bool>();
    if (r[3].as<bool>(false)) {
      rename_id.push_back(out.id[i]);
      rename_to.push_back(c.name[i]);
    }
  }
  for (std::size_t i = 0; i < out.id.size(); ++i)
    if (out.id[i].empty())
      out.id[i] = str(tx.exec_prepared1("ingest_conversation", c.channel[i], c.customer[i])[0]);
  if (!rename_id.empty())
    tx.exec_prepared("ingest_names", text_array(rename_id), text_array(rename_to));
  return out;
}

// The messages, one statement: (tenant, wamid) -> id of those not stored before.
std::map<std::pair<std::string, std::string>, int64_t> insert_messages(
    pqxx::work& tx, const ingest_request* reqs, const std::vector<message_ref>& refs,
    const batch_conversations& convs) {
  std::vector<std::string> tenant, conv, type, text, wamid, raw, mid, mmime, msha, mfile;
  std::vector<int64_t> ts;
  std::vector<bool> voice;
  for (const auto& ref : refs) {
    const auto& m = reqs[ref.request].messages[ref.message];
    tenant.push_back(reqs[ref.request].tenant_id);
    conv.push_back(convs.id[ref.conversation]);
    type.push_back(m.type);
    text.push_back(m.text);
    wamid.push_back(m.wamid);
    raw.push_back(m.raw);
    ts.push_back(m.provider_ts);
    mid.push_back(m.media.id);
    mmime.push_back(m.media.mime_type);
    msha.push_back(m.media.sha256);
    mfile.push_back(m.media.filename);
    voice.push_back(m.media.voice);
  }
  std::map<std::pair<std::string, std::string>, int64_t> inserted;
  for (const auto& r : tx.exec_prepared(
           "ingest_messages", text_array(tenant), text_array(conv), text_array(type),
           text_array(text), text_array(wamid), text_array(raw), value_array(ts), text_array(mid),
           text_array(mmime), text_array(msha), text_array(mfile), value_array(voice)))
    inserted.emplace(std::make_pair(str(r[1]), str(r[2])), r[0].as<int64_t>());
  return inserted;
}

void store_messages(pqxx::work& tx, const ingest_request* reqs, std::vector<ingest_result>& out,
                    const batch_customers& customers) {
  auto convs = open_conversations(tx, customers);
  auto inserted = insert_messages(tx, reqs, customers.refs, convs);
  for (const auto& ref : customers.refs) {
    const auto& req = reqs[ref.request];
    const auto& m = req.messages[ref.message];
    auto it = inserted.find({req.tenant_id, m.wamid});
    if (it == inserted.end()) {  // stored before, or earlier in this batch
      ++out[ref.request].duplicates;
      continue;
    }
    stored_message s;
    s.id = it->second;
    s.tenant_id = req.tenant_id;
    s.channel_id = req.channel_id;
    s.conversation_id = convs.id[ref.conversation];
    s.customer = m.from;
    s.type = m.type;
    s.text = m.text;
    s.wamid = m.wamid;
    s.media = m.media;
    s.new_conversation = convs.created[ref.conversation];
    out[ref.request].stored.push_back(std::move(s));
    inserted.erase(it);  // a second copy in the batch is a duplicate
  }
}

// The batch's requests in one transaction (scope: platform; the tenant of every row comes from
// the channel the webhook was verified for). Throws on any error.
std::vector<ingest_result> write_batch(pqxx::connection& c, const ingest_request* reqs,
                                       std::size_t n) {
  std::vector<ingest_result> out(n);
  pqxx::work tx{c};  // the writer's session sees every tenant (group_commit)
  std::vector<std::string> p_tenant, p_channel, p_body;
  for (std::size_t i = 0; i < n; ++i) {
    p_tenant.push_back(reqs[i].tenant_id);
    p_channel.push_back(reqs[i].channel_id);
    p_body.push_back(reqs[i].raw_body);
  }
  tx.exec_prepared("ingest_payloads", text_array(p_tenant), text_array(p_channel),
                   text_array(p_body));
  auto customers = customers_of(reqs, n);
  if (!customers.refs.empty()) store_messages(tx, reqs, out, customers);
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& s : reqs[i].statuses)
      tx.exec_prepared("ingest_status", reqs[i].tenant_id, s.wamid, s.status, s.provider_ts,
                       s.errors, s.bubble_id);
  tx.commit();
  for (auto& r : out) r.ok = true;
  return out;
}

std::size_t rows_of(const ingest_request& r) {
  return 1 + r.messages.size() + r.statuses.size();
}

}  // namespace

struct inbox_writer::impl {
  std::atomic<uint64_t> messages{0};
  group_commit<ingest_request, ingest_result> writer;
  explicit impl(const inbox_settings& s)
      : writer({s.conninfo, s.max_batch_messages, s.max_queue, prepare, write_batch,
                [](const std::string& why) {
                  ingest_result r;
                  r.error = why == "overloaded" ? "intake overloaded" : why;
                  return r;
                },
                rows_of, [](const ingest_request& r) { return r.tenant_id; }}) {}
};

inbox_writer::inbox_writer(inbox_settings s) : impl_(std::make_unique<impl>(s)) {}

inbox_writer::~inbox_writer() {
  stop();
}

void inbox_writer::submit(ingest_request req, done_fn done) {
  impl_->writer.submit(std::move(req), [this, done = std::move(done)](ingest_result r) {
    impl_->messages += r.stored.size();
    done(std::move(r));
  });
}

void inbox_writer::stop() {
  impl_->writer.stop();
}

inbox_stats inbox_writer::stats() const {
  auto s = impl_->writer.stats();
  return inbox_stats{s.commits, s.requests, impl_->messages.load()};
}

}  // namespace parley::persistence
