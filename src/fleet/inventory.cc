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

}  // namespace ringboot::fleet
