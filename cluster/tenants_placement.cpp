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
  auto me = caf::actor_cast<caf::actor>(self);
  auto node = self_node(svc);
  auto ttl = svc.cluster.lease_ttl.count();
  auto sent = steady_ns();
  svc.cluster.lease_db->submit(
      [me, tenant_id, node, ttl, sent](pqxx::connection& c) {
        auto taken = take_lease(c, tenant_id, node, ttl);
        caf::anon_send(me, lease_atom::value, tenant_id, taken ? taken->epoch : int64_t{0},
                       taken ? taken->previous_node : std::string{}, sent);
      },
      [me, tenant_id, sent](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("cannot take the lease of tenant {}: {}", tenant_id,
                                          why.what());
        caf::anon_send(me, lease_atom::value, tenant_id, int64_t{-1}, std::string{}, sent);
      });
}

void release(self_ptr self, const services& svc, const std::string& tenant_id, int64_t epoch) {
  auto me = caf::actor_cast<caf::actor>(self);
  auto node = self_node(svc);
  svc.cluster.lease_db->submit(
      [me, tenant_id, node, epoch](pqxx::connection& c) {
        if (epoch > 0) release_lease(c, tenant_id, node, epoch);
        caf::anon_send(me, released_atom::value, tenant_id);
      },
      [me, tenant_id](const persistence::db_failure& why) {
        // It expires by itself within one lease lifetime.
        common::log::get("cluster")->warn("cannot release the lease of tenant {}: {}", tenant_id,
                                          why.what());
        caf::anon_send(me, released_atom::value, tenant_id);
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
  ++self->state.forwarded;
  auto msg = m;
  self->request(svc.cluster.gateway, svc.cluster.forward_timeout, cluster::forward_atom::value,
                owner, caf::make_message(forwarded_atom::value, std::move(m)))
      .then([](forwarded_atom) {},
            [self, msg, attempt](caf::error& err) mutable {
              ++self->state.forward_errors;
              auto failure = self->state.placement.forward_failed(std::move(msg), attempt);
              if (failure.given_up) {
                // Still in the inbox: the owner's sweep finds it. (Given up, msg is intact.)
                common::log::get("cluster")->warn("message {} of tenant {} not forwarded: {}",
                                                  msg.id, msg.tenant_id,
                                                  self->system().render(err));
                return;
              }
              if (failure.timer) self->delayed_send(self, *failure.timer, reroute_atom::value);
            });
}

void route_retries(self_ptr self, const services& svc, std::vector<placement_table::retry> again) {
  for (auto& [m, attempt] : again) route(self, svc, std::move(m), attempt);
}

placement_report report(self_ptr self, const services& svc) {
  auto& st = self->state;
  placement_report r;
  r.node = self_node(svc);
  r.forwarded = st.forwarded;
  r.received = st.received;
  r.forward_errors = st.forward_errors;
  for (auto& p : st.placement.report())
    r.tenants.push_back(placed_tenant{p.tenant_id, logic::phase_name(p.phase), p.epoch});
  return r;
}

// The tenant's API budget, answered through a promise (a delegation would type the answer as
// a plain message, and the other branches answer a double).
caf::result<double> admit_at(self_ptr self, const tenant_actor& tenant) {
  auto rp = self->make_response_promise<double>();
  self->request(tenant, 2s, admit_atom::value)
      .then([rp](double wait) mutable { rp.deliver(wait); },
            [rp](caf::error&) mutable { rp.deliver(0.0); });
  return rp;
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
    self->send(svc.cluster.gateway, cluster::forward_atom::value, owner,
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
  auto answer = self->state.placement.lease_answered(tenant_id, epoch, mine(svc, tenant_id),
                                                     from_ns(sent_ns));
  if (answer.give_back > 0) release(self, svc, tenant_id, answer.give_back);
  route_all(self, svc, std::move(answer.reroute));
  // Another node still holds it (it is handing over, or died and its lease has to run out),
  // or the database did not answer: try again shortly.
  if (answer.retry) self->delayed_send(self, 100ms, lease_atom::value, tenant_id);
  if (!answer.run) return;
  common::log::get("cluster")->info("tenant {} runs here (epoch {}, previous holder '{}')",
                                    tenant_id, epoch, previous);
  tenant_for(self, svc, tenant_id, epoch);
  if (!previous.empty() && (previous == self_node(svc) || !svc.cluster.view->is_up(previous)))
    resume_outbox(svc, self->system(), tenant_id);
}

void renew(self_ptr self, const services& svc) {
  auto ids = self->state.placement.renewal_due();
  if (ids.empty()) return;
  auto me = caf::actor_cast<caf::actor>(self);
  auto node = self_node(svc);
  auto ttl = svc.cluster.lease_ttl.count();
  auto sent = steady_ns();
  svc.cluster.lease_db->submit(
      [me, node, ids, ttl, sent](pqxx::connection& c) {
        std::vector<placed_tenant> out;
        for (auto& [t, epoch] : renew_leases(c, node, ids, ttl))
          out.push_back(placed_tenant{t, "running", epoch});
        caf::anon_send(me, renewed_atom::value, std::move(out), sent);
      },
      [me](const persistence::db_failure& why) {
        common::log::get("cluster")->warn("cannot renew leases: {}", why.what());
        caf::anon_send(me, renewed_atom::value, std::vector<placed_tenant>{}, int64_t{0});
      });
}

// A tenant whose lease may have run out by our clock stops now: the database would refuse its
// replies anyway, and another node may take it once the lease has expired there.
void stop_expired(self_ptr self, const services& svc) {
  auto& st = self->state;
  for (auto& lapsed : st.placement.expire(steady::now())) {
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
  auto me = caf::actor_cast<caf::actor>(self);
  auto ms = older_than.count();
  svc.db->submit(
      [me, ms](pqxx::connection& c) {
        std::vector<placed_tenant> out;
        for (auto& t : persistence::tenants_with_work(c, ms))
          out.push_back(placed_tenant{t, "", 0});
        caf::anon_send(me, work_atom::value, std::move(out));
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
    switch (st.placement.work_found(t.tenant_id)) {
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
  auto change = self->state.placement.joined_view(
      view.generation(), [&svc](const std::string& id) { return mine(svc, id); });
  route_all(self, svc, std::move(change.unjoined));
  if (!change.changed) return;
  route_retries(self, svc, std::move(change.retries));
  for (auto& [id, h] : change.given_up) hand_over(self, svc, id, std::move(h));
  // Nodes came or went: some tenants with unanswered work may be ours now.
  find_work(self, svc, 0ms);
}

// Inbound work and the lease protocol.
caf::message_handler routing_behavior(self_ptr self, const services& svc) {
  return {
      [self, svc](inbound_msg& m) {
        ++self->state.handled;
        route(self, svc, std::move(m));
      },
      [self, svc](reroute_atom) { route_retries(self, svc, self->state.placement.retry_due()); },
      [self, svc](forwarded_atom, inbound_msg& m) -> caf::result<forwarded_atom> {
        // From another node. Handled here or refused, never forwarded again.
        auto& st = self->state;
        ++st.received;
        ++st.handled;
        if (svc.cluster.view->joined() && !mine(svc, m.tenant_id))
          return cluster::make_error(cluster::cluster_errc::not_owner, self_node(svc));
        route(self, svc, std::move(m));
        return forwarded_atom::value;
      },
      [self, svc](view_changed_atom) { on_view(self, svc); },
      [self, svc](lease_atom, const std::string& tenant_id, int64_t epoch,
                  const std::string& previous,
                  int64_t sent_ns) { on_lease(self, svc, tenant_id, epoch, previous, sent_ns); },
      [self, svc](lease_atom, const std::string& tenant_id) {
        auto due = self->state.placement.lease_due(tenant_id, mine(svc, tenant_id));
        if (due.acquire) return acquire(self, svc, tenant_id);
        hand_over(self, svc, tenant_id, std::move(due.given_up));
      },
      [self, svc](released_atom, const std::string& tenant_id) {
        route_all(self, svc, self->state.placement.released(tenant_id));
      },
      [self, svc](renew_atom) {
        stop_expired(self, svc);
        renew(self, svc);
        self->delayed_send(self, svc.cluster.lease_ttl / 5, renew_atom::value);
      },
      [self, svc](renewed_atom, std::vector<placed_tenant>& renewed, int64_t sent_ns) {
        self->state.placement.renewal_answered(renewed, from_ns(sent_ns));
        stop_expired(self, svc);
      },
      [self, svc](sweep_atom) {
        // Older than two intervals: messages merely waiting in a burst window are left alone.
        find_work(self, svc, 2 * svc.cluster.sweep_interval);
        self->delayed_send(self, svc.cluster.sweep_interval, sweep_atom::value);
      },
      [self, svc](work_atom, std::vector<placed_tenant>& tenants) { on_work(self, svc, tenants); },
  };
}

// Calls of the tenants' API and notices for them, wherever the tenant runs.
caf::message_handler tenant_api_behavior(self_ptr self, const services& svc) {
  return {
      [self, svc](admit_atom, const std::string& tenant_id) -> caf::result<double> {
        auto& st = self->state;
        auto running = st.tenants.find(tenant_id);
        if (running != st.tenants.end()) return admit_at(self, running->second);
        auto owner = owner_of(svc, tenant_id);
        if (owner == self_node(svc) || !svc.cluster.view->joined()) return 0.0;
        auto rp = self->make_response_promise<double>();
        self->request(svc.cluster.gateway, 1s, cluster::forward_atom::value, owner,
                      caf::make_message(forwarded_atom::value, admit_atom::value, tenant_id))
            .then([rp](double wait) mutable { rp.deliver(wait); },
                  [rp](caf::error&) mutable { rp.deliver(0.0); });  // fail open, as locally
        return rp;
      },
      [self](forwarded_atom, admit_atom, const std::string& tenant_id) -> caf::result<double> {
        auto running = self->state.tenants.find(tenant_id);
        if (running == self->state.tenants.end()) return 0.0;
        return admit_at(self, running->second);
      },
      [self, svc](kb_changed_atom a, const std::string& tenant_id) {
        notify_tenant(self, svc, a, tenant_id, false);
      },
      [self, svc](changed_atom a, const std::string& tenant_id) {
        notify_tenant(self, svc, a, tenant_id, false);
      },
      [self, svc](forwarded_atom, kb_changed_atom a, const std::string& tenant_id) {
        notify_tenant(self, svc, a, tenant_id, true);
      },
      [self, svc](forwarded_atom, changed_atom a, const std::string& tenant_id) {
        notify_tenant(self, svc, a, tenant_id, true);
      },
      [self, svc](cancel_atom a, const std::string& conversation_id) {
        // A person took a conversation over: every node's outbox drops its pending bubbles.
        for (auto& node : svc.cluster.view->nodes_up())
          if (node != self_node(svc))
            self->send(svc.cluster.gateway, cluster::forward_atom::value, node,
                       caf::make_message(forwarded_atom::value, a, conversation_id));
      },
      [self](forwarded_atom, cancel_atom a, const std::string& conversation_id) {
        caf::anon_send(find_outbox(self->system()), a, conversation_id);
      },
      [self, svc](forwarded_atom, placement_atom) { return report(self, svc); },
      [self, svc](forwarded_atom, cluster::view_atom) { return svc.cluster.view->view(); },
  };
}

void route(self_ptr self, const services& svc, inbound_msg&& m, int32_t attempt) {
  auto& st = self->state;
  auto& view = *svc.cluster.view;
  if (!view.joined()) return st.placement.hold_unjoined(std::move(m));
  auto owner = owner_of(svc, m.tenant_id);
  if (owner != self_node(svc)) return forward(self, svc, owner, std::move(m), attempt);
  if (auto epoch = st.placement.running_epoch(m.tenant_id))
    return deliver_local(self, svc, std::move(m), *epoch);
  auto tenant_id = m.tenant_id;
  if (st.placement.hold(tenant_id, std::move(m))) acquire(self, svc, tenant_id);
}

void on_tenant_down(self_ptr self, const services& svc, const std::string& tenant_id,
                    const caf::error& reason) {
  auto ended = self->state.placement.tenant_down(tenant_id);
  if (!ended) return;
  if (ended->was_running && reason)
    common::log::get("cluster")->warn("tenant {} ended ({}); releasing its lease", tenant_id,
                                      self->system().render(reason));
  release(self, svc, tenant_id, ended->epoch);
}

void start_placement(self_ptr self, const services& svc) {
  self->state.placement = placement_table{svc.cluster.lease_ttl};
  // Work other nodes forward arrives here (a restarted router registers its new handle).
  self->send(svc.cluster.gateway, cluster::handler_atom::value, caf::actor_cast<caf::actor>(self));
  self->send(self, view_changed_atom::value);
  self->send(self, renew_atom::value);
  self->delayed_send(self, svc.cluster.sweep_interval, sweep_atom::value);
}

}  // namespace

router_extension placement_extension(services svc) {
  router_extension ext;
  ext.start = [svc](tenants_ptr self) { start_placement(self, svc); };
  ext.behavior = [svc](tenants_ptr self) {
    return routing_behavior(self, svc).or_else(tenant_api_behavior(self, svc));
  };
  ext.tenant_down = [svc](tenants_ptr self, const std::string& tenant_id,
                          const caf::error& reason) {
    on_tenant_down(self, svc, tenant_id, reason);
  };
  return ext;
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
