#include "persistence/reply_writer.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/sql_text.hpp"
#include "persistence/statement.hpp"

namespace parley::persistence {

namespace {

// Plans whose (node, epoch) still holds a live lease on their tenant, by 1-based position.
constexpr const char* fence_sql = R"sql(
SELECT u.i FROM unnest($1::uuid[], $2::text[], $3::bigint[]) WITH ORDINALITY AS u(tenant_id, node, epoch, i)
  JOIN tenant_leases l ON l.tenant_id = u.tenant_id AND l.node = u.node AND l.epoch = u.epoch
 WHERE l.expires_at > clock_timestamp()
   FOR SHARE OF l
)sql";

// A turn claims its messages first: the ones already processed were answered by another route.
constexpr const char* claim_sql = R"sql(
UPDATE messages SET status = 'processed', processed_at = now()
 WHERE id = ANY($1::bigint[]) AND direction = 'in' AND status = 'received'
RETURNING id
)sql";

// Counts the turns and takes the row locks under which the lockout is checked; gives back where
// the bubbles go, so the reply path reads no other table.
constexpr const char* turns_sql = R"sql(
UPDATE conversations c
   SET customer_turns = c.customer_turns + cardinality(array_positions($1::uuid[], c.id)),
       last_message_at = now()
 WHERE c.id = ANY($1::uuid[])
RETURNING c.id::text, coalesce(c.human_override_until > now(), false), c.channel_id::text,
          c.customer
)sql";

// An earlier attempt (before a crash) may have stored a bubble already: it is kept. The
// bubbles are this process's to send ($8, its incarnation).
constexpr const char* bubbles_sql = R"sql(
INSERT INTO messages (tenant_id, conversation_id, direction, type, text, status, idempotency_key,
                      bubble, reply_to, author, sender)
SELECT u.t, u.c, 'out', 'text', u.body, 'pending', u.k, u.b, NULLIF(u.r, ''), u.a, $8
  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[])
       AS u(t, c, body, k, b, r, a)
ON CONFLICT (tenant_id, idempotency_key, bubble) WHERE direction = 'out' DO NOTHING
RETURNING id, tenant_id::text, idempotency_key, bubble
)sql";

// The conversations' older bubbles still pending that another process stored: stranded by a
// node that died or handed the tenant over, they must leave before the new ones
// (docs/delivery.md). This process's own are in its outbox already. Asked only for a
// conversation actor's first reply (a new actor is the only one that can find any): rare.
constexpr const char* stranded_sql = R"sql(
SELECT m.id, m.tenant_id::text, m.idempotency_key, m.bubble, true, m.conversation_id::text,
       m.text, coalesce(m.reply_to, ''), m.attempts, coalesce(m.sender, 0)
  FROM messages m
 WHERE m.conversation_id = ANY($1::uuid[]) AND m.direction = 'out' AND m.status = 'pending'
   AND m.sender IS DISTINCT FROM $2
)sql";

constexpr const char* processed_sql = R"sql(
INSERT INTO events (tenant_id, conversation_id, type, data)
SELECT u.t, u.c, 'message.processed',
       jsonb_build_object('messages', u.m::bigint[], 'bubbles', u.b, 'confidence', u.conf,
                          'fallback', u.f, 'silenced', u.s, 'escalated', u.e)
  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::float8[], $6::bool[],
              $7::bool[], $8::bool[]) AS u(t, c, m, b, conf, f, s, e)
)sql";

// The handoff and the lockout commit together with its notice: the bot stays silent from this
// transaction on. Rare: one statement per escalated turn.
constexpr const char* escalate_sql = R"sql(
WITH c AS (
  UPDATE conversations SET human_override_until = now() + make_interval(hours => $3),
         escalated_at = now(), escalation_priority = $4, escalation_department = $5
   WHERE id = $2::uuid RETURNING id)
INSERT INTO events (tenant_id, conversation_id, type, data)
SELECT $1::uuid, c.id, 'escalation.requested', $6::jsonb FROM c
)sql";

// Bubbles of a key stored by an earlier attempt (rare). No status condition in SQL: with one,
// the planner may walk the whole pending outbox instead of the key's index.
constexpr const char* of_key_sql = R"sql(
SELECT m.id, m.bubble, m.text, coalesce(m.reply_to, ''), m.attempts, m.status,
       c.channel_id::text, c.customer, coalesce(m.sender, 0)
  FROM messages m JOIN conversations c ON c.id = m.conversation_id
 WHERE m.tenant_id = $1 AND m.direction = 'out' AND m.idempotency_key = $2
 ORDER BY m.bubble
)sql";

constexpr statement fence{"reply_fence", fence_sql};
constexpr statement claim{"reply_claim", claim_sql};
constexpr statement turns{"reply_turns", turns_sql};
constexpr statement bubbles{"reply_bubbles", bubbles_sql};
constexpr statement stranded_of{"reply_stranded", stranded_sql};
constexpr statement processed{"reply_processed", processed_sql};
constexpr statement escalate{"reply_escalate", escalate_sql};
constexpr statement of_key{"reply_of_key", of_key_sql};

struct conversation_row {
  bool locked = false;
  std::string channel_id;
  std::string customer;
};

outbound_item bubble_item(const reply_plan& p, const conversation_row& conv, int64_t id, int bubble,
                          std::string text, std::string reply_to, int attempts) {
  outbound_item o;
  o.id = id;
  o.tenant_id = p.tenant_id;
  o.conversation_id = p.conversation_id;
  o.channel_id = conv.channel_id;
  o.to = conv.customer;
  o.text = std::move(text);
  o.reply_to = std::move(reply_to);
  o.bubble = bubble;
  o.attempts = attempts;
  return o;
}

// The bubbles of the plan's key that are still pending (stored by an earlier attempt).
void pending_of_key(pqxx::work& tx, bool prepared, const reply_plan& p, reply_outcome& out) {
  for (const auto& r : run(tx, prepared, of_key, p.tenant_id, p.idempotency_key)) {
    if (std::string_view{r[5].c_str()} != "pending") continue;
    conversation_row conv{false, str(r[6]), str(r[7])};
    out.to_send.push_back(bubble_item(p, conv, r[0].as<int64_t>(), r[1].as<int>(), str(r[2]),
                                      str(r[3]), r[4].as<int>()));
    // Stored by an earlier attempt, perhaps of a process that died after sending it: the
    // outbox settles such a bubble before sending it (docs/delivery.md).
    out.to_send.back().sender = r[8].as<int64_t>();
  }
}

}  // namespace

void prepare_reply_statements(pqxx::connection& c) {
  for (const auto* s :
       {&fence, &claim, &turns, &bubbles, &stranded_of, &processed, &escalate, &of_key})
    c.prepare(s->name, s->sql);
}

namespace {

// One batch of plans being stored in one transaction; each step below is one statement for
// the whole batch (escalations aside, which are rare).
struct reply_batch {
  pqxx::work& tx;
  bool prepared;
  const reply_plan* plans;
  std::size_t n;
  std::vector<reply_outcome>& out;
};

// 1. Fencing (cluster): a plan whose lease is gone writes nothing.
void fence_stale(reply_batch& b) {
  std::vector<std::string> f_tenant, f_node;
  std::vector<int64_t> f_epoch;
  std::vector<std::size_t> f_plan;
  for (std::size_t i = 0; i < b.n; ++i)
    if (b.plans[i].lease_epoch > 0) {
      f_tenant.push_back(b.plans[i].tenant_id);
      f_node.push_back(b.plans[i].lease_node);
      f_epoch.push_back(b.plans[i].lease_epoch);
      f_plan.push_back(i);
      b.out[i].fenced = true;
    }
  if (f_plan.empty()) return;
  for (const auto& r :
       run(b.tx, b.prepared, fence, text_array(f_tenant), text_array(f_node), value_array(f_epoch)))
    b.out[f_plan[r[0].as<std::size_t>() - 1]].fenced = false;
}

// 2. Claims: a turn none of whose messages is left to claim was answered already. Returns the
// plans that go on.
std::vector<std::size_t> claim_turns(reply_batch& b) {
  std::vector<int64_t> ids;
  for (std::size_t i = 0; i < b.n; ++i)
    if (!b.out[i].fenced)
      ids.insert(ids.end(), b.plans[i].inbound_ids.begin(), b.plans[i].inbound_ids.end());
  std::unordered_set<int64_t> claimed;
  if (!ids.empty())
    for (const auto& r : run(b.tx, b.prepared, claim, value_array(ids)))
      claimed.insert(r[0].as<int64_t>());
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < b.n; ++i) {
    if (b.out[i].fenced) continue;
    const auto& p = b.plans[i];
    // A claimed id goes to the first plan of the batch that names it, as if the plans had
    // been stored one after the other: a message that reached two turns is answered once.
    bool any = p.inbound_ids.empty();
    for (auto id : p.inbound_ids) any = claimed.erase(id) != 0 || any;
    if (any)
      live.push_back(i);
    else
      b.out[i].answered_already = true;
  }
  return live;
}

// 3. Turn counters and row locks; the lockout as it stands under the lock. An id given twice
// (two turns of one conversation) counts two turns.
std::unordered_map<std::string, conversation_row> lock_conversations(
    reply_batch& b, const std::vector<std::size_t>& live) {
  std::vector<std::string> conv_ids;
  for (auto i : live) conv_ids.push_back(b.plans[i].conversation_id);
  std::unordered_map<std::string, conversation_row> convs;
  if (conv_ids.empty()) return convs;
  for (const auto& r : run(b.tx, b.prepared, turns, text_array(conv_ids)))
    convs[r[0].c_str()] = conversation_row{r[1].as<bool>(), str(r[2]), str(r[3])};
  return convs;
}

struct stored_bubbles {
  std::map<std::tuple<std::string, std::string, int>, int64_t> ids;  // (tenant, key, index)
  // Older bubbles still pending, by conversation, oldest first.
  std::unordered_map<std::string, std::vector<outbound_item>> older;
};

// The conversation's older pending bubbles go out before the ones just stored.
void add_older(const pqxx::row& r, stored_bubbles& stored) {
  outbound_item o;
  o.id = r[0].as<int64_t>();
  o.tenant_id = str(r[1]);
  o.bubble = r[3].as<int>();
  o.conversation_id = str(r[5]);
  o.text = str(r[6]);
  o.reply_to = str(r[7]);
  o.attempts = r[8].as<int>();
  o.sender = r[9].as<int64_t>();
  auto& list = stored.older[o.conversation_id];
  list.push_back(std::move(o));
}

// 4. Bubbles, one statement for the batch: (tenant, idempotency key, index) -> id, and the
// conversations' older pending ones.
stored_bubbles insert_bubbles(reply_batch& b, const std::vector<std::size_t>& live,
                              const std::unordered_map<std::string, conversation_row>& convs) {
  std::vector<std::string> b_tenant, b_conv, b_text, b_key, b_reply, b_author, stranded;
  std::vector<int> b_index;
  for (auto i : live) {
    const auto& p = b.plans[i];
    auto it = convs.find(p.conversation_id);
    // A conversation gone (its tenant purged) is answered by nobody.
    b.out[i].locked = it == convs.end() || it->second.locked;
    b.out[i].escalated = p.escalate && !b.out[i].locked;
    if (b.out[i].locked) continue;
    if (p.find_stranded) stranded.push_back(p.conversation_id);
    for (std::size_t k = 0; k < p.bubbles.size(); ++k) {
      b_tenant.push_back(p.tenant_id);
      b_conv.push_back(p.conversation_id);
      b_text.push_back(p.bubbles[k]);
      b_key.push_back(p.idempotency_key);
      b_index.push_back(static_cast<int>(k));
      b_reply.push_back(p.reply_to);
      b_author.push_back(p.escalate ? "system" : "bot");
    }
  }
  stored_bubbles stored;
  if (b_text.empty()) return stored;
  for (const auto& r :
       run(b.tx, b.prepared, bubbles, text_array(b_tenant), text_array(b_conv), text_array(b_text),
           text_array(b_key), value_array(b_index), text_array(b_reply), text_array(b_author),
           common::process_incarnation()))
    stored.ids[{r[1].c_str(), r[2].c_str(), r[3].as<int>()}] = r[0].as<int64_t>();
  // Read after the insert: the transaction's own new rows are this process's, filtered out.
  if (!stranded.empty())
    for (const auto& r :
         run(b.tx, b.prepared, stranded_of, text_array(stranded), common::process_incarnation()))
      add_older(r, stored);
  for (auto& [conv, list] : stored.older)
    std::sort(list.begin(), list.end(),
              [](const outbound_item& x, const outbound_item& y) { return x.id < y.id; });
  return stored;
}

// 5. Escalations (rare), then the events of the batch.
void record_events(reply_batch& b, const std::vector<std::size_t>& live) {
  std::vector<std::string> e_tenant, e_conv, e_msgs;
  std::vector<int> e_bubbles;
  std::vector<double> e_conf;
  std::vector<bool> e_fallback, e_silenced, e_escalated;
  for (auto i : live) {
    const auto& p = b.plans[i];
    const auto& o = b.out[i];
    if (o.escalated)
      run(b.tx, b.prepared, escalate, p.tenant_id, p.conversation_id, p.handoff_hours, p.priority,
          p.department, p.escalation_json);
    e_tenant.push_back(p.tenant_id);
    e_conv.push_back(p.conversation_id);
    e_msgs.push_back(value_array(p.inbound_ids));
    e_bubbles.push_back(o.locked ? 0 : static_cast<int>(p.bubbles.size()));
    e_conf.push_back(p.confidence);
    e_fallback.push_back(p.fallback);
    e_silenced.push_back(o.locked);
    e_escalated.push_back(o.escalated);
  }
  if (e_tenant.empty()) return;
  run(b.tx, b.prepared, processed, text_array(e_tenant), text_array(e_conv), text_array(e_msgs),
      value_array(e_bubbles), value_array(e_conf), value_array(e_fallback), value_array(e_silenced),
      value_array(e_escalated));
}

// 6. What the outbox sends: the new bubbles, after their conversation's older pending ones; a
// key stored earlier gives back its pending ones.
void collect_sends(reply_batch& b, std::unordered_map<std::string, conversation_row>& convs,
                   stored_bubbles& stored) {
  for (std::size_t i = 0; i < b.n; ++i) {
    const auto& p = b.plans[i];
    auto& o = b.out[i];
    if (o.fenced) continue;
    if (o.answered_already) {
      pending_of_key(b.tx, b.prepared, p, o);
      continue;
    }
    if (o.locked || p.bubbles.empty()) continue;
    const auto& conv = convs[p.conversation_id];
    bool all_new = true;
    std::vector<outbound_item> items;
    if (auto older = stored.older.find(p.conversation_id); older != stored.older.end()) {
      for (auto& stranded : older->second) {
        stranded.channel_id = conv.channel_id;
        stranded.to = conv.customer;
        items.push_back(std::move(stranded));
      }
      stored.older.erase(older);  // once, with the first plan of the conversation
    }
    auto n_older = items.size();
    for (std::size_t k = 0; k < p.bubbles.size(); ++k) {
      auto it = stored.ids.find({p.tenant_id, p.idempotency_key, static_cast<int>(k)});
      if (it == stored.ids.end()) {
        all_new = false;
        break;
      }
      items.push_back(
          bubble_item(p, conv, it->second, static_cast<int>(k), p.bubbles[k], p.reply_to, 0));
    }
    if (!all_new) items.resize(n_older);
    o.to_send = std::move(items);
    if (!all_new) pending_of_key(b.tx, b.prepared, p, o);
  }
}

}  // namespace

std::vector<reply_outcome> store_replies(pqxx::connection& c, const reply_plan* plans,
                                         std::size_t n, bool prepared) {
  std::vector<reply_outcome> out(n);
  // Each plan names its tenant; every row written carries it.
  auto work = platform_work(c, prepared);
  reply_batch batch{*work, prepared, plans, n, out};
  fence_stale(batch);
  auto live = claim_turns(batch);
  auto convs = lock_conversations(batch, live);
  auto stored = insert_bubbles(batch, live, convs);
  record_events(batch, live);
  collect_sends(batch, convs, stored);
  work->commit();
  return out;
}

reply_outcome store_reply(pqxx::connection& c, const reply_plan& plan) {
  return std::move(store_replies(c, &plan, 1).at(0));
}

struct reply_writer::impl {
  group_commit<reply_plan, reply_outcome> writer;

  impl(std::string conninfo, std::size_t max_batch)
      : writer({std::move(conninfo), max_batch, 20000, prepare_reply_statements,
                [](pqxx::connection& c, const reply_plan* plans, std::size_t n) {
                  return store_replies(c, plans, n, true);
                },
                [](const std::string& why) {
                  reply_outcome o;
                  o.error = why.empty() ? "not stored" : why;
                  return o;
                },
                [](const reply_plan&) { return std::size_t{1}; },
                [](const reply_plan& p) { return p.tenant_id; }}) {}
};

reply_writer::reply_writer(std::string conninfo, std::size_t max_batch)
    : impl_(std::make_unique<impl>(std::move(conninfo), max_batch)) {}

reply_writer::~reply_writer() {
  stop();
}

void reply_writer::submit(reply_plan plan, done_fn done) {
  impl_->writer.submit(std::move(plan), std::move(done));
}

void reply_writer::stop() {
  impl_->writer.stop();
}

group_commit_stats reply_writer::stats() const {
  return impl_->writer.stats();
}

std::size_t reply_writer::queued() const {
  return impl_->writer.queued();
}

}  // namespace parley::persistence
