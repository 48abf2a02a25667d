#include "app/config.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <unordered_set>

#include "app/schema.h"
#include "fleet/names.h"
#include "fleet/script.h"

namespace ringboot {

std::string ConfigError::to_string() const {
  if (file.empty()) return reason;
  if (line == 0) return fmt::format("{}: {}", file, reason);
  return fmt::format("{}:{}: {}", file, line, reason);
}

namespace {

using schema::Key;
using schema::Reload;
constexpr Reload kApplies = Reload::applies;
constexpr Reload kRestart = Reload::restart;

// Parse/format pairs for schema::parsed, one name each (the NTTPs need a
// single function, not an overload set).
std::optional<Ipv4> parse_ipv4(std::string_view t) { return Ipv4::parse(t); }
std::string format_ipv4(const Ipv4& ip) { return ip.to_string(); }
std::optional<dhcp::Cidr> parse_cidr(std::string_view t) { return dhcp::Cidr::parse(t); }
std::string format_cidr(const dhcp::Cidr& c) { return c.to_string(); }
std::optional<dhcp::Mac> parse_mac(std::string_view t) { return dhcp::Mac::parse(t); }
std::string format_mac(const dhcp::Mac& m) { return m.to_string(); }
std::optional<dhcp::MacPattern> parse_mac_pattern(std::string_view t) { return dhcp::MacPattern::parse(t); }
std::string format_mac_pattern(const dhcp::MacPattern& m) { return m.to_string(); }
std::string_view format_log_level(const LogLevel& l) { return to_string(l); }
std::string_view format_mode(const dhcp::Mode& m) { return dhcp::to_string(m); }
std::string_view format_conflict_check(const dhcp::ConflictCheck& c) { return dhcp::to_string(c); }
std::optional<Ipv6> parse_ipv6(std::string_view t) { return Ipv6::parse(t); }
std::string format_ipv6(const Ipv6& ip) { return ip.to_string(); }
std::optional<dhcp6::Prefix> parse_prefix6(std::string_view t) { return dhcp6::Prefix::parse(t); }
std::string format_prefix6(const dhcp6::Prefix& p) { return p.to_string(); }
std::optional<dhcp6::Duid> parse_duid(std::string_view t) { return dhcp6::Duid::parse(t); }
std::string format_duid(const dhcp6::Duid& d) { return d.to_string(); }
std::string_view format_mode6(const dhcp6::Mode& m) { return dhcp6::to_string(m); }
// A DHCPv6 bootfile parameter (RFC 5970 option 60): printable ASCII, as a kernel command line word is.
std::optional<std::string> parse_boot_param(std::string_view t) {
  const bool printable = std::all_of(t.begin(), t.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (t.empty() || t.size() > 255 || !printable) return std::nullopt;
  return std::string(t);
}
const std::string& format_boot_param(const std::string& p) { return p; }

constexpr std::int64_t kHour = 3600000;

// The node of `key` in t for an error's line, else the table's own.
const toml::node& node_or(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  return n != nullptr ? *n : static_cast<const toml::node&>(t);
}

// --- [tftp] ---------------------------------------------------------------------
using T = TftpSettings;
constexpr std::array<Key<T>, 20> kTftpKeys{
    schema::listen<&T::listen>("listen", kRestart, "TFTP listening addresses, IPv4 and IPv6 (also --tftp-listen)"),
    schema::integer<&T::blksize_max>("blksize_max", 8, 65464, kApplies,
                                     "largest blksize answered; further clamped to the interface MTU when mtu_clamp"),
    schema::boolean<&T::mtu_clamp>("mtu_clamp", kApplies,
                                   "clamp blksize so a DATA fits the interface MTU (1468 on 1500; 1448 over IPv6)"),
    schema::integer<&T::windowsize_max>("windowsize_max", 1, 65535, kApplies, "largest windowsize answered (RFC 7440)"),
    schema::integer<&T::window_bytes_max>("window_bytes_max", 0, std::int64_t{1} << 30, kApplies,
                                          "payload of one window (windowsize * blksize answered); 0: no cap"),
    schema::integer<&T::client_receive_buffer_bytes>(
        "client_receive_buffer_bytes", 0, 1 << 30, kApplies,
        "the client receive buffer a window must fit, each datagram at its kernel cost (skb truesize); 0: off"),
    schema::integer<&T::sessions_max>("sessions_max", 1, 1 << 20, kRestart,
                                      "transfers at once across all threads; over it a request gets ERROR 0 busy"),
    schema::integer<&T::sessions_per_client_max>("sessions_per_client_max", 1, 1 << 20, kRestart,
                                                 "transfers at once per client address, per worker thread"),
    schema::integer<&T::retries_max>("retries_max", 1, 100, kApplies,
                                     "consecutive timeouts before a transfer is abandoned"),
    schema::millis<&T::rto_min>("rto_min_ms", 1, 60000, kApplies,
                                "floor of the adaptive retransmit timer; low floors resend spuriously in a storm"),
    schema::millis<&T::rto_max>("rto_max_ms", 1, 255000, kApplies, "ceiling of the adaptive retransmit timer"),
    schema::millis<&T::rto_initial>("rto_initial_ms", 1, 255000, kApplies,
                                    "retransmit timer before an RTT is measured"),
    schema::integer<&T::netascii_bytes_max>("netascii_bytes_max", 0, std::int64_t{1} << 32, kApplies,
                                            "largest file served in netascii mode (converted in memory)"),
    schema::integer<&T::receive_buffer_bytes>("receive_buffer_bytes", 0, 1 << 30, kRestart,
                                              "listening socket's receive buffer: a 1,000-client RRQ storm fits"),
    schema::integer<&T::send_slots>("send_slots", 16, 1 << 20, kRestart, "in-flight datagrams per thread"),
    schema::integer<&T::requests_per_second_per_client>(
        "requests_per_second_per_client", 0, 1000000, kApplies,
        "token bucket per source address, per worker thread; over it dropped and counted; 0: off"),
    schema::integer<&T::rate_limit_burst>("rate_limit_burst", 0, 1000000, kApplies,
                                          "requests at once; 0: the same as the rate"),
    schema::integer<&T::rate_limit_clients_max>(
        "rate_limit_clients_max", 1, 1 << 24, kRestart,
        "addresses tracked per thread; when all are over their rate a new one passes unchecked"),
    schema::path<&T::upload_dir>("upload_dir", kRestart,
                                 "opt-in uploads (WRQ): new files only, beneath this directory; empty: refused"),
    schema::integer<&T::upload_bytes_max>("upload_bytes_max", 1, std::int64_t{1} << 40, kApplies,
                                          "per upload; a larger tsize or file gets ERROR 3"),
};

// --- [http] ---------------------------------------------------------------------
using H = HttpSettings;
constexpr std::array<Key<H>, 11> kHttpKeys{
    schema::listen<&H::listen>("listen", kRestart, "HTTP listening addresses, IPv4 and IPv6 (also --http-listen)"),
    schema::listen<&H::metrics_listen>("metrics_listen", kRestart,
                                       "/metrics only there, off the boot network; \"off\": on the HTTP listeners"),
    schema::integer<&H::connections_max>("connections_max", 1, 1 << 20, kRestart,
                                         "connections across all threads; each holds a socket and a pipe"),
    schema::integer<&H::header_bytes_max>("header_bytes_max", 256, 1 << 20, kApplies, "request head size; 431 beyond"),
    schema::integer<&H::headers_max>("headers_max", 1, 1024, kApplies, "header lines; 431 beyond"),
    schema::millis<&H::header_timeout>("header_timeout_ms", 1, kHour, kApplies,
                                       "whole request head from its first byte (slowloris)"),
    schema::millis<&H::idle_timeout>("idle_timeout_ms", 1, kHour, kApplies, "keep-alive wait for the next request"),
    schema::millis<&H::send_timeout>("send_timeout_ms", 1, kHour, kApplies,
                                     "no send progress: the connection is closed"),
    schema::millis<&H::lingering_timeout>(
        "lingering_timeout_ms", 1, 600000, kApplies,
        "after an error response, what the client still sends is drained this long so it reads its 4xx"),
    schema::integer<&H::chunk_bytes>("chunk_bytes", 4096, 1 << 30, kApplies,
                                     "a body's most bytes per sendfile, before the loop serves other connections"),
    schema::integer<&H::turn_bytes>("turn_bytes", 4096, 1 << 30, kApplies,
                                    "body bytes a worker sends in one loop turn before it reads its other sockets"),
};

// --- [api] ----------------------------------------------------------------------
using A = ApiSettings;
constexpr std::array<Key<A>, 9> kApiKeys{
    schema::listen<&A::listen>("listen", kRestart,
                               "the admin API's addresses (also --api-listen); it listens only with a tokens_file"),
    schema::path<&A::tokens_file>(
        "tokens_file", kApplies,
        "`ROLE TOKEN [NAME]` a line, ROLE read or admin; re-read on SIGHUP; empty: the API is off"),
    schema::integer<&A::body_bytes_max>("body_bytes_max", 64, 16 << 20, kApplies,
                                        "a request body's bound; 413 past it"),
    schema::integer<&A::subscribers_max>("subscribers_max", 1, 1 << 16, kApplies,
                                         "event streams (GET /api/v1/events) at once, over every worker; 503 past it"),
    schema::integer<&A::subscriber_buffer_bytes>(
        "subscriber_buffer_bytes", 65536, 1 << 30, kApplies,
        "a subscriber's output not yet sent; past it the subscriber is dropped (the server never waits on one)"),
    schema::integer<&A::events_buffer>("events_buffer", 16, 1 << 24, kRestart,
                                       "recent machine changes kept so a stream resumes from Last-Event-ID"),
    schema::millis<&A::events_keepalive>("events_keepalive_ms", 100, kHour, kApplies,
                                         "a \": keepalive\" comment on a stream with nothing else to send"),
    schema::integer<&A::sessions_max>("sessions_max", 1, 1 << 20, kApplies,
                                      "the page's login sessions at once; past it the oldest is ended"),
    schema::integer<&A::session_lifetime_seconds>("session_lifetime_seconds", 60, 30 * 86400, kApplies,
                                                  "a login session (its HttpOnly cookie) lives this long"),
};

// --- [dhcp] and its arrays of tables ---------------------------------------------
using M = dhcp::BootMatch;
constexpr std::array<Key<M>, 5> kMatchKeys{
    schema::integer_list<&M::arch>("arch", 0, 0xffff, kRestart, "option 93 values, any of"),
    schema::boolean<&M::ipxe>("ipxe", kRestart, "iPXE (option 77 \"iPXE\" or option 175) or not"),
    schema::string<&M::vendor_class>("vendor_class", 0, 255, kRestart, "prefix of option 60"),
    schema::parsed<&M::mac, parse_mac_pattern, format_mac_pattern>("mac", "a MAC or a prefix like \"52:54:00\"",
                                                                   kRestart, "client MAC, full or prefix"),
    schema::parsed<&M::subnet, parse_cidr, format_cidr>("subnet", "a CIDR like \"10.0.0.0/24\" with zero host bits",
                                                        kRestart, "the client's address or its relay's"),
};

using B = dhcp::BootRule;
constexpr std::array<Key<B>, 5> kBootKeys{
    schema::string<&B::name>("name", 1, 64, kRestart, "the rule's name in logs; default boot[N]"),
    schema::table<&B::match, kMatchKeys>("match", "every field given must match; empty: all", true),
    schema::string<&B::file>("file", 1, 1024, kRestart, "boot file path, or a URL for UEFI HTTP boot", true),
    schema::parsed<&B::next_server, parse_ipv4, format_ipv4>("next_server", "an IPv4 address", kRestart,
                                                             "siaddr / option 66; default: the server address"),
    schema::parsed_list<&B::params, parse_boot_param, format_boot_param>(
        "params", "printable ASCII strings of 1..255 characters", 0, 16, kRestart,
        "DHCPv6 only: the bootfile parameters (RFC 5970 option 60) sent with the file's URL"),
};

// "range" = [first, last], inside the subnet (checked in check_subnet).
Key<dhcp::SubnetConfig> range_key() {
  using S = dhcp::SubnetConfig;
  Key<S> k{"range", "[\"FIRST\", \"LAST\"] IPv4 addresses", 0, 0, kRestart, true, "the dynamic pool, inclusive"};
  k.read = [](const Key<S>&, const toml::node& node, S& out, schema::Context& ctx, const std::string& path) {
    const toml::array* a = node.as_array();
    if (a == nullptr || a->size() != 2) return ctx.error(node, path, "must be [first, last]");
    Ipv4 ends[2];
    for (std::size_t i = 0; i < 2; ++i) {
      const auto text = a->get(i)->value<std::string>();
      const auto ip = text ? Ipv4::parse(*text) : std::nullopt;
      if (!ip) return ctx.error(node, path, "entries must be IPv4 address strings");
      ends[i] = *ip;
    }
    if (ends[0].value > ends[1].value) return ctx.error(node, path, "the first address is after the last");
    if (ends[1].value - ends[0].value >= (1U << 24)) return ctx.error(node, path, "holds more than 2^24 addresses");
    out.range_first = ends[0];
    out.range_last = ends[1];
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    return fmt::format("[{}, {}]", schema::quote(in.range_first.to_string()), schema::quote(in.range_last.to_string()));
  };
  return k;
}

using N = dhcp::SubnetConfig;
const std::array<Key<N>, 7> kSubnetKeys{
    schema::parsed<&N::cidr, parse_cidr, format_cidr>("cidr", "a CIDR like \"10.0.0.0/24\" with zero host bits",
                                                      kRestart, "the subnet", true),
    range_key(),
    schema::parsed<&N::router, parse_ipv4, format_ipv4>("router", "an IPv4 address", kRestart, "option 3"),
    schema::parsed_list<&N::dns, parse_ipv4, format_ipv4>("dns", "IPv4 address strings", 0, 8, kRestart, "option 6"),
    schema::string<&N::domain>("domain", 1, 255, kRestart, "option 15"),
    schema::integer<&N::lease_seconds>("lease_seconds", 60, std::numeric_limits<std::int32_t>::max(), kRestart,
                                       "option 51"),
    schema::parsed<&N::next_server, parse_ipv4, format_ipv4>("next_server", "an IPv4 address", kRestart,
                                                             "siaddr / option 66 default for this subnet"),
};

using O = dhcp::HostConfig;
constexpr std::array<Key<O>, 3> kHostKeys{
    schema::parsed<&O::mac, parse_mac, format_mac>("mac", "a MAC like \"aa:bb:cc:dd:ee:ff\"", kRestart, "the client",
                                                   true),
    schema::parsed<&O::address, parse_ipv4, format_ipv4>("address", "an IPv4 address", kRestart,
                                                         "its reserved address, inside a [[dhcp.subnet]]", true),
    schema::string<&O::hostname>("hostname", 1, 255, kRestart, "option 12"),
};

using D = dhcp::DhcpConfig;

bool check_boot(B& rule, const toml::table&, D& out, schema::Context&, const std::string&, bool) {
  rule.index = out.boot.size();
  if (rule.name.empty()) rule.name = "boot[" + std::to_string(rule.index) + "]";
  return true;
}

bool check_subnet(N& s, const toml::table& t, D& out, schema::Context& ctx, const std::string& path, bool valid) {
  if (!ctx.read_ok(t, "cidr", path + ".cidr")) return false;
  if (ctx.read_ok(t, "range", path + ".range")) {
    const toml::node& range = *t.get("range");
    if (!s.cidr.contains(s.range_first) || !s.cidr.contains(s.range_last)) {
      ctx.error(range, path + ".range", "is not inside " + s.cidr.to_string());
    } else if (s.cidr.prefix < 31 && (s.range_first == s.cidr.network || s.range_last == s.cidr.broadcast())) {
      ctx.error(range, path + ".range", "must not include the network or broadcast address");
    }
  }
  if (s.router && !s.cidr.contains(*s.router))
    ctx.error(*t.get("router"), path + ".router", "is not inside the subnet");
  for (const N& other : out.subnets)
    if (other.cidr.contains(s.cidr.network) || s.cidr.contains(other.cidr.network))
      ctx.error(t, path + ".cidr", fmt::format("subnet {} overlaps {}", s.cidr.to_string(), other.cidr.to_string()));
  return valid;
}

bool check_host(O& h, const toml::table& t, D& out, schema::Context& ctx, const std::string& path, bool valid) {
  if (!ctx.read_ok(t, "address", path + ".address")) return false;
  const bool inside =
      std::any_of(out.subnets.begin(), out.subnets.end(), [&](const N& s) { return s.cidr.contains(h.address); });
  if (!inside) {
    ctx.error(*t.get("address"), path + ".address",
              fmt::format("{} is not inside any [[dhcp.subnet]]", h.address.to_string()));
    return false;
  }
  if (!valid) return false;
  for (const O& other : out.hosts) {
    if (other.mac == h.mac) ctx.error(t, path + ".mac", fmt::format("MAC {} is reserved twice", h.mac.to_string()));
    if (other.address == h.address)
      ctx.error(t, path + ".address", fmt::format("address {} is reserved twice", h.address.to_string()));
  }
  return true;
}

const std::array<Key<D>, 17> kDhcpKeys{
    schema::parsed<&D::mode, dhcp::parse_mode, format_mode>("mode", "\"proxy\", \"server\" or \"off\"", kRestart,
                                                            "proxyDHCP beside your DHCP server, a full server, or off"),
    schema::string<&D::interface>("interface", 0, 15, kRestart, "the boot network's interface; required when on"),
    schema::parsed<&D::server_address, parse_ipv4, format_ipv4>(
        "server_address", "an IPv4 address", kRestart, "option 54 and default next server; default: the interface's"),
    schema::boolean<&D::shared_port>("shared_port", kRestart,
                                     "proxy mode on the address server's host: bind 67 on 255.255.255.255 only"),
    schema::path<&D::lease_file>(
        "lease_file", kRestart,
        "write-ahead lease journal, fdatasync before each ACK leaves; \"\": <state_dir>/leases"),
    schema::integer<&D::leases_max>("leases_max", 1, 1 << 24, kRestart, "leases held"),
    schema::integer<&D::offer_hold_seconds>("offer_hold_seconds", 1, 3600, kRestart,
                                            "how long an OFFER reserves its address"),
    schema::integer<&D::decline_hold_seconds>("decline_hold_seconds", 1, 86400 * 7, kRestart,
                                              "quarantine of an address after DECLINE"),
    schema::parsed<&D::conflict_check, dhcp::parse_conflict_check, format_conflict_check>(
        "conflict_check", "\"icmp\" or \"none\"", kRestart,
        "ping a fresh address before offering it (icmp needs CAP_NET_RAW)"),
    schema::integer<&D::conflict_check_ms>("conflict_check_ms", 1, 10000, kRestart,
                                           "how long an OFFER waits for an echo"),
    schema::integer<&D::probes_max>("probes_max", 0, 65536, kRestart,
                                    "OFFERs held for a probe at once; more go unprobed"),
    schema::integer<&D::requests_per_second_per_client>("requests_per_second_per_client", 0, 1000000, kRestart,
                                                        "per client MAC; 0: off"),
    schema::integer<&D::rate_limit_burst>("rate_limit_burst", 0, 1000000, kRestart, "0: the same as the rate"),
    schema::integer<&D::rate_limit_clients_max>("rate_limit_clients_max", 1, 1 << 24, kRestart, "MACs tracked"),
    schema::tables<&D::boot, kBootKeys, check_boot>("boot", "boot rules, first match wins; none: the defaults"),
    schema::tables<&D::subnets, kSubnetKeys, check_subnet>("subnet", "server mode's address pools"),
    schema::tables<&D::hosts, kHostKeys, check_host>("host", "server mode's reservations"),
};

// --- [dhcp6] and its arrays of tables --------------------------------------------
// "range" = [first, last] IPv6 addresses; inside the prefix is validate()'s (check_dhcp6).
Key<dhcp6::SubnetConfig> range6_key() {
  using S = dhcp6::SubnetConfig;
  Key<S> k{"range", "[\"FIRST\", \"LAST\"] IPv6 addresses", 0, 0, kRestart, true, "the dynamic pool, inclusive"};
  k.read = [](const Key<S>&, const toml::node& node, S& out, schema::Context& ctx, const std::string& path) {
    const toml::array* a = node.as_array();
    if (a == nullptr || a->size() != 2) return ctx.error(node, path, "must be [first, last]");
    Ipv6 ends[2];
    for (std::size_t i = 0; i < 2; ++i) {
      const auto text = a->get(i)->value<std::string>();
      const auto ip = text ? Ipv6::parse(*text) : std::nullopt;
      if (!ip) return ctx.error(node, path, "entries must be IPv6 address strings");
      ends[i] = *ip;
    }
    out.range_first = ends[0];
    out.range_last = ends[1];
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    return fmt::format("[{}, {}]", schema::quote(in.range_first.to_string()), schema::quote(in.range_last.to_string()));
  };
  return k;
}

using N6 = dhcp6::SubnetConfig;
const std::array<Key<N6>, 5> kSubnet6Keys{
    schema::parsed<&N6::prefix, parse_prefix6, format_prefix6>(
        "prefix", "an IPv6 prefix like \"2001:db8:1::/64\" with zero host bits", kRestart, "the link's prefix", true),
    range6_key(),
    // From 4 s (T1 2 s, T2 3 s; a lab's or a test's quick renewals): below, T1 would round to 0, "client's choice".
    schema::integer<&N6::preferred_seconds>("preferred_seconds", 4, std::numeric_limits<std::int32_t>::max(), kRestart,
                                            "the addresses' preferred lifetime (T1, T2 are 1/2 and 4/5 of it)"),
    schema::integer<&N6::valid_seconds>("valid_seconds", 60, std::numeric_limits<std::int32_t>::max(), kRestart,
                                        "the addresses' valid lifetime"),
    schema::parsed_list<&N6::dns, parse_ipv6, format_ipv6>("dns", "IPv6 address strings", 0, 8, kRestart, "option 23"),
};

using O6 = dhcp6::HostConfig;
constexpr std::array<Key<O6>, 3> kHost6Keys{
    schema::parsed<&O6::mac, parse_mac, format_mac>("mac", "a MAC like \"aa:bb:cc:dd:ee:ff\"", kRestart,
                                                    "the client, by its DUID-LL/LLT or its relay's option 79"),
    schema::parsed<&O6::duid, parse_duid, format_duid>("duid", "hex pairs joined by ':' like \"00:03:00:01:...\"",
                                                       kRestart, "the client, by its DUID"),
    schema::parsed<&O6::address, parse_ipv6, format_ipv6>("address", "an IPv6 address", kRestart,
                                                          "its reserved address, inside a [[dhcp6.subnet]]", true),
};

using D6 = dhcp6::Dhcp6Config;

bool check_subnet6(N6& s, const toml::table& t, D6& out, schema::Context& ctx, const std::string& path, bool valid) {
  if (!valid) return false;
  if (const std::string reason = dhcp6::validate_subnet(s); !reason.empty()) {
    ctx.error(node_or(t, "range"), path + ".range", reason);
    return false;
  }
  for (const N6& other : out.subnets)
    if (other.prefix.contains(s.prefix.network) || s.prefix.contains(other.prefix.network))
      ctx.error(t, path + ".prefix",
                fmt::format("prefix {} overlaps {}", s.prefix.to_string(), other.prefix.to_string()));
  return valid;
}

bool check_host6(O6& h, const toml::table& t, D6& out, schema::Context& ctx, const std::string& path, bool valid) {
  if (!valid) return false;
  if (h.mac.has_value() == h.duid.has_value()) {
    ctx.error(t, path, "needs exactly one of mac and duid");
    return false;
  }
  if (std::none_of(out.subnets.begin(), out.subnets.end(), [&](const N6& s) { return s.prefix.contains(h.address); })) {
    ctx.error(node_or(t, "address"), path + ".address",
              fmt::format("{} is not inside any [[dhcp6.subnet]]", h.address.to_string()));
    return false;
  }
  for (const O6& other : out.hosts)
    if (other.address == h.address)
      ctx.error(t, path + ".address", fmt::format("address {} is reserved twice", h.address.to_string()));
  return true;
}

const std::array<Key<D6>, 10> kDhcp6Keys{
    schema::parsed<&D6::mode, dhcp6::parse_mode, format_mode6>(
        "mode", "\"server\", \"stateless\" or \"off\"", kRestart,
        "a DHCPv6 server, boot options only beside another address server, or off"),
    schema::string<&D6::interface>("interface", 0, 15, kRestart, "the boot network's interface; required when on"),
    schema::parsed<&D6::server_address, parse_ipv6, format_ipv6>(
        "server_address", "an IPv6 address", kRestart, "put into boot URLs (tftp://[ADDR]/NAME); required when on"),
    schema::path<&D6::lease_file>(
        "lease_file", kRestart,
        "server mode's write-ahead lease journal, fdatasync before each Reply leaves; \"\": <state_dir>/leases6"),
    schema::integer<&D6::leases_max>("leases_max", 1, 1 << 24, kRestart, "addresses held"),
    schema::integer<&D6::offer_hold_seconds>("offer_hold_seconds", 1, 3600, kRestart,
                                             "how long an Advertise reserves its address"),
    schema::integer<&D6::decline_hold_seconds>("decline_hold_seconds", 1, 86400 * 7, kRestart,
                                               "quarantine of an address after Decline"),
    schema::boolean<&D6::rapid_commit>("rapid_commit", kRestart,
                                       "answer a Solicit with Rapid Commit by a Reply (two messages, not four)"),
    schema::tables<&D6::subnets, kSubnet6Keys, check_subnet6>("subnet", "server mode's address pools, one per link"),
    schema::tables<&D6::hosts, kHost6Keys, check_host6>("host", "server mode's reservations"),
};

// --- [fleet], [[profile]], [[group]], [[machine]] ---------------------------------
// Client-visible strings the fleet puts into scripts, each of a narrow form.
template <typename Allowed>
std::optional<std::string> word_of(std::string_view t, std::size_t min, std::size_t max, Allowed allowed) {
  if (t.size() < min || t.size() > max || !std::all_of(t.begin(), t.end(), allowed)) return std::nullopt;
  return std::string(t);
}
std::optional<std::string> parse_uuid(std::string_view t) {
  auto uuid = word_of(t, 1, 36, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '-'; });
  if (uuid)
    std::transform(uuid->begin(), uuid->end(), uuid->begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
  return uuid;
}
std::optional<std::string> parse_arch(std::string_view t) {
  const auto lower_word = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_'; };
  const auto slash = t.find('/');
  if (!word_of(t.substr(0, slash), 1, 16, lower_word)) return std::nullopt;
  if (slash != std::string_view::npos && !word_of(t.substr(slash + 1), 1, 16, lower_word)) return std::nullopt;
  return std::string(t);
}
std::optional<std::string> parse_label(std::string_view t) {
  if (!fleet::label_ok(t)) return std::nullopt;
  return std::string(t);
}
std::optional<std::string> parse_hostname(std::string_view t) {
  if (!fleet::hostname_ok(t)) return std::nullopt;
  return std::string(t);
}
std::optional<std::string> parse_text(std::string_view t) {
  if (t.size() > 4096) return std::nullopt;
  return std::string(t);
}
std::optional<Mac> parse_any_mac(std::string_view t) { return Mac::parse_any(t); }
// An iPXE command line the fleet answers as is.
std::optional<std::string> parse_command(std::string_view t) {
  if (t.empty() || t.size() > 256 || t.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  return std::string(t);
}
const std::string& format_text(const std::string& s) { return s; }

using FL = fleet::LocalBoot;
constexpr std::array<Key<FL>, 2> kLocalBootKeys{
    schema::parsed<&FL::pcbios, parse_command, format_text>("pcbios", "one iPXE command line", kApplies,
                                                            "local boot on BIOS for these machines"),
    schema::parsed<&FL::efi, parse_command, format_text>("efi", "one iPXE command line", kApplies,
                                                         "local boot on EFI for these machines"),
};

using FS = fleet::FleetSettings;
constexpr std::array<Key<FS>, 13> kFleetKeys{
    schema::integer<&FS::machines_max>("machines_max", 1, 1 << 24, kRestart,
                                       "machines in the inventory; over it a new machine boots local, counted"),
    schema::integer<&FS::install_attempts_max>(
        "install_attempts_max", 1, 1000, kApplies,
        "install starts without a done before a machine is failed and boots local until reset"),
    schema::string<&FS::local_boot_pcbios>("local_boot_pcbios", 1, 256, kApplies,
                                           "iPXE command that boots the local disk on BIOS"),
    schema::string<&FS::local_boot_efi>("local_boot_efi", 1, 256, kApplies,
                                        "iPXE command that boots the local disk on EFI (exit 1: the next boot entry)"),
    schema::string<&FS::http_base>("http_base", 0, 256, kApplies,
                                   "\"http://HOST[:PORT]\" scripts point at; empty: the request's Host header"),
    schema::integer<&FS::token_lifetime_seconds>(
        "token_lifetime_seconds", 60, 30 * 86400, kApplies,
        "an install's callback token is refused (403) this long after its install boot"),
    schema::integer<&FS::events_max>("events_max", 0, 1024, kApplies,
                                     "installer progress messages kept per machine, the oldest dropped"),
    schema::integer<&FS::event_bytes_max>("event_bytes_max", 1, 65536, kApplies,
                                          "one progress message's bound; over it: 413"),
    schema::string<&FS::failed_script>("failed_script", 0, 65536, kApplies,
                                       "iPXE script a failed machine gets (a hold), after an echo of why; empty: "
                                       "local boot"),
    schema::integer<&FS::timeline_events_max>("timeline_events_max", 0, 4096, kApplies,
                                              "steps of the boot chain kept per machine, the oldest dropped"),
    schema::integer<&FS::stuck_after_seconds>("stuck_after_seconds", 10, 7 * 86400, kApplies,
                                              "no step this long in a boot in progress: the machine is stuck"),
    schema::integer<&FS::rollouts_max>("rollouts_max", 1, 4096, kApplies,
                                       "rollouts (named batches) at once; naming a new one over it: 409"),
    schema::millis<&FS::store_wait>("store_wait_ms", 1, 60000, kApplies,
                                    "how long an API change or a done waits for the machine store's disk; then 503"),
};

using FP = fleet::Profile;
constexpr std::array<Key<FP>, 6> kProfileKeys{
    schema::string<&FP::name>("name", 1, 64, kApplies, "what groups and machines name; \"local\" is reserved", true),
    schema::string<&FP::kernel>("kernel", 0, 4096, kApplies, "kernel URL template (with initrd, cmdline)"),
    schema::parsed_list<&FP::initrd, parse_text, format_text>("initrd", "strings (URL templates)", 0, 16, kApplies,
                                                              "initrd URL templates, each fetched with a name"),
    schema::string<&FP::cmdline>("cmdline", 0, 4096, kApplies, "kernel command line template"),
    schema::string<&FP::script>("script", 0, 65536, kApplies, "a whole iPXE script template, instead of kernel"),
    schema::table<&FP::local_boot, kLocalBootKeys>("local_boot", "{ pcbios = ..., efi = ... } over [fleet]'s", true),
};

using FM = fleet::GroupMatch;
constexpr std::array<Key<FM>, 5> kGroupMatchKeys{
    schema::parsed<&FM::mac, parse_mac_pattern, format_mac_pattern>("mac", "a MAC or a prefix like \"52:54:00\"",
                                                                    kApplies, "full or prefix"),
    schema::parsed<&FM::uuid, parse_uuid, format_text>("uuid", "a UUID like iPXE's ${uuid}", kApplies,
                                                       "the machine's SMBIOS UUID"),
    schema::parsed_list<&FM::arch, parse_arch, format_text>("arch", "\"x86_64\" or \"x86_64/efi\" strings", 0, 16,
                                                            kApplies, "iPXE buildarch, or buildarch/platform, any of"),
    schema::parsed<&FM::subnet, parse_cidr, format_cidr>("subnet", "a CIDR like \"10.0.0.0/24\" with zero host bits",
                                                         kApplies, "the machine's address"),
    schema::parsed_list<&FM::labels, parse_label, format_text>("labels", "label strings", 0, 32, kApplies,
                                                               "labels the machine has, all of"),
};

using FG = fleet::Group;
constexpr std::array<Key<FG>, 5> kGroupKeys{
    schema::string<&FG::name>("name", 1, 64, kApplies, "the group's name in logs; default group[N]"),
    schema::table<&FG::match, kGroupMatchKeys>("match", "every selector given must match; empty: all", true),
    schema::string<&FG::profile>("profile", 1, 64, kApplies, "a [[profile]] name, or \"local\"", true),
    schema::boolean<&FG::once>("once", kApplies, "true: install once, then local; false: install on every boot"),
    schema::table<&FG::local_boot, kLocalBootKeys>(
        "local_boot", "{ pcbios = ..., efi = ... } over the profile's and [fleet]'s", true),
};

using FC = fleet::MachineConfig;
constexpr std::array<Key<FC>, 5> kMachineKeys{
    schema::parsed<&FC::mac, parse_any_mac, format_mac>("mac", "a MAC like \"52:54:00:12:34:56\" (or hyphens)",
                                                        kApplies, "the machine", true),
    schema::parsed<&FC::hostname, parse_hostname, format_text>("hostname", "a host name", kApplies,
                                                               "{{hostname}} in its scripts"),
    schema::parsed_list<&FC::labels, parse_label, format_text>(
        "labels", "label strings", 0, 32, kApplies, "\"rack=a1\", \"gpu\": for group selectors and {{labels}}"),
    schema::string<&FC::profile>("profile", 1, 64, kApplies,
                                 "its explicit next boot: a [[profile]] name or \"local\"; unset: its group's"),
    schema::boolean<&FC::once>("once", kApplies, "with profile: true installs once, then local"),
};

bool known_profile(const Settings& s, std::string_view name) {
  return name == fleet::kLocalProfile ||
         std::any_of(s.profiles.begin(), s.profiles.end(), [&](const FP& p) { return p.name == name; });
}

bool check_profile(FP& p, const toml::table& t, Settings& out, schema::Context& ctx, const std::string& path,
                   bool valid) {
  if (!valid) return false;
  if (p.name == fleet::kLocalProfile) {
    ctx.error(node_or(t, "name"), path + ".name", "\"local\" is reserved for local boot");
    return false;
  }
  if (known_profile(out, p.name)) {
    ctx.error(node_or(t, "name"), path + ".name", fmt::format("profile \"{}\" is declared twice", p.name));
    return false;
  }
  if (const auto e = fleet::check_profile(p)) {
    ctx.error(node_or(t, e->key), path + "." + e->key, e->reason);
    return false;
  }
  return true;
}

bool check_group(FG& g, const toml::table& t, Settings& out, schema::Context& ctx, const std::string& path,
                 bool valid) {
  if (g.name.empty()) g.name = "group[" + std::to_string(out.groups.size()) + "]";
  if (valid && !known_profile(out, g.profile)) {
    ctx.error(node_or(t, "profile"), path + ".profile", fmt::format("no [[profile]] is named \"{}\"", g.profile));
    return false;
  }
  return valid;
}

bool check_machine(FC& m, const toml::table& t, Settings& out, schema::Context& ctx, const std::string& path,
                   bool valid) {
  if (!valid) return false;
  if (m.profile && !known_profile(out, *m.profile)) {
    ctx.error(node_or(t, "profile"), path + ".profile", fmt::format("no [[profile]] is named \"{}\"", *m.profile));
    return false;
  }
  return true;  // a MAC declared twice is check_fleet's (one pass, not one per machine)
}

// --- the top level ----------------------------------------------------------------
using R = Settings;
const std::array<Key<R>, 15> kTopKeys{
    schema::path<&R::root>("root", kRestart, "the boot root served over TFTP and HTTP"),
    schema::integer<&R::threads>("threads", 0, 256, kRestart, "worker threads; 0: one per core"),
    schema::parsed<&R::log_level, parse_log_level, format_log_level>("log_level", "debug, info, warn or error",
                                                                     kApplies, "least level logged"),
    schema::string<&R::user>("user", 0, 64, kRestart, "drop privileges to this user after binding"),
    schema::millis<&R::shutdown_grace>("shutdown_grace_ms", 0, kHour, kApplies,
                                       "SIGTERM: how long transfers in flight may finish"),
    schema::table<&R::tftp, kTftpKeys>("tftp", "TFTP"),
    schema::table<&R::http, kHttpKeys>("http", "HTTP and /metrics"),
    schema::table<&R::api, kApiKeys>("api", "the admin API (JSON over HTTP, bearer tokens)"),
    schema::path<&R::state_dir>("state_dir", kRestart,
                                "the machine store (machines.db) and, by default, the lease file (leases)"),
    schema::table<&R::dhcp, kDhcpKeys>("dhcp", "the DHCP tagger"),
    schema::table<&R::dhcp6, kDhcp6Keys>("dhcp6", "DHCPv6 with the boot options of RFC 5970 ([[dhcp.boot]] rules)"),
    schema::table<&R::fleet, kFleetKeys>("fleet", "per-machine boot: inventory and local boot"),
    schema::tables<&R::profiles, kProfileKeys, check_profile>("profile", "what machines boot: iPXE script templates"),
    schema::tables<&R::groups, kGroupKeys, check_group>("group", "which machines get which profile, first match wins"),
    schema::tables<&R::machines, kMachineKeys, check_machine>("machine", "machines by MAC, with an explicit next boot"),
};

// Checks across the keys of [fleet] and the machines, once they are read.
void check_fleet(const toml::table& document, const Settings& s, schema::Context& ctx) {
  const toml::node* section = document.get("fleet");
  const toml::table* t = section != nullptr ? section->as_table() : nullptr;
  auto error = [&](std::string_view key, std::string reason) {
    ctx.error(t != nullptr ? node_or(*t, key) : static_cast<const toml::node&>(document), "fleet." + std::string(key),
              std::move(reason));
  };
  for (const auto& [key, command] : {std::pair{"local_boot_pcbios", &s.fleet.local_boot_pcbios},
                                     std::pair{"local_boot_efi", &s.fleet.local_boot_efi}})
    if (command->find_first_of("\r\n") != std::string::npos) error(key, "must be one line");
  if (!s.fleet.failed_script.empty() && s.fleet.failed_script.rfind("#!ipxe", 0) != 0)
    error("failed_script", "must start with \"#!ipxe\"");
  const std::string& base = s.fleet.http_base;
  const bool http = base.rfind("http://", 0) == 0 || base.rfind("https://", 0) == 0;
  if (!base.empty() && (!http || base.back() == '/' || std::any_of(base.begin(), base.end(), [](char c) {
        return c <= ' ' || c == '$' || c == 0x7f;
      })))
    error("http_base", "must be empty or \"http://HOST[:PORT][/PATH]\" without a trailing slash, spaces or $");
  // Each [[machine]]'s MAC once: a hash set, since fleets declare thousands.
  if (const toml::array* machines = document["machine"].as_array()) {
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(machines->size());
    for (std::size_t i = 0; i < machines->size(); ++i) {
      const toml::table* m = machines->get(i)->as_table();
      const auto text = m != nullptr ? m->get_as<std::string>("mac") : nullptr;
      const auto mac = text != nullptr ? parse_any_mac(text->get()) : std::nullopt;
      if (mac && !seen.insert(mac->key()).second)
        ctx.error(node_or(*m, "mac"), fmt::format("machine[{}].mac", i),
                  fmt::format("machine {} is declared twice", mac->to_string()));
    }
  }
  if (s.machines.size() > s.fleet.machines_max)
    error("machines_max",
          fmt::format("{} [[machine]] entries do not fit in machines_max {}", s.machines.size(), s.fleet.machines_max));
}

// Checks across the keys of [dhcp], once it is read.
void check_dhcp(const toml::table& document, const D& c, schema::Context& ctx) {
  const toml::node* section = document.get("dhcp");
  if (section == nullptr || !section->is_table()) return;
  const toml::table& t = *section->as_table();
  if (c.mode == dhcp::Mode::server && c.subnets.empty())
    ctx.error(t, "dhcp.mode", "\"server\" needs at least one [[dhcp.subnet]]");
  if (c.mode != dhcp::Mode::off && c.interface.empty()) ctx.error(t, "dhcp.interface", "is required when DHCP is on");
  if (c.shared_port && c.mode != dhcp::Mode::proxy)
    ctx.error(*t.get("shared_port"), "dhcp.shared_port",
              "is for mode \"proxy\" only (a server answers unicast on port 67)");
}

// Checks across the keys of [dhcp6], once it is read.
void check_dhcp6(const toml::table& document, const D6& c, schema::Context& ctx) {
  const toml::node* section = document.get("dhcp6");
  if (section == nullptr || !section->is_table()) return;
  const toml::table& t = *section->as_table();
  if (c.mode != dhcp6::Mode::off && c.interface.empty())
    ctx.error(t, "dhcp6.interface", "is required when DHCPv6 is on");
  if (c.mode != dhcp6::Mode::off && c.server_address.is_unspecified())
    ctx.error(t, "dhcp6.server_address", "is required when DHCPv6 is on (the IPv6 address put into boot URLs)");
  if (c.mode == dhcp6::Mode::server && c.subnets.empty())
    ctx.error(t, "dhcp6.mode", "\"server\" needs at least one [[dhcp6.subnet]]");
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

std::vector<ConfigError> load_config_from(const toml::table& document, const std::string& path, Settings* settings) {
  std::vector<schema::Error> found;
  schema::Context ctx(directory_of(path), &found);
  schema::read_table(schema::keys_of(kTopKeys), document, *settings, ctx, "");
  check_dhcp(document, settings->dhcp, ctx);
  check_dhcp6(document, settings->dhcp6, ctx);
  check_fleet(document, *settings, ctx);
  if (const toml::node* state_dir = document.get("state_dir"); state_dir != nullptr && settings->state_dir.empty())
    ctx.error(*state_dir, "state_dir", "must not be empty (the machine store and the lease file live there)");
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  std::vector<ConfigError> errors;
  for (auto& e : found) errors.push_back(ConfigError{path, e.line, e.key + ": " + e.reason});
  return errors;
}

ConfigError parse_error(const std::string& name, const toml::parse_error& e) {
  return ConfigError{name, static_cast<std::uint32_t>(e.source().begin.line), std::string(e.description())};
}

}  // namespace

std::vector<ConfigError> load_config_file(const std::string& path, Settings* settings) {
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {ConfigError{path, 0, "cannot read the file"}};
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return load_config_text(text, path, settings);
}

std::vector<ConfigError> load_config_text(std::string_view text, std::string name, Settings* settings) {
  // Debian's toml++ 3.3 reaches undefined behaviour on some non-ASCII
  // whitespace (upstream issues 190/295, found by fuzz/config_fuzz): accept
  // ASCII only, which every key and value ringboot knows fits.
  std::uint32_t line = 1;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80)
      return {ConfigError{
          name, line,
          fmt::format("non-ASCII byte 0x{:02x}: ringboot configs are ASCII", static_cast<unsigned char>(c))}};
  }
  try {
    return load_config_from(toml::parse(text, name), name, settings);
  } catch (const toml::parse_error& e) {
    return {parse_error(name, e)};
  }
}

std::vector<ConfigError> apply_setting(std::string_view assignment, Settings* settings) {
  const std::string name = fmt::format("--set {}", assignment);
  const auto equals = assignment.find('=');
  if (equals == std::string_view::npos) return {ConfigError{name, 0, "want KEY=VALUE, e.g. tftp.windowsize_max=16"}};
  std::string key(assignment.substr(0, equals));
  std::string value(assignment.substr(equals + 1));
  while (!key.empty() && key.back() == ' ') key.pop_back();
  const auto dot = key.rfind('.');
  // The same reader as the file: "[tftp]\nwindowsize_max = 16". A value
  // that is not TOML (a bare word) is taken as a string.
  std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
  std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
  for (const std::string& candidate : {value, schema::quote(value)}) {
    const std::string text = (section.empty() ? "" : "[" + section + "]\n") + leaf + " = " + candidate + "\n";
    try {
      toml::table document = toml::parse(text, name);
      Settings next = *settings;
      std::vector<schema::Error> found;
      schema::Context ctx("", &found);
      schema::read_table(schema::keys_of(kTopKeys), document, next, ctx, "");
      if (!found.empty()) return {ConfigError{name, 0, found[0].key + ": " + found[0].reason}};
      *settings = std::move(next);
      return {};
    } catch (const toml::parse_error&) {
    }
  }
  return {ConfigError{name, 0, "the value is not TOML"}};
}

namespace {
std::string under_state_dir(const Settings& s, std::string_view name) {
  std::string path = s.state_dir;
  if (path.empty() || path.back() != '/') path += '/';
  return path + std::string(name);
}
}  // namespace

std::vector<ConfigError> apply_state_dir(Settings* settings) {
  if (settings->dhcp.lease_file.empty()) settings->dhcp.lease_file = under_state_dir(*settings, "leases");
  if (settings->dhcp6.lease_file.empty()) settings->dhcp6.lease_file = under_state_dir(*settings, "leases6");
  std::vector<ConfigError> errors;
  // Each compaction rewrites its file from one table: one file for both would lose the other's leases.
  if (settings->dhcp.mode == dhcp::Mode::server && settings->dhcp6.mode == dhcp6::Mode::server &&
      settings->dhcp.lease_file == settings->dhcp6.lease_file)
    errors.push_back(ConfigError{settings->config_file, 0,
                                 fmt::format("dhcp.lease_file and dhcp6.lease_file are both \"{}\": each family "
                                             "needs a journal of its own",
                                             settings->dhcp.lease_file)});
  return errors;
}

std::string machine_store_path(const Settings& settings) { return under_state_dir(settings, "machines.db"); }

std::vector<ConfigError> load_api_tokens(Settings* settings, std::vector<std::string>* warnings) {
  ApiSettings& api = settings->api;
  api.tokens.clear();
  if (api.tokens_file.empty()) return {};
  const std::string& path = api.tokens_file;
  std::vector<ConfigError> errors;
  if (!api.listen.empty()) {
    // One port of one family, where either side is the wildcard or both the
    // same address: the two would be one listener. IPv6 sockets are
    // IPV6_V6ONLY, so 0.0.0.0:P and [::1]:P do not meet.
    auto overlaps = [&](const std::vector<Endpoint>& others) {
      for (const Endpoint& a : api.listen)
        for (const Endpoint& o : others)
          if (o.port == a.port && o.ip.is_v6() == a.ip.is_v6() &&
              (o.ip == a.ip || o.ip.is_unspecified() || a.ip.is_unspecified()))
            return true;
      return false;
    };
    const std::string where = settings->config_file.empty() ? "api.listen" : settings->config_file;
    if (overlaps(settings->http.listen))
      errors.push_back(ConfigError{where, 0, "api.listen: shares its port with http.listen: give the API its own"});
    if (overlaps(settings->http.metrics_listen))
      errors.push_back(
          ConfigError{where, 0, "api.listen: shares its port with http.metrics_listen: give the API its own"});
  }
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {ConfigError{path, 0, "api.tokens_file: cannot read the file"}};
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  api::ParsedTokens parsed = api::parse_tokens(text);
  for (const api::TokenFileError& e : parsed.errors) errors.push_back(ConfigError{path, e.line, e.reason});
  if (!errors.empty()) return errors;
  api.tokens = std::move(parsed.tokens);
  std::error_code ec;
  const std::filesystem::perms perms = std::filesystem::status(path, ec).permissions();
  if (!ec && (perms & (std::filesystem::perms::others_read | std::filesystem::perms::others_write)) !=
                 std::filesystem::perms::none)
    warnings->push_back(fmt::format(
        "{}: api.tokens_file is readable by others (mode {:04o}): chmod 0640 and chown root:ringboot (the --user)",
        path, static_cast<unsigned>(perms) & 07777));
  return errors;
}

std::string dump_config(const Settings& settings) {
  std::string out = fmt::format(
      "# ringboot's effective config: defaults, then the config file, then flags.\n"
      "# Every key with its help; --check-config accepts this file as it is.\n");
  schema::write_table(schema::keys_of(kTopKeys), settings, "", "", out);
  return out;
}

std::vector<std::string> restart_keys_changed(const Settings& before, const Settings& after) {
  std::vector<std::string> changed;
  auto compare = [&](auto keys, const auto& a, const auto& b, std::string_view prefix) {
    for (const auto& k : keys)
      if (k.reload == Reload::restart && k.write != nullptr && k.write(k, a) != k.write(k, b))
        changed.push_back(schema::join_path(prefix, k.name));
  };
  compare(schema::keys_of(kTopKeys), before, after, "");
  compare(schema::keys_of(kTftpKeys), before.tftp, after.tftp, "tftp");
  compare(schema::keys_of(kHttpKeys), before.http, after.http, "http");
  compare(schema::keys_of(kApiKeys), before.api, after.api, "api");
  compare(schema::keys_of(kDhcpKeys), before.dhcp, after.dhcp, "dhcp");
  compare(schema::keys_of(kDhcp6Keys), before.dhcp6, after.dhcp6, "dhcp6");
  compare(schema::keys_of(kFleetKeys), before.fleet, after.fleet, "fleet");
  std::string a, b;
  for (const auto& k : kDhcpKeys)
    if (k.write_tables != nullptr) {
      k.write_tables(k, before.dhcp, "dhcp", a);
      k.write_tables(k, after.dhcp, "dhcp", b);
    }
  if (a != b) changed.push_back("dhcp.boot/subnet/host");
  a.clear();
  b.clear();
  for (const auto& k : kDhcp6Keys)
    if (k.write_tables != nullptr) {
      k.write_tables(k, before.dhcp6, "dhcp6", a);
      k.write_tables(k, after.dhcp6, "dhcp6", b);
    }
  if (a != b) changed.push_back("dhcp6.subnet/host");
  return changed;
}

}  // namespace ringboot
