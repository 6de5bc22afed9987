// Tenant placement in a cluster: the tenants router's cluster half, given to it as a
// router_extension (actors/services.hpp) by the node when cluster.nodes lists more than one.
//
// A tenant runs on the node that owns it by rendezvous hashing over the nodes up, and only
// while that node holds the tenant's lease in PostgreSQL (lease_store.hpp). The router:
//  * routes every inbound message: to the running tenant, into the tenant's pending list while
//    its lease is being taken, or to the owner node through the gateway (retried with backoff
//    when the owner cannot be reached or disagrees, until the views agree);
//  * takes a lease before it spawns a tenant (the tenant then replays its inbox: whatever the
//    previous holder left unanswered), renews all its leases in one statement every fifth of
//    the lease's lifetime, and stops a tenant whose lease it could not renew in time;
//  * on a view change, stops the tenants that now belong elsewhere and releases their leases
//    once their actors are gone (handover), and looks for tenants with unanswered work that
//    now belong here; it looks again every sweep interval (work acknowledged by a node that
//    died before forwarding it).
// Correctness does not rest on the views agreeing: replies are stored only under a live lease
// epoch (store_reply), so two nodes never both answer a conversation.
//
// The decisions (phases, held messages, renewals and expiry, retries, handover on a view change)
// are logic::placement_table's; this file does the I/O they call for.
//
// Runs on the router actor; database work goes to the dedicated lease pool or the node pool.
#include "cluster/tenants_placement.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <pqxx/pqxx>

#include "actors/convert.hpp"
#include "actors/outbox.hpp"
#include "actors/tenants_state.hpp"
#include "cluster/gateway.hpp"
#include "cluster/lease_store.hpp"
#include "cluster/placement_view.hpp"
#include "common/log.hpp"
#include "logic/placement_table.hpp"
#include "messages/cluster.hpp"
#include "messages/conversation.hpp"
#include "messages/escalation.hpp"
#include "messages/introspection.hpp"
#include "persistence/conversation_store.hpp"
#include "persistence/pool.hpp"

namespace parley::cluster {

namespace {

// This file extends the router: it speaks the actors' vocabulary (services, tenants_state).
using namespace actors;

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using self_ptr = tenants_ptr;

/// The tenants this node runs, takes or gives up, and the messages waiting on them.
using placement_table = logic::placement_table<inbound_msg>;

/// The cluster half's own state, beside the router's (owned by the router's state, used on
/// the router actor only).
struct placement_state {
  placement_table table;
  uint64_t forwarded = 0;
  uint64_t received = 0;
  uint64_t forward_errors = 0;
};

placement_state& ps(self_ptr self);

// The cluster half's private messages travel wrapped (placement_step_atom), so that they stay
// out of the router's interface.
template <class... Ts>
void step_now(self_ptr self, Ts&&... xs) {
  self->send(self, placement_step_atom::value, caf::make_message(std::forward<Ts>(xs)...));
}
template <class Duration, class... Ts>
void step_later(self_ptr self, Duration delay, Ts&&... xs) {
  self->delayed_send(self, delay, placement_step_atom::value,
                     caf::make_message(std::forward<Ts>(xs)...));
}
template <class... Ts>
void step_from_pool(const tenants_actor& me, Ts&&... xs) {
  caf::anon_send(me, placement_step_atom::value, caf::make_message(std::forward<Ts>(xs)...));
}

/// Routes a message by the cluster view: local tenant, held while its lease is taken, or
/// forwarded to the owner node. `attempt` counts earlier failed forwards.
void route(self_ptr self, const services& svc, inbound_msg&& m, int32_t attempt = 0);

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

steady::time_point from_ns(int64_t ns) {
  return steady::time_point{std::chrono::nanoseconds{ns}};
}

const std::string& self_node(const services& svc) {
  return svc.cluster.node;
}

std::string owner_of(const services& svc, const std::string& tenant_id) {
  return svc.cluster.view->owner_of(tenant_id);
}

bool mine(const services& svc, const std::string& tenant_id) {
  return owner_of(svc, tenant_id) == self_node(svc);
}

// The table has decided to take the lease (it marked the request in flight).
void acquire(self_ptr self, const services& svc, const std::string& tenant_id) {
  auto me = caf::actor_cast<tenants_actor>(self);
  auto node = self_node(svc);
  auto ttl = svc.cluster.lease_ttl.count();
  auto sent = steady_ns();
  svc.cluster.lease_db->submit(
      [me, tenant_id, node, ttl, sent](pqxx::connection& c) {
        auto taken = take_lease(c, tenant_id, node, ttl);
        step_from_pool(me, lease_atom::value, tenant_id, taken ? taken->epoch : int64_t{0},
                       taken ? taken->previous_node : std::string{}, sent);
      },
      [me, tenant_id, sent](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("cannot take the lease of tenant {}: {}", tenant_id,
                                          why.what());
        step_from_pool(me, lease_atom::value, tenant_id, int64_t{-1}, std::string{}, sent);
      });
}

void release(self_ptr self, const services& svc, const std::string& tenant_id, int64_t epoch) {
  auto me = caf::actor_cast<tenants_actor>(self);
  auto node = self_node(svc);
  svc.cluster.lease_db->submit(
      [me, tenant_id, node, epoch](pqxx::connection& c) {
        if (epoch > 0) release_lease(c, tenant_id, node, epoch);
        step_from_pool(me, released_atom::value, tenant_id);
      },
      [me, tenant_id](const persistence::db_failure& why) {
        // It expires by itself within one lease lifetime.
        common::log::get("cluster")->warn("cannot release the lease of tenant {}: {}", tenant_id,
                                          why.what());
        step_from_pool(me, released_atom::value, tenant_id);
      });
}

// A node that takes a tenant from a dead holder (or from its own previous process) sends the
// bubbles that holder stored but never sent; a live previous holder sends its own.
void resume_outbox(const services& svc, caf::actor_system& sys, const std::string& tenant_id) {
  svc.db->submit(
      [&sys, tenant_id](pqxx::connection& c) {
        auto pending = persistence::pending_outbox_for_tenant(c, tenant_id);
        if (pending.empty()) return;
        std::vector<outbound_msg> out;
        for (auto& o : pending) out.push_back(to_outbound(std::move(o)));
        caf::anon_send(find_outbox(sys), requeue_atom::value, std::move(out));
      },
      [tenant_id](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("tenant {}: cannot load unsent bubbles: {}", tenant_id,
                                          why.what());
      });
}

void forward(self_ptr self, const services& svc, const std::string& owner, inbound_msg&& m,
             int32_t attempt) {
  ++ps(self).forwarded;
  auto msg = m;
  self->request(svc.cluster.gateway, svc.cluster.forward_timeout, cluster::forward_atom::value,
                owner, caf::make_message(forwarded_atom::value, std::move(m)))
      .then([](forwarded_atom) {},
            [self, msg, attempt](caf::error& err) mutable {
              ++ps(self).forward_errors;
              auto failure = ps(self).table.forward_failed(std::move(msg), attempt);
              if (failure.given_up) {
                // Still in the inbox: the owner's sweep finds it. (Given up, msg is intact.)
                common::log::get("cluster")->warn("message {} of tenant {} not forwarded: {}",
                                                  msg.id, msg.tenant_id,
                                                  self->system().render(err));
                return;
              }
              if (failure.timer) step_later(self, *failure.timer, reroute_atom::value);
            });
}

void route_retries(self_ptr self, const services& svc, std::vector<placement_table::retry> again) {
  for (auto& [m, attempt] : again) route(self, svc, std::move(m), attempt);
}

placement_report report(self_ptr self, const services& svc) {
  auto& st = ps(self);
  placement_report r;
  r.node = self_node(svc);
  r.forwarded = st.forwarded;
  r.received = st.received;
  r.forward_errors = st.forward_errors;
  for (auto& p : ps(self).table.report())
    r.tenants.push_back(placed_tenant{p.tenant_id, logic::phase_name(p.phase), p.epoch});
  return r;
}

void route_all(self_ptr self, const services& svc, std::vector<inbound_msg> msgs) {
  for (auto& m : msgs) route(self, svc, std::move(m));
}

// A one-way notice for a tenant (knowledge or settings changed): to its actor if it runs here,
// and to its owner when that is another node, whose router delivers it the same way.
template <class Atom>
void notify_tenant(self_ptr self, const services& svc, Atom a, const std::string& tenant_id,
                   bool forwarded) {
  auto running = self->state.tenants.find(tenant_id);
  if (running != self->state.tenants.end()) self->send(running->second, a);
  if (forwarded) return;
  auto owner = owner_of(svc, tenant_id);
  if (owner != self_node(svc))
    caf::anon_send(svc.cluster.gateway, cluster::forward_atom::value, owner,
                   caf::make_message(forwarded_atom::value, a, tenant_id));
}

// Carries out a handover the table decided: a running tenant's actors stop (its lease is
// released once they are gone, in on_tenant_down), a waiting tenant's messages go out again.
void hand_over(self_ptr self, const services& svc, const std::string& tenant_id,
               placement_table::handover&& h) {
  if (h.what == placement_table::handover::unplaced)
    return route_all(self, svc, std::move(h.reroute));
  if (h.what != placement_table::handover::stop) return;
  auto& st = self->state;
  auto t = st.tenants.find(tenant_id);
  if (t != st.tenants.end()) {
    common::log::get("cluster")->info("tenant {} moves to {}: stopping it here", tenant_id,
                                      owner_of(svc, tenant_id));
    self->send_exit(t->second, caf::exit_reason::user_shutdown);
  } else {
    release(self, svc, tenant_id, h.epoch);
  }
}

void on_lease(self_ptr self, const services& svc, const std::string& tenant_id, int64_t epoch,
              const std::string& previous, int64_t sent_ns) {
  auto answer =
      ps(self).table.lease_answered(tenant_id, epoch, mine(svc, tenant_id), from_ns(sent_ns));
  if (answer.give_back > 0) release(self, svc, tenant_id, answer.give_back);
  route_all(self, svc, std::move(answer.reroute));
  // Another node still holds it (it is handing over, or died and its lease has to run out),
  // or the database did not answer: try again shortly.
  if (answer.retry) step_later(self, 100ms, lease_atom::value, tenant_id);
  if (!answer.run) return;
  common::log::get("cluster")->info("tenant {} runs here (epoch {}, previous holder '{}')",
                                    tenant_id, epoch, previous);
  tenant_for(self, svc, tenant_id, epoch);
  if (!previous.empty() && (previous == self_node(svc) || !svc.cluster.view->is_up(previous)))
    resume_outbox(svc, self->system(), tenant_id);
}

void renew(self_ptr self, const services& svc) {
  auto ids = ps(self).table.renewal_due();
  if (ids.empty()) return;
  auto me = caf::actor_cast<tenants_actor>(self);
  auto node = self_node(svc);
  auto ttl = svc.cluster.lease_ttl.count();
  auto sent = steady_ns();
  svc.cluster.lease_db->submit(
      [me, node, ids, ttl, sent](pqxx::connection& c) {
        std::vector<placed_tenant> out;
        for (auto& [t, epoch] : renew_leases(c, node, ids, ttl))
          out.push_back(placed_tenant{t, "running", epoch});
        step_from_pool(me, renewed_atom::value, std::move(out), sent);
      },
      [me](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("cannot renew leases: {}", why.what());
        step_from_pool(me, renewed_atom::value, std::vector<placed_tenant>{}, int64_t{0});
      });
}

// A tenant whose lease may have run out by our clock stops now: the database would refuse its
// replies anyway, and another node may take it once the lease has expired there.
void stop_expired(self_ptr self, const services& svc) {
  auto& st = self->state;
  for (auto& lapsed : ps(self).table.expire(steady::now())) {
    common::log::get("cluster")->warn("tenant {}: lease epoch {} not renewed in time, stopping it",
                                      lapsed.tenant_id, lapsed.epoch);
    auto t = st.tenants.find(lapsed.tenant_id);
    if (t != st.tenants.end())
      self->send_exit(t->second, caf::exit_reason::kill);
    else
      release(self, svc, lapsed.tenant_id, 0);
  }
}

void find_work(self_ptr self, const services& svc, std::chrono::milliseconds older_than) {
  auto me = caf::actor_cast<tenants_actor>(self);
  auto ms = older_than.count();
  svc.db->submit(
      [me, ms](pqxx::connection& c) {
        std::vector<placed_tenant> out;
        for (auto& t : persistence::tenants_with_work(c, ms))
          out.push_back(placed_tenant{t, "", 0});
        step_from_pool(me, work_atom::value, std::move(out));
      },
      [](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("cannot look for unanswered work: {}", why.what());
      });
}

void on_work(self_ptr self, const services& svc, const std::vector<placed_tenant>& tenants) {
  auto& st = self->state;
  if (!svc.cluster.view->joined()) return;
  for (auto& t : tenants) {
    if (!mine(svc, t.tenant_id)) continue;
    switch (ps(self).table.work_found(t.tenant_id)) {
      case logic::found_work::acquire:
        acquire(self, svc, t.tenant_id);
        break;
      case logic::found_work::sweep: {
        // Stranded work: inbound messages that never reached an actor, and bubbles whose
        // conversation ended (a handover, a lapsed lease) between storing and queueing
        // them. The outbox skips bubbles it already holds.
        auto running = st.tenants.find(t.tenant_id);
        if (running != st.tenants.end()) self->send(running->second, sweep_atom::value);
        resume_outbox(svc, self->system(), t.tenant_id);
        break;
      }
      case logic::found_work::none:
        break;
    }
  }
}

void on_view(self_ptr self, const services& svc) {
  auto& view = *svc.cluster.view;
  if (!view.joined()) return;
  auto change = ps(self).table.joined_view(view.generation(),
                                           [&svc](const std::string& id) { return mine(svc, id); });
  route_all(self, svc, std::move(change.unjoined));
  if (!change.changed) return;
  route_retries(self, svc, std::move(change.retries));
  for (auto& [id, h] : change.given_up) hand_over(self, svc, id, std::move(h));
  // Nodes came or went: some tenants with unanswered work may be ours now.
  find_work(self, svc, 0ms);
}

// The cluster half's own steps: forward retries, the lease protocol, renewals and sweeps.
caf::message_handler step_handlers(self_ptr self, const services& svc) {
  return {
      [self, svc](reroute_atom) { route_retries(self, svc, ps(self).table.retry_due()); },
      [self, svc](lease_atom, const std::string& tenant_id, int64_t epoch,
                  const std::string& previous,
                  int64_t sent_ns) { on_lease(self, svc, tenant_id, epoch, previous, sent_ns); },
      [self, svc](lease_atom, const std::string& tenant_id) {
        auto due = ps(self).table.lease_due(tenant_id, mine(svc, tenant_id));
        if (due.acquire) return acquire(self, svc, tenant_id);
        hand_over(self, svc, tenant_id, std::move(due.given_up));
      },
      [self, svc](released_atom, const std::string& tenant_id) {
        route_all(self, svc, ps(self).table.released(tenant_id));
      },
      [self, svc](renew_atom) {
        stop_expired(self, svc);
        renew(self, svc);
        step_later(self, svc.cluster.lease_ttl / 5, renew_atom::value);
      },
      [self, svc](renewed_atom, std::vector<placed_tenant>& renewed, int64_t sent_ns) {
        ps(self).table.renewal_answered(renewed, from_ns(sent_ns));
        stop_expired(self, svc);
      },
      [self, svc](sweep_atom) {
        // Older than two intervals: messages merely waiting in a burst window are left alone.
        find_work(self, svc, 2 * svc.cluster.sweep_interval);
        step_later(self, svc.cluster.sweep_interval, sweep_atom::value);
      },
      [self, svc](work_atom, std::vector<placed_tenant>& tenants) { on_work(self, svc, tenants); },
  };
}

void route(self_ptr self, const services& svc, inbound_msg&& m, int32_t attempt) {
  auto& view = *svc.cluster.view;
  if (!view.joined()) return ps(self).table.hold_unjoined(std::move(m));
  auto owner = owner_of(svc, m.tenant_id);
  if (owner != self_node(svc)) return forward(self, svc, owner, std::move(m), attempt);
  if (auto epoch = ps(self).table.running_epoch(m.tenant_id))
    return deliver_local(self, svc, std::move(m), *epoch);
  auto tenant_id = m.tenant_id;
  if (ps(self).table.hold(tenant_id, std::move(m))) acquire(self, svc, tenant_id);
}

void on_tenant_down(self_ptr self, const services& svc, const std::string& tenant_id,
                    const caf::error& reason) {
  auto ended = ps(self).table.tenant_down(tenant_id);
  if (!ended) return;
  if (ended->was_running && reason)
    common::log::get("cluster")->warn("tenant {} ended ({}); releasing its lease", tenant_id,
                                      self->system().render(reason));
  release(self, svc, tenant_id, ended->epoch);
}

// The extension the router calls (actors/tenants.hpp); its handlers run on the router.
class cluster_placement final : public router_extension {
 public:
  explicit cluster_placement(services svc) : svc_(std::move(svc)) {
    state_.table = placement_table{svc_.cluster.lease_ttl};
  }

  placement_state& state() { return state_; }

  void start(self_ptr self) override {
    steps_ = step_handlers(self, svc_);
    // Work other nodes forward arrives here (a restarted router registers its new handle).
    caf::anon_send(svc_.cluster.gateway, cluster::handler_atom::value,
                   caf::actor_cast<caf::actor>(self));
    self->send(self, view_changed_atom::value);
    step_now(self, renew_atom::value);
    step_later(self, svc_.cluster.sweep_interval, sweep_atom::value);
  }

  void route(self_ptr self, inbound_msg&& m) override { cluster::route(self, svc_, std::move(m)); }

  caf::result<forwarded_atom> forwarded(self_ptr self, inbound_msg&& m) override {
    ++state_.received;
    if (svc_.cluster.view->joined() && !mine(svc_, m.tenant_id))
      return cluster::make_error(cluster::cluster_errc::not_owner, self_node(svc_));
    cluster::route(self, svc_, std::move(m));
    return forwarded_atom::value;
  }

  // Counted where the tenant runs: here, or at its owner (fail open, as locally).
  caf::result<double> admit(self_ptr self, const std::string& tenant_id) override {
    auto running = self->state.tenants.find(tenant_id);
    if (running != self->state.tenants.end()) return admit_at(self, running->second);
    auto owner = owner_of(svc_, tenant_id);
    if (owner == self_node(svc_) || !svc_.cluster.view->joined()) return 0.0;
    auto rp = self->make_response_promise<double>();
    self->request(svc_.cluster.gateway, 1s, cluster::forward_atom::value, owner,
                  caf::make_message(forwarded_atom::value, admit_atom::value, tenant_id))
        .then([rp](double wait) mutable { rp.deliver(wait); },
              [rp](caf::error&) mutable { rp.deliver(0.0); });
    return rp;
  }

  void notify(self_ptr self, tenant_notice what, const std::string& tenant_id,
              bool forwarded) override {
    if (what == tenant_notice::knowledge)
      notify_tenant(self, svc_, kb_changed_atom::value, tenant_id, forwarded);
    else
      notify_tenant(self, svc_, changed_atom::value, tenant_id, forwarded);
  }

  // A person took a conversation over: every other node's outbox drops its pending bubbles.
  void cancel(self_ptr, const std::string& conversation_id) override {
    for (auto& node : svc_.cluster.view->nodes_up())
      if (node != self_node(svc_))
        caf::anon_send(
            svc_.cluster.gateway, cluster::forward_atom::value, node,
            caf::make_message(forwarded_atom::value, cancel_atom::value, conversation_id));
  }

  void view_changed(self_ptr self) override { on_view(self, svc_); }
  placement_report report(self_ptr self) override { return cluster::report(self, svc_); }
  cluster_view view() override { return svc_.cluster.view->view(); }
  void step(self_ptr, caf::message& m) override { steps_(m); }

  void tenant_down(self_ptr self, const std::string& tenant_id, const caf::error& reason) override {
    on_tenant_down(self, svc_, tenant_id, reason);
  }

 private:
  services svc_;
  placement_state state_;
  caf::message_handler steps_;
};

placement_state& ps(self_ptr self) {
  return static_cast<cluster_placement&>(*self->state.ext).state();
}

}  // namespace

router_extension_factory placement_extension(services svc) {
  return [svc] { return std::make_unique<cluster_placement>(svc); };
}

caf::actor spawn_cluster_agent(caf::actor_system& sys, services svc) {
  return sys.spawn([svc](caf::event_based_actor* self) -> caf::behavior {
    return {
        [self, svc](info_atom) {
          child_info me;
          me.name = "cluster";
          me.kind = "cluster";
          me.state = "running";
          me.mailbox = self->mailbox().size();
          if (!svc.cluster.view) {
            me.detail = "single node";
            return me;
          }
          auto& view = *svc.cluster.view;
          std::string up;
          for (const auto& n : view.nodes_up()) up += (up.empty() ? "" : ",") + n;
          me.state = view.joined() ? "running" : "joining";
          me.detail = "node=" + svc.cluster.node + " up=" + up;
          return me;
        },
    };
  });
}

}  // namespace parley::cluster
