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

Inventory::Inventory(std::size_t machines_max) : machines_max_(machines_max) {
  // Sized at start for the common fleet; a larger bound grows on demand.
  machines_.reserve(std::min<std::size_t>(machines_max, 65536));
}

Machine* Inventory::find(const Mac& mac) {
  const auto it = machines_.find(mac.key());
  return it == machines_.end() ? nullptr : &it->second;
}

const Machine* Inventory::find(const Mac& mac) const {
  const auto it = machines_.find(mac.key());
  return it == machines_.end() ? nullptr : &it->second;
}

Machine* Inventory::find_or_add(const Mac& mac) {
  if (Machine* m = find(mac)) return m;
  if (machines_.size() >= machines_max_) return nullptr;
  Machine& m = machines_[mac.key()];
  m.mac = mac;
  return &m;
}

bool Inventory::erase(const Mac& mac) {
  const auto it = machines_.find(mac.key());
  if (it == machines_.end()) return false;
  if (it->second.ip) {
    const auto at = by_ip_.find(it->second.ip->value);
    if (at != by_ip_.end() && at->second == &it->second) by_ip_.erase(at);
  }
  machines_.erase(it);
  return true;
}

Machine* Inventory::find_by_ip(Ipv4 ip) {
  const auto at = by_ip_.find(ip.value);
  return at == by_ip_.end() ? nullptr : at->second;
}

const Machine* Inventory::find_by_ip(Ipv4 ip) const {
  const auto at = by_ip_.find(ip.value);
  return at == by_ip_.end() ? nullptr : at->second;
}

void Inventory::set_ip(Machine& m, Ipv4 ip) {
  if (m.ip == ip) return;
  if (m.ip) {
    const auto at = by_ip_.find(m.ip->value);
    if (at != by_ip_.end() && at->second == &m) by_ip_.erase(at);
  }
  m.ip = ip;
  // The address moved to this machine: the newest sighting owns it.
  by_ip_[ip.value] = &m;
}

}  // namespace ringboot::fleet
