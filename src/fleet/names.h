// The forms of the operator's strings the fleet puts into scripts and
// selectors, one definition for the config and the API.
#pragma once

#include <string_view>

namespace ringboot::fleet {

inline constexpr std::size_t kHostnameBytesMax = 253;
inline constexpr std::size_t kLabelBytesMax = 64;
inline constexpr std::size_t kLabelsMax = 32;
inline constexpr std::size_t kProfileNameBytesMax = 64;
inline constexpr std::size_t kRolloutNameBytesMax = 64;

// Letters, digits, '.' and '-'; empty is allowed (no hostname).
bool hostname_ok(std::string_view text);
// 1..64 of letters, digits and "._:/=-": "rack=a1", "gpu".
bool label_ok(std::string_view text);
// 1..64 of letters, digits and "._-": "rack1-2024.06".
bool rollout_name_ok(std::string_view text);

}  // namespace ringboot::fleet
