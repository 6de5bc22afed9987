// The gateway actor, its per-peer connectors and the cluster's CAF configuration (see
// gateway.hpp). The only translation unit of the cluster that includes caf/io and caf/openssl.
//
// Runs on the CAF scheduler; connectors are detached actors, each on its own thread, because
// remote_actor() blocks until the peer answered the handshake (or failed).
#include "cluster/gateway.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <map>
#include <memory>

namespace parley::cluster {

namespace {

using tick_atom = caf::atom_constant<caf::atom("gwtick")>;
using connect_atom = caf::atom_constant<caf::atom("gwconnect")>;
using reconnect_atom = caf::atom_constant<caf::atom("gwretry")>;
using published_atom = caf::atom_constant<caf::atom("gwport")>;

constexpr auto cluster_category = caf::atom("cluster");

std::string render_cluster_error(uint8_t code, caf::atom_value, const caf::message& ctx) {
  std::string out = "cluster_error(" + to_string(static_cast<cluster_errc>(code));
  if (ctx.match_elements<std::string>()) out += ", " + ctx.get_as<std::string>(0);
  return out + ")";
}

// Runs the blocking connection handshakes for one peer, on its own thread.
caf::behavior connector(caf::event_based_actor* self, bool tls) {
  return {
      [=](connect_atom, const std::string& host, uint16_t port) -> caf::result<caf::actor> {
        auto& sys = self->system();
        auto res = tls ? caf::openssl::remote_actor(sys, host, port)
                       : sys.middleman().remote_actor(host, port);
        if (!res) return std::move(res.error());
        return std::move(*res);
      },
  };
}

struct peer_link {
  node_address address;
  caf::actor handle;     // the peer's gateway (a proxy); null while not connected
  caf::actor connector;  // runs remote_actor for this peer
  bool dials = false;    // we connect to it (our name sorts first), else it connects to us
  bool connecting = false;
  bool retry_scheduled = false;
  std::chrono::milliseconds backoff{0};
  std::string last_error;
};

struct gateway_state {
  gateway_settings cfg;
  std::unique_ptr<membership> members;
  std::map<std::string, peer_link> peers;
  caf::actor handler;
  uint16_t port = 0;
  bool muted = false;
  bool isolated = false;
  static inline const char* name = "cluster.gateway";
};

using gateway_actor = caf::stateful_actor<gateway_state>;

cluster_view view_of(gateway_actor* self) {
  auto& st = self->state;
  auto v = st.members->view(clock::now());
  for (auto& n : v.nodes)
    if (auto i = st.peers.find(n.name); i != st.peers.end()) n.last_error = i->second.last_error;
  return v;
}

void report(gateway_actor* self, const std::vector<transition>& ts) {
  auto& st = self->state;
  if (ts.empty() || !st.cfg.on_change) return;
  st.cfg.on_change(view_of(self));
}

void send_heartbeat(gateway_actor* self, const caf::actor& to) {
  auto& st = self->state;
  if (!st.muted && !st.isolated)
    self->send(to, heartbeat_atom::value, st.cfg.self, st.cfg.incarnation);
}

// Takes `handle` as the connection to `p` (ours from remote_actor, or the sender of the peer's
// heartbeat when it connected to us first).
void adopt(gateway_actor* self, peer_link& p, const caf::actor& handle) {
  if (p.handle == handle) return;
  if (p.handle) self->demonitor(p.handle);
  p.handle = handle;
  p.last_error.clear();
  self->monitor(handle);
  send_heartbeat(self, handle);  // the peer learns of us without waiting for the next tick
}

// Retries later, with exponential backoff; reset only by a heartbeat (proof of life), so a
// peer that accepts connections but dies right after cannot make us spin.
void schedule_connect(gateway_actor* self, peer_link& p) {
  if (!p.dials || p.handle || p.connecting || p.retry_scheduled) return;
  p.retry_scheduled = true;
  self->delayed_send(self, p.backoff, reconnect_atom::value, p.address.name);
  p.backoff = std::min(p.backoff * 2, self->state.cfg.reconnect_max);
}

void start_connect(gateway_actor* self, const std::string& name) {
  auto& st = self->state;
  auto i = st.peers.find(name);
  if (i == st.peers.end()) return;
  auto& p = i->second;
  if (!p.dials || p.handle || p.connecting) return;
  p.connecting = true;
  self->request(p.connector, caf::infinite, connect_atom::value, p.address.host,
                p.address.cluster_port)
      .then(
          [=](caf::actor& handle) {
            auto& p = self->state.peers[name];
            p.connecting = false;
            // A heartbeat may have given us a live handle meanwhile; a second one (e.g. to the
            // old process of a restarted peer) would only produce a spurious down_msg.
            if (!p.handle && handle) adopt(self, p, handle);
          },
          [=](caf::error& err) {
            auto& p = self->state.peers[name];
            p.connecting = false;
            p.last_error = self->system().render(err);
            schedule_connect(self, p);
          });
}

// Membership over the configured nodes, a link (and a dialing connector) per peer.
void init_state(gateway_actor* self, gateway_settings cfg) {
  auto& st = self->state;
  auto now = clock::now();
  membership_settings ms;
  ms.self = cfg.self;
  ms.self_incarnation = cfg.incarnation;
  ms.heartbeat_interval = cfg.heartbeat_interval;
  ms.failure_timeout = cfg.failure_timeout;
  ms.nodes.push_back(node_address{cfg.self, cfg.host, cfg.cluster_port, cfg.http_port});
  for (const auto& a : cfg.peers) {
    if (a.name == cfg.self || st.peers.count(a.name) != 0) continue;
    ms.nodes.push_back(a);
    peer_link p;
    p.address = a;
    p.backoff = cfg.reconnect_min;
    p.dials = cfg.self < a.name;
    if (p.dials) p.connector = self->spawn<caf::detached>(connector, cfg.tls);
    st.peers.emplace(a.name, std::move(p));
  }
  st.members = std::make_unique<membership>(std::move(ms), now);
  st.handler = cfg.handler;
  st.cfg = std::move(cfg);
}

// Connectors and the listening port go with the gateway, however it ends.
void clean_up_on_exit(gateway_actor* self) {
  auto& st = self->state;
  std::vector<caf::actor> connectors;
  for (auto& [name, p] : st.peers)
    if (p.connector) connectors.push_back(p.connector);
  caf::io::middleman_actor mm = st.cfg.tls ? self->system().openssl_manager().actor_handle()
                                           : self->system().middleman().actor_handle();
  self->attach_functor([connectors, mm, addr = self->address()](const caf::error&) {
    for (const auto& c : connectors) caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    caf::anon_send(mm, caf::unpublish_atom::value, addr, uint16_t{0});
  });
}

void on_peer_down(gateway_actor* self, caf::down_msg& dm) {
  auto& st = self->state;
  for (auto& [name, p] : st.peers) {
    if (!p.handle || p.handle.address() != dm.source) continue;
    p.handle = nullptr;
    p.last_error = self->system().render(dm.reason);
    report(self, st.members->on_connection_lost(name, clock::now()));
    schedule_connect(self, p);  // a restarted peer also connects to us by itself
    return;
  }
}

caf::behavior gateway(gateway_actor* self, gateway_settings cfg) {
  init_state(self, std::move(cfg));
  clean_up_on_exit(self);
  self->set_down_handler([=](caf::down_msg& dm) { on_peer_down(self, dm); });
  auto& st = self->state;
  for (auto& [name, p] : st.peers) start_connect(self, name);
  self->send(self, tick_atom::value);
  // The first view (self up, peers joining): a single node would otherwise never report one.
  if (st.cfg.on_change) st.cfg.on_change(view_of(self));

  return {
      [=](tick_atom) {
        auto& st = self->state;
        for (auto& [name, p] : st.peers)
          if (p.handle) send_heartbeat(self, p.handle);
        report(self, st.members->tick(clock::now()));
        self->delayed_send(self, st.cfg.heartbeat_interval, tick_atom::value);
      },
      [=](heartbeat_atom, const std::string& node, uint64_t incarnation) {
        auto& st = self->state;
        auto i = st.peers.find(node);
        if (i == st.peers.end() || st.isolated) return;
        if (incarnation < st.members->incarnation_of(node)) return;  // from a dead process
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (sender && sender != i->second.handle) adopt(self, i->second, sender);
        i->second.backoff = st.cfg.reconnect_min;
        report(self, st.members->on_heartbeat(node, incarnation, clock::now()));
      },
      [=](reconnect_atom, const std::string& node) {
        self->state.peers[node].retry_scheduled = false;
        start_connect(self, node);
      },
      [=](view_atom) { return view_of(self); },
      [=](forward_atom, const std::string& node,
          caf::message& payload) -> caf::result<caf::message> {
        auto& st = self->state;
        if (node == st.cfg.self) {
          if (!st.handler) return make_error(cluster_errc::no_handler, node);
          return self->delegate(st.handler, std::move(payload));
        }
        auto i = st.peers.find(node);
        if (i == st.peers.end()) return make_error(cluster_errc::unknown_node, node);
        if (!i->second.handle || st.isolated || st.members->state_of(node) == node_state::down)
          return make_error(cluster_errc::unreachable, node);
        return self->delegate(i->second.handle, deliver_atom::value, st.cfg.self,
                              std::move(payload));
      },
      [=](deliver_atom, const std::string& from,
          caf::message& payload) -> caf::result<caf::message> {
        auto& st = self->state;
        if (st.isolated) return make_error(cluster_errc::unreachable, st.cfg.self);
        if (!st.handler) return make_error(cluster_errc::no_handler, st.cfg.self);
        return self->delegate(st.handler, std::move(payload));
      },
      [=](handler_atom, caf::actor& handler) { self->state.handler = std::move(handler); },
      [=](mute_atom, bool on) { self->state.muted = on; },
      [=](isolate_atom, bool on) { self->state.isolated = on; },
      [=](published_atom, uint16_t port) { self->state.port = port; },
      [=](published_atom) { return self->state.port; },
  };
}

}  // namespace

std::string to_string(cluster_errc x) {
  switch (x) {
    case cluster_errc::ok:
      return "ok";
    case cluster_errc::unknown_node:
      return "unknown_node";
    case cluster_errc::unreachable:
      return "unreachable";
    case cluster_errc::no_handler:
      return "no_handler";
    case cluster_errc::publish_failed:
      return "publish_failed";
    case cluster_errc::tls_unavailable:
      return "tls_unavailable";
    case cluster_errc::not_owner:
      return "not_owner";
  }
  return "unknown";
}

caf::error make_error(cluster_errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), cluster_category,
                    caf::make_message(std::move(context))};
}

void configure_cluster(caf::actor_system_config& cfg, std::chrono::milliseconds heartbeat,
                       const tls_settings& tls, std::chrono::milliseconds connection_timeout) {
  cfg.load<caf::io::middleman>();
  if (tls.enabled) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = tls.certificate;
    cfg.openssl_key = tls.key;
    cfg.openssl_cafile = tls.cafile;
    cfg.openssl_passphrase = tls.passphrase;
  }
  if (connection_timeout.count() == 0) connection_timeout = heartbeat * 10;
  cfg.set("middleman.heartbeat-interval", caf::timespan{heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{connection_timeout});
  cfg.add_message_type<node_status>("parley::cluster::node_status");
  cfg.add_message_type<cluster_view>("parley::cluster::cluster_view");
  cfg.add_error_category(cluster_category, render_cluster_error);
}

caf::expected<caf::actor> spawn_gateway(caf::actor_system& sys, gateway_settings s) {
  if (s.tls && !sys.has_openssl_manager())
    return make_error(cluster_errc::tls_unavailable, "configure_cluster() without tls");
  auto host = s.host;
  auto port = s.cluster_port;
  auto tls = s.tls;
  auto gw = sys.spawn(gateway, std::move(s));
  auto res = tls ? caf::openssl::publish(gw, port, host.c_str(), true)
                 : sys.middleman().publish(gw, port, host.c_str(), true);
  if (!res) {
    auto why = sys.render(res.error());
    stop_gateway(sys, gw);
    return make_error(cluster_errc::publish_failed, host + ":" + std::to_string(port) + ": " + why);
  }
  caf::anon_send(gw, published_atom::value, *res);
  return gw;
}

uint16_t gateway_port(caf::actor_system& sys, const caf::actor& gateway) {
  uint16_t out = 0;
  caf::scoped_actor self{sys};
  self->request(gateway, std::chrono::seconds{5}, published_atom::value)
      .receive([&](uint16_t port) { out = port; }, [](caf::error&) {});
  return out;
}

void stop_gateway(caf::actor_system& sys, const caf::actor& gateway) {
  if (!gateway) return;
  caf::scoped_actor self{sys};
  self->monitor(gateway);
  self->send_exit(gateway, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {});
}

}  // namespace parley::cluster
