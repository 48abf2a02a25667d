// Boot rules: which file each client gets. First match wins, in file order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "dhcp/packet.h"

namespace ringboot::dhcp {

using ringboot::Cidr;
using ringboot::MacPattern;

struct BootMatch {                          // every field given must match; an empty match matches all
  std::vector<std::uint16_t> arch;          // option 93 values
  std::optional<bool> ipxe;                 // option 77 == "iPXE" or option 175 present
  std::optional<std::string> vendor_class;  // prefix of option 60
  std::optional<MacPattern> mac;
  std::optional<Cidr> subnet;  // the client's address or giaddr
};

struct BootRule {
  std::size_t index = 0;  // position in the file, 0-based
  std::string name;       // "boot[0]" unless named
  BootMatch match;
  std::string file;  // a path, or a URL for UEFI HTTP boot
  std::optional<Ipv4> next_server;
  std::vector<std::string> params;  // DHCPv6 option 60 (RFC 5970), in order; IPv4 has no such option
};

// What the rules look at, taken from a request.
struct ClientFacts {
  Mac mac;
  std::optional<std::uint16_t> arch;
  bool ipxe = false;
  std::string_view vendor_class;
  Ipv4 client_address;  // ciaddr, or the address being handed out
  Ipv4 relay_address;   // giaddr
};
ClientFacts facts_of(const Packet& request, Ipv4 client_address);

// UEFI HTTP boot: arch 15/16/18/19 or option 60 "HTTPClient...".
bool is_http_boot_arch(std::uint16_t arch);
bool is_http_boot(const ClientFacts& facts);

bool matches(const BootMatch& match, const ClientFacts& facts);
const BootRule* match_boot_rule(std::span<const BootRule> rules, const ClientFacts& facts);

// The rules used when the config has none: iPXE gets the script, firmware
// gets iPXE, so iPXE never loads itself in a loop.
std::vector<BootRule> default_boot_rules(Ipv4 http_server);
// The same with the URLs under `http_base` ("http://[2001:db8::1]:8080/"), for DHCPv6.
std::vector<BootRule> default_boot_rules(std::string_view http_base);

// Bounded label set for per-architecture counters.
enum class ArchClass : std::uint8_t { bios, uefi_x64, uefi_arm64, http, ipxe, other };
inline constexpr std::size_t kArchClassCount = 6;  // kept by hand; rules.cc checks it
ArchClass classify(const ClientFacts& facts);
std::string_view to_string(ArchClass arch);

}  // namespace ringboot::dhcp
