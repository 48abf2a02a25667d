#include "fleet/inventory.h"

#include <algorithm>

namespace ringboot::fleet {

std::string_view to_string(State state) {
  switch (state) {
    case State::local:
      return "local";
    case State::install:
      return "install";
    case State::installing:
      return "installing";
    case State::done:
      return "done";
    case State::failed:
      return "failed";
  }
  return "unknown";
}

void Machine::recompute_declared() {
  hostname = api_hostname ? *api_hostname : config_hostname;
  labels = api_labels ? *api_labels : config_labels;
}

Machine Machine::stored() const {
  Machine s;
  s.mac = mac;
  s.uuid = uuid;
  s.buildarch = buildarch;
  s.platform = platform;
  s.ip = ip;
  s.ip6 = ip6;
  s.dhcp = dhcp;
  s.first_seen_unix = first_seen_unix;
  s.last_seen_unix = last_seen_unix;
  s.api_hostname = api_hostname;
  s.api_labels = api_labels;
  s.next = next;
  s.state = state;
  s.install_attempts = install_attempts;
  s.install_profile = install_profile;
  s.token = token;
  s.token_unix = token_unix;
  s.install_started_unix = install_started_unix;
  s.done_unix = done_unix;
  s.events = events;
  s.rollout = rollout;
  s.rollout_joined_unix = rollout_joined_unix;
  s.rollout_boot_unix = rollout_boot_unix;
  return s;
}

Inventory::Inventory(std::size_t machines_max)
    // Sized at start for the common fleet; a larger bound grows on demand.
    : machines_max_(machines_max), machines_(std::min<std::size_t>(machines_max, 16384)) {}

Machine* Inventory::find(const Mac& mac) {
  std::unique_ptr<Machine>* m = machines_.find(mac.key());
  return m == nullptr ? nullptr : m->get();
}

const Machine* Inventory::find(const Mac& mac) const {
  const std::unique_ptr<Machine>* m = machines_.find(mac.key());
  return m == nullptr ? nullptr : m->get();
}

Machine* Inventory::find_or_add(const Mac& mac) {
  if (Machine* m = find(mac)) return m;
  if (machines_.size() >= machines_max_) return nullptr;
  std::unique_ptr<Machine>& m = machines_[mac.key()];
  m = std::make_unique<Machine>();
  m->mac = mac;
  return m.get();
}

bool Inventory::erase(const Mac& mac) {
  Machine* m = find(mac);
  if (m == nullptr) return false;
  unindex(*m, false);
  unindex(*m, true);
  machines_.erase(mac.key());
  return true;
}

Machine* Inventory::find_by_ip(const IpAddress& ip) {
  if (ip.is_v6()) {
    const auto at = by_ip6_.find(ip.v6());
    return at == by_ip6_.end() ? nullptr : at->second;
  }
  Machine** at = by_ip_.find(ip.v4().value);
  return at == nullptr ? nullptr : *at;
}

const Machine* Inventory::find_by_ip(const IpAddress& ip) const { return const_cast<Inventory*>(this)->find_by_ip(ip); }

void Inventory::unindex(const Machine& m, bool v6) {
  if (v6 && m.ip6) {
    const auto at = by_ip6_.find(*m.ip6);
    if (at != by_ip6_.end() && at->second == &m) by_ip6_.erase(at);
  }
  if (!v6 && m.ip) {
    Machine** at = by_ip_.find(m.ip->value);
    if (at != nullptr && *at == &m) by_ip_.erase(m.ip->value);
  }
}

bool Inventory::set_ip(Machine& m, const IpAddress& ip) {
  const bool changed = !m.at(ip);
  if (changed) unindex(m, ip.is_v6());
  // The newest sighting owns the address, also one that went to another
  // machine and came back.
  if (ip.is_v6()) {
    m.ip6 = ip.v6();
    by_ip6_[ip.v6()] = &m;
  } else {
    m.ip = ip.v4();
    by_ip_[ip.v4().value] = &m;
  }
  return changed;
}

}  // namespace ringboot::fleet
