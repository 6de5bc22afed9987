#include "apps/parleyd/cluster_node.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <future>
#include <pqxx/pqxx>

#include "actors/tenants.hpp"
#include "apps/parleyd/actor_bridge.hpp"
#include "cluster/gateway.hpp"
#include "cluster/lease_store.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "messages/cluster.hpp"
#include "supervisors/node_config.hpp"

namespace parley {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

cluster::tls_settings tls_of(const node_config& cfg) {
  cluster::tls_settings tls;
  tls.enabled = cfg.cluster_tls;
  tls.certificate = cfg.cluster_tls_certificate;
  tls.key = cfg.cluster_tls_key;
  tls.cafile = cfg.cluster_tls_ca_file;
  tls.passphrase = cfg.cluster_tls_passphrase;
  return tls;
}

// Asks every node, through the gateway, for its view and its tenants; answers once all have
// answered or timed out. A short-lived actor: HTTP thread -> requests -> callback.
void gather_reports(caf::actor_system& sys, caf::actor gateway, std::vector<std::string> nodes,
                    std::function<void(std::vector<cluster::cluster_node_report>)> done) {
  sys.spawn([gateway, nodes, done](caf::event_based_actor* self) {
    auto out = std::make_shared<std::vector<cluster::cluster_node_report>>(nodes.size());
    auto left = std::make_shared<std::size_t>(nodes.size() * 2);
    auto finish = [out, left, done] {
      if (--*left == 0) done(std::move(*out));
    };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      (*out)[i].node = nodes[i];
      auto fail = [self, out, i, finish](caf::error& err) {
        if ((*out)[i].error.empty()) (*out)[i].error = self->system().render(err);
        finish();
      };
      self->request(gateway, std::chrono::seconds{1}, cluster::forward_atom::value, nodes[i],
                    caf::make_message(forwarded_atom::value, cluster::view_atom::value))
          .then(
              [out, i, finish](cluster::cluster_view& v) {
                (*out)[i].view = std::move(v);
                finish();
              },
              fail);
      self->request(gateway, std::chrono::seconds{1}, cluster::forward_atom::value, nodes[i],
                    caf::make_message(forwarded_atom::value, placement_atom::value))
          .then(
              [out, i, finish](placement_report& p) {
                (*out)[i].placement = std::move(p);
                finish();
              },
              fail);
    }
  });
}

}  // namespace

cluster_node::cluster_node(const node_config& cfg, const persistence::pool_settings& db)
    : enabled_(cfg.clustered()), cfg_(cfg) {
  if (!enabled_) return;
  view_ = std::make_unique<cluster::placement_view>(cfg.node);
  auto lease_settings = db;
  lease_settings.threads = 1;
  lease_db_ = std::make_unique<persistence::db_pool>(lease_settings);
}

void cluster_node::configure(node_config& cfg) const {
  if (!enabled_) return;
  cluster::configure_cluster(cfg, duration_cast<milliseconds>(cfg.cluster_heartbeat), tls_of(cfg));
}

std::string cluster_node::start(caf::actor_system& sys) {
  if (!enabled_) return {};
  cluster::gateway_settings gs;
  gs.self = cfg_.node;
  // Increases with every start of a node: the membership tells a restarted peer from its
  // previous process by it. The same value marks the bubbles this process sends.
  gs.incarnation = static_cast<uint64_t>(common::process_incarnation());
  gs.host = cfg_.self().host;
  gs.cluster_port = cfg_.self().cluster_port;
  gs.http_port = cfg_.http_port;
  for (const auto& [name, n] : cfg_.nodes)
    gs.peers.push_back(cluster::node_address{name, n.host, n.cluster_port, n.http_port});
  gs.heartbeat_interval = duration_cast<milliseconds>(cfg_.cluster_heartbeat);
  gs.failure_timeout = duration_cast<milliseconds>(cfg_.cluster_failure_timeout);
  gs.tls = cfg_.cluster_tls;
  auto* view = view_.get();
  auto* system = &sys;
  gs.on_change = [view, system](const cluster::cluster_view& v) {
    auto before = view->nodes_up();
    view->set(v);
    if (auto up = view->nodes_up(); up != before) {
      std::string names;
      for (const auto& n : up) names += (names.empty() ? "" : ", ") + n;
      common::log::get("cluster")->info("nodes up: {}", names);
    }
    caf::anon_send(actors::find_tenants(*system), view_changed_atom::value);
  };
  auto gw = cluster::spawn_gateway(sys, std::move(gs));
  if (!gw) return sys.render(gw.error());
  gateway_ = *gw;
  return {};
}

void cluster_node::fill(actors::services& svc) {
  svc.cluster.node = cfg_.node;
  if (!enabled_) return;
  svc.cluster.view = view_.get();
  svc.cluster.gateway = gateway_;
  svc.cluster.lease_db = lease_db_.get();
  svc.cluster.lease_ttl = duration_cast<milliseconds>(cfg_.cluster_lease_ttl);
}

cluster::cluster_deps cluster_node::routes(const bridge_slot& slot) const {
  cluster::cluster_deps d;
  d.self = cfg_.node;
  d.clustered = enabled_;
  auto* view = view_.get();
  std::vector<std::string> nodes;
  for (const auto& [name, n] : cfg_.nodes) nodes.push_back(name);
  d.view = [view, this] {
    if (view) return view->view();
    cluster::cluster_view v;  // a single node: itself, up
    v.self = cfg_.node;
    cluster::node_status me;
    me.name = cfg_.node;
    me.host = cfg_.self().host;
    me.http_port = cfg_.http_port;
    me.state = cluster::node_state::up;
    me.self = true;
    v.nodes.push_back(me);
    return v;
  };
  d.owner_of = [view, this](const std::string& tenant_id) {
    return view ? view->owner_of(tenant_id) : cfg_.node;
  };
  // The gateway starts after the routes are made: read it when asked.
  d.gather = [this, &slot, nodes](auto done) {
    auto* bridge = slot.get();
    if (!gateway_ || !bridge) return done({});
    gather_reports(bridge->system(), gateway_, nodes, std::move(done));
  };
  if (enabled_ && cfg_.fault_injection)
    d.isolate = [this](bool on) {
      common::log::get("cluster")->warn("fault injection: {} this node",
                                        on ? "isolating" : "joining");
      caf::anon_send(gateway_, cluster::isolate_atom::value, on);
    };
  return d;
}

bool cluster_node::joined() const {
  return !enabled_ || view_->joined();
}

void cluster_node::stop(caf::actor_system& sys) {
  if (!enabled_) return;
  std::promise<void> done;
  auto node = cfg_.node;
  lease_db_->submit(
      [&done, node](pqxx::connection& c) {
        auto n = cluster::release_all_leases(c, node);
        if (n > 0) common::log::get("cluster")->info("released {} tenant leases", n);
        done.set_value();
      },
      [&done](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("cannot release leases (they expire): {}", why.what());
        done.set_value();
      });
  done.get_future().wait();
  cluster::stop_gateway(sys, gateway_);
  gateway_ = nullptr;
  lease_db_->stop();
}

}  // namespace parley
