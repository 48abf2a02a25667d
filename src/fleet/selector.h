// A group's selectors against a machine: every selector given must match.
#pragma once

#include <span>

#include "fleet/config.h"
#include "fleet/inventory.h"

namespace ringboot::fleet {

bool matches(const GroupMatch& match, const Machine& machine);
// The first group in file order whose selectors all match; nullptr: none.
const Group* first_matching(std::span<const Group> groups, const Machine& machine);

}  // namespace ringboot::fleet
