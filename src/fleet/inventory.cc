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
  if (m->ip) {
    Machine** at = by_ip_.find(m->ip->value);
    if (at != nullptr && *at == m) by_ip_.erase(m->ip->value);
  }
  machines_.erase(mac.key());
  return true;
}

Machine* Inventory::find_by_ip(Ipv4 ip) {
  Machine** at = by_ip_.find(ip.value);
  return at == nullptr ? nullptr : *at;
}

const Machine* Inventory::find_by_ip(Ipv4 ip) const {
  Machine* const* at = by_ip_.find(ip.value);
  return at == nullptr ? nullptr : *at;
}

bool Inventory::set_ip(Machine& m, Ipv4 ip) {
  const bool changed = m.ip != ip;
  if (changed && m.ip) {
    Machine** at = by_ip_.find(m.ip->value);
    if (at != nullptr && *at == &m) by_ip_.erase(m.ip->value);
  }
  m.ip = ip;
  // The newest sighting owns the address, also one that went to another
  // machine and came back.
  by_ip_[ip.value] = &m;
  return changed;
}

}  // namespace ringboot::fleet
