// The DHCPv6 server (RFC 8415) with the boot options of RFC 5970: fed
// (datagram, where it came from, now), returns the reply to send, if any.
// Pure: the glue owns the socket (UDP 547, ff02::1:2 joined) and the clock.
//
// Modes: server hands out IA_NA addresses from a pool per prefix (and
// reservations by DUID or MAC) with the boot options; stateless answers
// Information-Request, and a boot client's Solicit with an Advertise that
// carries only the boot options (beside an address server, as proxyDHCP
// does for IPv4). The [[dhcp.boot]] rules of IPv4 choose the file: a plain
// name becomes tftp://[server_address]/NAME, a URL is sent as written.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/journal_sink.h"
#include "base/metrics.h"
#include "dhcp/rules.h"
#include "dhcp6/packet.h"

namespace ringboot::dhcp6 {

enum class Mode : std::uint8_t { off, stateless, server };
std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view text);

struct Prefix {
  Ipv6 network;
  std::uint8_t length = 64;
  bool contains(const Ipv6& ip) const;
  std::string to_string() const;
  // "2001:db8:1::/64"; host bits must be zero.
  static std::optional<Prefix> parse(std::string_view text);
};

struct SubnetConfig {
  Prefix prefix;
  Ipv6 range_first, range_last;  // inclusive, within prefix, differing only in the last 64 bits
  std::uint32_t preferred_seconds = 3600;
  std::uint32_t valid_seconds = 7200;
  std::vector<Ipv6> dns;  // option 23
};

struct HostConfig {  // a reservation: by MAC (DUID-LL/LLT or relay option 79) or by DUID
  std::optional<Mac> mac;
  std::optional<Duid> duid;  // given: by DUID, else by MAC
  Ipv6 address;
};

struct Dhcp6Config {
  Mode mode = Mode::off;
  std::string interface;
  Ipv6 server_address;           // put into tftp:// and default http:// boot URLs
  std::uint16_t http_port = 80;  // the default rules' http://[server_address]:PORT/boot.ipxe
  Duid server_duid;              // DUID-LL of the interface, filled in by the glue
  std::string lease_file;        // server mode's journal; the glue's (the engine takes a JournalSink)
  std::size_t leases_max = 65536;
  std::uint32_t offer_hold_seconds = 30;     // an Advertise reserves its address this long
  std::uint32_t decline_hold_seconds = 600;  // quarantine after Decline
  bool rapid_commit = true;                  // answer a Solicit with Rapid Commit by Reply
  std::vector<dhcp::BootRule> boot;          // the [[dhcp.boot]] rules; none: the defaults
  std::vector<SubnetConfig> subnets;
  std::vector<HostConfig> hosts;
};

// Checks what the TOML types cannot: ranges inside their prefix, hosts
// inside a prefix, a server address. "" when valid, else the reason.
std::string validate_subnet(const SubnetConfig& subnet);
std::string validate(const Dhcp6Config& config);

struct Received {
  Endpoint from;  // the client's link-local address and port 546, or the relay's and 547
};

// What the glue's send pool copies in one slot (io::UdpSendPool::kInlineBytes,
// asserted there); under the 1452 of a 1500-byte link. A bigger reply (deep
// relays with long interface-ids, a long DUID, many DNS servers) is dropped
// and counted as "reply too large"; an address it held stays held for that
// client until it expires.
inline constexpr std::size_t kReplyBytesMax = 1024;

struct Reply {
  std::array<std::uint8_t, kReplyBytesMax> buffer{};
  std::size_t size = 0;
  Endpoint to;
  MessageType type = MessageType::none;
  Bytes bytes() const { return Bytes(buffer.data(), size); }
};

// What happened to one datagram, for the log line.
struct Decision {
  MessageType received = MessageType::none;
  MessageType sent = MessageType::none;
  std::optional<Mac> mac;
  std::string duid;  // the client's, as hex pairs
  std::optional<std::uint16_t> arch;
  bool ipxe = false;
  const dhcp::BootRule* rule = nullptr;
  std::string url;  // option 59 sent, "" when none
  Ipv6 address;     // the IA_NA address handed out or given back
  bool relayed = false;
  std::string_view drop_reason;   // why there is no reply; empty when answered
  std::string_view vendor_class;  // client text: escape it
  std::string_view user_class;
};
// "SOLICIT->ADVERTISE mac=52:54:00:12:34:56 duid=00:03:00:01:... arch=7 client=firmware rule=uefi-x64
//  url=tftp://[2001:db8::1]/ipxe.efi address=2001:db8::100 relayed=false": client strings escaped.
std::string format_decision(const Decision& decision);

struct Counters {
  Counter solicit, request, confirm, renew, rebind, release, decline, information_request;
  Counter advertise, reply;
  std::array<Counter, kParseErrorCount> malformed_by_reason{};
  Counter dropped;         // valid messages not answered: not ours, no subnet, no client id...
  Counter pool_exhausted;  // a Solicit or Request that got NoAddrsAvail
  Counter relayed;         // client messages that came through a relay
  Counter journal_lines;   // lease journal lines appended
  Gauge leases_in_use;
};
// The ringboot_dhcp6_* families.
const MetricTable<Counters>& metric_table();

enum class LeaseState : std::uint8_t { offered, bound, declined };

struct Lease {
  Duid duid;  // empty for a declined address
  std::uint32_t iaid = 0;
  Ipv6 address;
  LeaseState state = LeaseState::offered;
  std::int64_t expires_unix = 0;
};

// A lease journal record: bound (with its owner), released, or declined.
struct JournalRecord {
  enum class Verb : std::uint8_t { bind, release, decline };
  Verb verb = Verb::bind;
  Ipv6 address;
  Duid duid;  // bind and release; empty for decline
  std::uint32_t iaid = 0;
  std::int64_t expires_unix = 0;  // bind and decline
};
// One journal line, no newline, the v4 journal's shape with a "6" verb:
// "bind6 2001:db8::100 00:03:00:01:52:54:00:12:34:56 1 1700003600",
// "release6 2001:db8::100 00:03:00:01:52:54:00:12:34:56 1 0", "decline6 2001:db8::100 - 0 1700000600".
std::string to_journal_line(const JournalRecord& record);
// Tolerates a trailing "\r"; nullopt for anything else malformed (a torn last line).
std::optional<JournalRecord> parse_journal_line(std::string_view line);

class Engine {
 public:
  explicit Engine(const Dhcp6Config& config);

  // Every binding made, extended, released or declined is appended to
  // `journal` before the reply that reveals it is returned (offers are not).
  std::optional<Reply> handle(Bytes datagram, const Received& rx, std::int64_t now_unix, JournalSink& journal);
  // Periodic (e.g. 1 s): expires offers, bindings and quarantines; updates leases_in_use.
  void tick(std::int64_t now_unix);
  // Replays journal records in order (the last one wins for an address);
  // tick() afterwards drops what has expired since.
  ReplayStats replay(std::string_view journal_text);
  // Bound and declined records, one journal line each: what a compacted journal holds.
  std::vector<std::string> snapshot_lines() const;

  const Decision& last_decision() const { return decision_; }
  const Counters& counters() const { return counters_; }
  const Dhcp6Config& config() const { return config_; }
  std::size_t lease_count() const { return leases_.size(); }
  const Lease* find(const Ipv6& address) const;

 private:
  struct AddressHash {
    std::size_t operator()(const Ipv6& ip) const;
  };
  std::optional<Reply> answer(const Received& rx, std::int64_t now, JournalSink& journal);
  std::optional<std::size_t> subnet_for(const Message& m) const;
  std::optional<Ipv6> reservation(const Message& m) const;
  // An address for (duid, iaid) in the subnet: its binding, its reservation,
  // a free address it asked for, else the next free one. nullopt: exhausted or the table is full.
  std::optional<Ipv6> pick(const Message& m, std::size_t subnet, std::int64_t now);
  Lease* binding(const Message& m);
  void hold(const Duid& duid, std::uint32_t iaid, const Ipv6& address, LeaseState state, std::int64_t expires);
  bool apply(const JournalRecord& record);
  void record(JournalSink& journal, JournalRecord::Verb verb, const Lease& lease);
  void forget(const Ipv6& address);
  void boot_options(MessageBuilder& b, const Message& m);
  void ia_na(MessageBuilder& b, const Message& m, const Ipv6* address, std::size_t subnet, Status status,
             std::string_view text);
  std::optional<Reply> finish(MessageBuilder& b, MessageType type);
  std::nullopt_t drop(std::string_view reason);

  Dhcp6Config config_;
  std::vector<dhcp::BootRule> rules_;
  std::unordered_map<Ipv6, Lease, AddressHash> leases_;
  std::unordered_map<std::string, Ipv6> by_client_;                     // DUID bytes + IAID -> address
  std::unordered_map<Ipv6, std::size_t, AddressHash> host_by_address_;  // reserved address -> its [[dhcp6.host]]
  std::vector<std::uint64_t> cursor_;                                   // per subnet: the next offset to try
  Counters counters_;
  Decision decision_;
  Message message_;
  std::optional<Mac> client_mac_;  // this message's client, by client_mac()
  Reply reply_;
};

}  // namespace ringboot::dhcp6
