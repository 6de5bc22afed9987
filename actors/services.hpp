#pragma once
// What the node's actors share: owned by parleyd's main, created before the actor system and
// destroyed after it, so actors hold plain pointers.
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <string>

namespace parley::persistence {
class db_pool;
class reply_writer;
class send_log;
}  // namespace parley::persistence
namespace parley::edge {
class http_client;
}
namespace parley::common {
class metrics_registry;
}
namespace parley::common::security {
class secret_box;
}
namespace parley::channels {
class channel_directory;
}
namespace parley::media {
class media_pipeline;
}
namespace parley::cluster {
class placement_view;
}

namespace parley::actors {

struct outbox_settings {
  int max_attempts = 5;                       ///< sends per bubble before it is a dead letter
  std::chrono::milliseconds retry_base{500};  ///< first backoff; doubles, with jitter
  std::chrono::milliseconds retry_max{30000};
  std::chrono::milliseconds send_timeout{10000};
  std::size_t max_in_flight = 256;  ///< concurrent sends over all conversations
  /// How long a bubble another process stored (and may have sent) waits for its status
  /// webhook before this node claims and sends it; longer than send_timeout.
  std::chrono::milliseconds uncertain_wait{12000};
};

struct limits {
  std::size_t max_active_conversations = 100000;   ///< per node; beyond, the LRU is passivated
  std::size_t tenant_max_in_flight = 2000;         ///< messages held in a tenant's actors
  std::size_t conversation_max_queued = 200;       ///< messages held by one conversation
  std::chrono::milliseconds tenant_idle{1800000};  ///< a tenant without conversations stops
  int poison_strikes = 3;                          ///< crashes on one message before dead letter
};

/// A node in a cluster (more than one node configured); absent (view null) on a single node.
struct cluster_services {
  std::string node;                          ///< this node's name
  cluster::placement_view* view = nullptr;   ///< the latest view; null: single node
  caf::actor gateway;                        ///< forwards work to other nodes
  persistence::db_pool* lease_db = nullptr;  ///< its own connection: renewals never queue
  std::chrono::milliseconds lease_ttl{1500};
  std::chrono::milliseconds forward_timeout{3000};
  std::chrono::milliseconds sweep_interval{5000};  ///< look for stranded work this often
};

struct services {
  persistence::db_pool* db = nullptr;
  /// Group-committed writers of the reply path; null: each write is a pool job of its own.
  persistence::reply_writer* replies = nullptr;
  persistence::send_log* sends = nullptr;
  edge::http_client* http = nullptr;
  common::metrics_registry* metrics = nullptr;
  const common::security::secret_box* secrets = nullptr;  ///< opens sealed secrets
  /// The node's channels with their secrets opened: the outbox sends with them.
  channels::channel_directory* channels = nullptr;
  media::media_pipeline* media = nullptr;  ///< node-wide; used by media agents
  std::chrono::milliseconds buffer_window{2000};
  std::chrono::milliseconds conversation_idle{600000};
  std::size_t context_size = 20;
  outbox_settings outbox;
  limits limit;
  /// Test-only fault switch (parley.fault-injection): a turn containing "#crash" throws.
  bool fault_injection = false;
  cluster_services cluster;
  /// The tenant's lease epoch (fencing token) on this node; 0 outside a cluster. Set by the
  /// tenants router for the tenant's subtree; replies are stored only under this epoch.
  int64_t lease_epoch = 0;
};

/// The registry names under which the node's well-known actors are found (they may restart,
/// so siblings look them up instead of keeping a handle).
caf::atom_value outbox_name();
caf::atom_value tenants_name();

/// A reserved slot of the node's tree (llm, analytics, ...) where no agent runs yet: a real
/// supervised actor that answers info_atom.
caf::actor spawn_placeholder(caf::actor_system& sys, std::string kind);

/// Current handle of a registered actor (invalid when it is not running).
caf::actor lookup(caf::actor_system& sys, caf::atom_value name);
/// Registers `handle` under `name`, replacing an earlier instance: CAF 0.17.6's registry keeps
/// the first entry under a name and never drops a dead one, so after a restart lookup() would
/// keep returning the dead actor.
void publish(caf::actor_system& sys, caf::atom_value name, const caf::actor& handle);

}  // namespace parley::actors
