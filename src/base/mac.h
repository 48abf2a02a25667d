// Ethernet addresses and prefixes of them, shared by the DHCP tagger (client
// hardware addresses, reservations, boot rules) and the fleet inventory.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringboot {

struct Mac {
  std::array<std::uint8_t, 6> bytes{};
  friend bool operator==(const Mac&, const Mac&) = default;
  friend auto operator<=>(const Mac&, const Mac&) = default;
  std::uint64_t key() const;
  // "aa:bb:cc:dd:ee:ff"; "-": iPXE's ${mac:hexhyp}; "": twelve hex digits.
  std::string to_string(std::string_view separator = ":") const;
  // The same, appended to `out` (no string of its own).
  void append_to(std::string& out, std::string_view separator = ":") const;
  // "aa:bb:cc:dd:ee:ff", any case: the lease file's and the config's form.
  static std::optional<Mac> parse(std::string_view text);
  // What clients and operators send: colons, hyphens (iPXE ${mac:hexhyp}) or
  // no separator at all (12 hex digits), any case; one separator throughout.
  static std::optional<Mac> parse_any(std::string_view text);
};

// "52:54:00" (prefix) or a full "52:54:00:12:34:56"; hyphens are taken too.
struct MacPattern {
  std::array<std::uint8_t, 6> bytes{};
  std::uint8_t length = 0;
  bool matches(const Mac& mac) const;
  std::string to_string() const;  // "52:54:00"
  static std::optional<MacPattern> parse(std::string_view text);
};

}  // namespace ringboot
