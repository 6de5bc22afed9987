#pragma once
// Payloads that only ever travel between actors of one node (results of database work handed
// back from pool threads). They are whitelisted as "unsafe" because they have no inspect():
// they must never be sent to another node.
#include <caf/allowed_unsafe_message_type.hpp>
#include <memory>

namespace parley::logic::responder {
class knowledge_index;
}
namespace parley::persistence {
struct conversation_snapshot;
struct reply_outcome;
}  // namespace parley::persistence

namespace parley {
using index_ptr = std::shared_ptr<const logic::responder::knowledge_index>;
using snapshot_ptr = std::shared_ptr<const persistence::conversation_snapshot>;
using outcome_ptr = std::shared_ptr<const persistence::reply_outcome>;
}  // namespace parley

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::index_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::snapshot_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::outcome_ptr)
