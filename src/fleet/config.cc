#include "fleet/config.h"

#include <algorithm>

namespace ringboot::fleet {

const Profile* FleetConfig::profile(std::string_view name) const {
  const auto it = std::find_if(profiles.begin(), profiles.end(), [&](const Profile& p) { return p.name == name; });
  return it == profiles.end() ? nullptr : &*it;
}

}  // namespace ringboot::fleet
