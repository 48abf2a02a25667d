// The [dhcp] section of the config file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "dhcp/packet.h"
#include "dhcp/rules.h"

namespace ringboot::dhcp {

enum class Mode : std::uint8_t { off, proxy, server };
std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view text);

// Server mode: how an address this client never held is checked before it is
// offered. icmp: an ICMP echo; a reply within conflict_check_ms quarantines it.
enum class ConflictCheck : std::uint8_t { none, icmp };
std::string_view to_string(ConflictCheck check);
std::optional<ConflictCheck> parse_conflict_check(std::string_view text);

struct SubnetConfig {
  Cidr cidr;
  Ipv4 range_first, range_last;  // dynamic pool, inclusive
  std::optional<Ipv4> router;    // option 3
  std::vector<Ipv4> dns;         // option 6
  std::string domain;            // option 15, empty: not sent
  std::uint32_t lease_seconds = 3600;
  std::optional<Ipv4> next_server;  // extension: option 66/siaddr default for this subnet
};

struct HostConfig {
  Mac mac;
  Ipv4 address;
  std::string hostname;  // option 12, empty: not sent
};

struct DhcpConfig {
  Mode mode = Mode::off;
  std::string interface;
  std::optional<Ipv4> server_address;  // default: the interface's address
  // Proxy mode on the same host as the address server (dnsmasq, dhcpd, Kea):
  // port 67 is bound with SO_REUSEADDR on 255.255.255.255 only, so broadcasts
  // reach both and unicast to 67 (renewals, relays) stays with that server.
  bool shared_port = false;
  std::string lease_file;  // empty: <state_dir>/leases (the app fills it in, ringboot::apply_state_dir)
  std::size_t leases_max = 65536;
  std::uint32_t offer_hold_seconds = 30;               // extension: how long an OFFER reserves its address
  std::uint32_t decline_hold_seconds = 600;            // extension: quarantine after DECLINE (RFC 2131 3.1.5)
  ConflictCheck conflict_check = ConflictCheck::icmp;  // server mode only
  std::uint32_t conflict_check_ms = 200;               // how long an OFFER waits for an echo reply
  std::size_t probes_max = 256;                        // OFFERs held for a probe at once; more are offered unprobed
  std::uint32_t requests_per_second_per_client = 0;    // by client MAC; 0: off
  std::uint32_t rate_limit_burst = 0;                  // 0: the same as the rate
  std::size_t rate_limit_clients_max = 65536;
  std::vector<BootRule> boot;  // none in the file: the engine uses default_boot_rules(server address)
  std::vector<SubnetConfig> subnets;
  std::vector<HostConfig> hosts;
};

// The TOML reading and its checks are the config schema's (src/app/config.cc).

}  // namespace ringboot::dhcp
