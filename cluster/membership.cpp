// The cluster view state machine (see membership.hpp). Used only by the gateway actor.
#include "cluster/membership.hpp"

#include <algorithm>

namespace parley::cluster {

std::vector<std::string> nodes_up(const cluster_view& v) {
  std::vector<std::string> out;
  for (const auto& n : v.nodes)
    if (n.state == node_state::up || n.state == node_state::suspect) out.push_back(n.name);
  return out;
}

membership::membership(membership_settings s, clock::time_point now) : settings_(std::move(s)) {
  for (const auto& a : settings_.nodes) {
    member m;
    m.address = a;
    m.last_heartbeat = now;
    members_[a.name] = m;
  }
  auto& me = members_[settings_.self];
  if (me.address.name.empty()) me.address.name = settings_.self;
  me.state = node_state::up;
  me.incarnation = settings_.self_incarnation;
  me.heard = true;
  me.last_heartbeat = now;
}

void membership::move(member& m, node_state to, std::vector<transition>& out) {
  if (m.state == to) return;
  out.push_back(transition{m.address.name, m.state, to, m.incarnation});
  m.state = to;
}

std::vector<transition> membership::on_heartbeat(const std::string& node, uint64_t incarnation,
                                                 clock::time_point now) {
  std::vector<transition> out;
  auto i = members_.find(node);
  if (i == members_.end() || node == settings_.self) return out;
  auto& m = i->second;
  if (m.heard && incarnation < m.incarnation) return out;
  if (m.heard && incarnation > m.incarnation && m.state != node_state::down)
    move(m, node_state::down, out);  // the old process is gone, whatever we thought of it
  m.incarnation = incarnation;
  m.heard = true;
  m.last_heartbeat = now;
  move(m, node_state::up, out);
  return out;
}

std::vector<transition> membership::on_connection_lost(const std::string& node,
                                                       clock::time_point now) {
  std::vector<transition> out;
  auto i = members_.find(node);
  if (i == members_.end() || node == settings_.self) return out;
  move(i->second, node_state::down, out);
  return out;
}

std::vector<transition> membership::tick(clock::time_point now) {
  std::vector<transition> out;
  auto suspect_after = settings_.heartbeat_interval * 2;
  for (auto& [name, m] : members_) {
    if (name == settings_.self) continue;
    auto silence = now - m.last_heartbeat;
    switch (m.state) {
      case node_state::joining:
        if (silence > settings_.failure_timeout) move(m, node_state::down, out);
        break;
      case node_state::up:
      case node_state::suspect:
        if (silence > settings_.failure_timeout)
          move(m, node_state::down, out);
        else if (silence > suspect_after)
          move(m, node_state::suspect, out);
        break;
      case node_state::down:
        break;
    }
  }
  return out;
}

std::vector<std::string> membership::nodes_up() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : members_)
    if (m.state == node_state::up || m.state == node_state::suspect) out.push_back(name);
  return out;
}

node_state membership::state_of(const std::string& node) const {
  auto i = members_.find(node);
  return i == members_.end() ? node_state::down : i->second.state;
}

uint64_t membership::incarnation_of(const std::string& node) const {
  auto i = members_.find(node);
  return i == members_.end() ? 0 : i->second.incarnation;
}

const node_address* membership::address_of(const std::string& node) const {
  auto i = members_.find(node);
  return i == members_.end() ? nullptr : &i->second.address;
}

cluster_view membership::view(clock::time_point now) const {
  cluster_view v;
  v.self = settings_.self;
  for (const auto& [name, m] : members_) {
    node_status s;
    s.name = name;
    s.host = m.address.host;
    s.cluster_port = m.address.cluster_port;
    s.http_port = m.address.http_port;
    s.state = m.state;
    s.incarnation = m.incarnation;
    s.self = name == settings_.self;
    if (m.heard)
      s.heartbeat_age_ms =
          s.self ? 0
                 : std::chrono::duration_cast<std::chrono::milliseconds>(now - m.last_heartbeat)
                       .count();
    v.nodes.push_back(std::move(s));
  }
  return v;
}

}  // namespace parley::cluster
