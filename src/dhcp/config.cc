#include "dhcp/config.h"

namespace ringboot::dhcp {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::off:
      return "off";
    case Mode::proxy:
      return "proxy";
    case Mode::server:
      return "server";
  }
  return "off";
}

std::string_view to_string(ConflictCheck check) { return check == ConflictCheck::icmp ? "icmp" : "none"; }

std::optional<Mode> parse_mode(std::string_view text) {
  for (const Mode m : {Mode::off, Mode::proxy, Mode::server})
    if (text == to_string(m)) return m;
  return std::nullopt;
}

std::optional<ConflictCheck> parse_conflict_check(std::string_view text) {
  for (const ConflictCheck c : {ConflictCheck::none, ConflictCheck::icmp})
    if (text == to_string(c)) return c;
  return std::nullopt;
}

}  // namespace ringboot::dhcp
