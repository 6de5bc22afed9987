#pragma once
// The node's gateway to the other nodes of the cluster (CAF middleman, BASP over TCP or TLS).
//
// One gateway actor per node, published on the node's cluster port. It connects to every peer's
// gateway, sends `(heartbeat_atom, node, incarnation)` to each every heartbeat_interval, watches
// the connections (monitor -> down_msg), keeps a `membership`, and reports every change of the
// view through `on_change`. It also carries opaque work between nodes (forward_atom).
//
// Of two nodes, the one whose name sorts first dials (and redials, with backoff); the other
// answers over that connection, taking the sender of the first heartbeat as the peer's handle.
// Two simultaneous dials make CAF 0.17's BASP keep neither connection (observed with TLS: both
// sides lost the route and the peer looked down right after it came up).
//
// Runs on the CAF scheduler. The blocking `remote_actor` calls run in one detached connector
// actor per dialled peer (its own thread), which hands the handle back as a response.
// spawn_gateway() and stop_gateway() block: call them from main() or tests, never from an actor.
//
// Message protocol of the gateway actor (all atoms below):
//   (view_atom) -> cluster_view
//       this node's view; peers may ask too (the type is registered by configure_cluster).
//   (forward_atom, std::string node, caf::message payload) -> whatever the handler answers
//       delivers `payload`, unchanged, to the handler actor of `node`'s gateway (this node's own
//       handler when node == self). Sent as a request, the handler's answer goes straight back
//       to the requester (delegation); as a plain send it is fire-and-forget. Fails with
//       cluster_errc::unknown_node / unreachable (no connection now) / no_handler. Payload
//       types must be registered on every node under one name (CAF guide §2). In flight when
//       the peer dies, a request is never answered: give it a timeout.
//   (handler_atom, caf::actor handler)
//       sets the local actor that receives payloads forwarded to this node.
//   (mute_atom, bool)  fault injection for tests: stop/resume sending heartbeats while
//       keeping the connections (what a frozen or partitioned process looks like).
//   (isolate_atom, bool)  fault injection for tests: a partition that keeps the sockets. No
//       heartbeats go out, those coming in are ignored, and no work crosses in either
//       direction; each side sees the other down after failure_timeout.
//   (deliver_atom, std::string from, caf::message payload): gateway to gateway only.
//
// Failure detection: a closed connection (kill -9, a stopped gateway, CAF's own
// connection-timeout firing on a silent peer) is a down_msg and marks the peer down at once;
// missing heartbeats make it suspect after 2 x heartbeat_interval and down after
// failure_timeout. Measured on loopback with 100 ms / 1 s: kill -9 noticed in 1-16 ms, a
// SIGSTOPped peer in ~1.0-1.1 s.
//
// TLS: set gateway_settings::tls and pass the same tls_settings to configure_cluster(); the
// gateway then publishes and connects with caf::openssl (certificate, key, CA file). A peer
// whose certificate is not signed by the CA cannot connect (the handshake fails with
// disconnect_during_handshake, shown in the view's last_error). CAF 0.17 checks the chain only,
// not host names: any certificate of the cluster CA is a member.
#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cluster/membership.hpp"

namespace parley::cluster {

using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using forward_atom = caf::atom_constant<caf::atom("forward")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using handler_atom = caf::atom_constant<caf::atom("handler")>;
using mute_atom = caf::atom_constant<caf::atom("mute")>;
using isolate_atom = caf::atom_constant<caf::atom("isolate")>;

/// Errors of the gateway, as caf::error values (category "cluster").
enum class cluster_errc : uint8_t {
  ok = 0,
  unknown_node,     ///< not in the cluster's configuration
  unreachable,      ///< no connection to that node right now
  no_handler,       ///< the target node has no handler registered
  publish_failed,   ///< the cluster port could not be opened
  tls_unavailable,  ///< tls requested but configure_cluster() did not load the openssl module
  not_owner,        ///< the receiving node does not own the tenant (views differ): retry later
};

[[nodiscard]] std::string to_string(cluster_errc x);
[[nodiscard]] caf::error make_error(cluster_errc x, std::string context = {});

/// Certificates for TLS between nodes (PEM files). All nodes use certificates signed by one CA.
struct tls_settings {
  bool enabled = false;
  std::string certificate;  ///< this node's certificate
  std::string key;          ///< its private key
  std::string cafile;       ///< the cluster CA: peers must present a certificate it signed
  std::string passphrase;   ///< of the key, if any
};

/// Prepares an actor_system_config for the cluster; call before constructing the system, on
/// every node alike:
///  * loads the middleman (cfg.load<caf::io::middleman>()), and caf::openssl::manager when
///    tls.enabled (setting cfg.openssl_certificate / _key / _cafile / _passphrase, i.e. the
///    INI keys openssl.certificate, openssl.key, openssl.cafile, openssl.passphrase);
///  * turns on BASP heartbeats: `middleman.heartbeat-interval` = heartbeat and
///    `middleman.connection-timeout` = connection_timeout (default: 10 x heartbeat), so that a
///    half-open connection is closed by CAF and shows up as a down_msg;
///  * registers node_status and cluster_view ("parley::cluster::node_status",
///    "parley::cluster::cluster_view") and the "cluster" error category.
/// The caller still registers its own payload types (parley::register_messages).
void configure_cluster(caf::actor_system_config& cfg, std::chrono::milliseconds heartbeat,
                       const tls_settings& tls = {},
                       std::chrono::milliseconds connection_timeout = std::chrono::milliseconds{0});

struct gateway_settings {
  std::string self;                 ///< this node's name
  uint64_t incarnation = 0;         ///< unique per process start and increasing (e.g. start µs)
  std::string host = "127.0.0.1";   ///< address to listen on
  uint16_t cluster_port = 0;        ///< 0: any free port (see gateway_port())
  uint16_t http_port = 0;           ///< shown in the view only
  std::vector<node_address> peers;  ///< the other nodes (an entry named `self` is skipped)
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds failure_timeout{1000};
  std::chrono::milliseconds reconnect_min{100};  ///< first retry after a failed connect
  std::chrono::milliseconds reconnect_max{500};  ///< retry delays double up to this
  bool tls = false;    ///< publish and connect with caf::openssl (needs configure_cluster(tls))
  caf::actor handler;  ///< optional: receives forwarded payloads (or set it via handler_atom)
  /// Called on the gateway actor with the initial view and after every change; must not block.
  std::function<void(const cluster_view&)> on_change;
};

/// Spawns the gateway and publishes it on host:cluster_port (SO_REUSEADDR). Blocking.
/// Returns cluster_errc::publish_failed (port busy, bad address) or tls_unavailable.
caf::expected<caf::actor> spawn_gateway(caf::actor_system& sys, gateway_settings s);

/// The port the gateway listens on (useful with cluster_port = 0). Blocking; 0 on error.
uint16_t gateway_port(caf::actor_system& sys, const caf::actor& gateway);

/// Stops the gateway (its port is closed, peers see it down at once) and waits until it is
/// gone. Blocking. The system's destructor waits for a running gateway forever, so call this.
void stop_gateway(caf::actor_system& sys, const caf::actor& gateway);

}  // namespace parley::cluster
