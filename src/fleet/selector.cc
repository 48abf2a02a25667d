#include "fleet/selector.h"

#include <algorithm>

namespace ringboot::fleet {

namespace {
// "x86_64" matches any platform of that build; "x86_64/efi" only EFI.
bool arch_matches(std::string_view want, const Machine& m) {
  const auto slash = want.find('/');
  if (slash == std::string_view::npos) return want == m.buildarch;
  return want.substr(0, slash) == m.buildarch && want.substr(slash + 1) == m.platform;
}
}  // namespace

bool matches(const GroupMatch& match, const Machine& m) {
  if (match.mac && !match.mac->matches(m.mac)) return false;
  if (match.uuid && *match.uuid != m.uuid) return false;
  if (!match.arch.empty() &&
      std::none_of(match.arch.begin(), match.arch.end(), [&](const std::string& a) { return arch_matches(a, m); }))
    return false;
  if (match.subnet && (!m.ip || !match.subnet->contains(*m.ip))) return false;
  for (const std::string& label : match.labels)
    if (std::find(m.labels.begin(), m.labels.end(), label) == m.labels.end()) return false;
  return true;
}

const Group* first_matching(std::span<const Group> groups, const Machine& machine) {
  for (const Group& g : groups)
    if (matches(g.match, machine)) return &g;
  return nullptr;
}

}  // namespace ringboot::fleet
