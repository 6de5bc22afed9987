#pragma once
// Statements behind conversation actors and the outbox. Each function runs on a pool thread in
// its own transaction and throws on database errors.
#include <cstdint>
#include <string>
#include <vector>

#include "logic/outbound_bubble.hpp"
#include "persistence/inbox_writer.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace parley::persistence {

struct context_line {
  std::string direction;  ///< "in" or "out"
  std::string text;
};

/// What a conversation actor needs when it (re)starts.
struct conversation_snapshot {
  bool found = false;
  int64_t override_until_ms = 0;            ///< human lockout end (epoch ms), 0 when none
  std::vector<context_line> context;        ///< the last messages, oldest first
  std::vector<stored_message> unprocessed;  ///< acknowledged, not yet answered, in order
  int customer_turns = 0;                   ///< turns answered so far
  std::string handoff_message;              ///< the tenant's, sent when escalating
  int handoff_hours = 24;
};

conversation_snapshot load_conversation(pqxx::connection& c, const std::string& tenant_id,
                                        const std::string& conversation_id, int context_size);

/// One outgoing bubble, with what the outbox needs to send it.
using outbound_item = logic::outbound_bubble;

struct reply_plan {
  std::string tenant_id;
  std::string conversation_id;
  std::string channel_id;  ///< the conversation's channel and customer, for the bubbles to send;
  std::string customer;    ///< looked up when empty
  std::vector<int64_t> inbound_ids;  ///< the turn's messages, all marked processed
  std::string idempotency_key;       ///< the last inbound message id of the turn
  std::vector<std::string> bubbles;  ///< empty: stay silent
  std::string reply_to;              ///< wamid to quote, may be empty
  double confidence = 0;
  bool fallback = false;
  /// Escalate instead of answering: bubbles are then the tenant's handoff message, sent as a
  /// system message, and the conversation is locked for `handoff_hours`.
  bool escalate = false;
  int handoff_hours = 24;
  std::string escalation_json = "{}";  ///< reasons, score, priority, department
  std::string priority;
  std::string department;
  /// Fencing (cluster): when lease_epoch > 0 the reply is stored only while (lease_node,
  /// lease_epoch) holds a live lease on the tenant, checked inside the transaction.
  std::string lease_node;
  int64_t lease_epoch = 0;
  /// Also bring the conversation's pending bubbles another process stored (stranded by a node
  /// that died or handed the tenant over), to be sent first. Set on the first reply a
  /// conversation actor of a clustered node stores: only a new actor can find any
  /// (docs/delivery.md).
  bool find_stranded = false;
};

struct reply_outcome {
  bool locked = false;     ///< a human holds the conversation: nothing was queued
  bool escalated = false;  ///< this turn handed the conversation to a person
  bool fenced = false;     ///< the lease is gone: nothing was written, another node owns the tenant
  /// Every message of the turn was answered already (a retried store, or a message that reached
  /// the conversation twice by two routes): nothing new was stored; to_send holds the bubbles
  /// of this idempotency key still pending, if any.
  bool answered_already = false;
  std::vector<outbound_item> to_send;  ///< bubbles still pending, in order
  std::string error;                   ///< not stored (database error, writer stopping)
};

/// A person takes the conversation over: lockout for `hours`, pending bot bubbles cancelled.
/// `scope` is the caller's tenant or the platform. Returns the conversation's tenant, or "".
std::string handoff(pqxx::connection& c, const std::string& scope,
                    const std::string& conversation_id, int hours, const std::string& actor);
/// Gives the conversation back to the bot. Returns the conversation's tenant, or "".
std::string release(pqxx::connection& c, const std::string& scope,
                    const std::string& conversation_id, const std::string& actor);
/// A person's reply: stored (author human) for the outbox, the lockout renewed. Empty when the
/// conversation is not found.
std::vector<outbound_item> human_reply(pqxx::connection& c, const std::string& scope,
                                       const std::string& conversation_id,
                                       const std::vector<std::string>& bubbles,
                                       const std::string& actor);

/// Makes a bubble stored by process `previous` this process's (`self`) to send: true when it
/// was still pending, without a wamid (no status named it) and still `previous`'s. False: it
/// was sent (its status came), cancelled, or claimed by another process meanwhile.
bool claim_bubble(pqxx::connection& c, const std::string& tenant_id, int64_t message_id,
                  int64_t previous, int64_t self);

/// Every outbound bubble still pending, oldest first (recovery at start).
std::vector<outbound_item> pending_outbox(pqxx::connection& c);
/// The pending bubbles of one tenant, oldest first (a node taking the tenant over sends them).
std::vector<outbound_item> pending_outbox_for_tenant(pqxx::connection& c,
                                                     const std::string& tenant_id);
/// Tenants with inbound messages not yet answered or bubbles not yet sent, older than
/// `older_than_ms` (cluster: the tenants someone must run).
std::vector<std::string> tenants_with_work(pqxx::connection& c, int64_t older_than_ms);
/// Every acknowledged inbound message not yet processed, oldest first (recovery at start).
std::vector<stored_message> unprocessed_inbound(pqxx::connection& c);

/// Unprocessed inbound messages of one tenant with id > after_id, oldest first (intake resumes
/// after backpressure from here).
std::vector<stored_message> unprocessed_for_tenant(pqxx::connection& c,
                                                   const std::string& tenant_id, int64_t after_id,
                                                   int limit);

/// Inbound messages that crashed their conversation too often: status dead, a dead letter with
/// the error, a message.dead_lettered event. The conversation goes on without them.
void dead_letter_inbound(pqxx::connection& c, const std::string& tenant_id,
                         const std::string& conversation_id, const std::vector<int64_t>& ids,
                         const std::string& error);

}  // namespace parley::persistence
