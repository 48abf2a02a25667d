// The DHCP tagger: fed (datagram, where it came from, now), returns the reply
// to send, if any. Pure: the glue owns sockets, the clock and the lease file.
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
#include "dhcp/config.h"
#include "dhcp/counters.h"
#include "dhcp/lease.h"
#include "dhcp/packet.h"
#include "dhcp/rules.h"

namespace ringboot::dhcp {

struct Received {
  Endpoint from;                           // source address and port of the datagram
  std::uint16_t local_port = kServerPort;  // 67, or 4011 for the PXE boot server port
  Ipv4 interface_address;                  // address of the interface it came in on
};

inline constexpr std::size_t kReplyBytesMax = 1500 - 28;

struct Reply {
  std::array<std::uint8_t, kReplyBytesMax> buffer{};
  std::size_t size = 0;
  Endpoint to;
  // true: send to 255.255.255.255 (SO_BROADCAST) out of the receiving interface.
  bool broadcast = false;
  MessageType type = MessageType::none;
  // Conflict check (conflict_check = "icmp"): non-zero on an OFFER of an
  // address this client never held. Send an ICMP echo there first; send the
  // OFFER only when no reply comes within conflict_check_ms. On a reply:
  // Engine::conflict(probe), then handle() the same DISCOVER again (retry).
  Ipv4 probe;
  Bytes bytes() const { return Bytes(buffer.data(), size); }
};

// Write-ahead lease journal (base/journal_sink.h). append() is called before
// handle() returns the ACK it belongs to; the glue must make the line durable
// (or order the write before the send, e.g. a linked SQE) before the ACK goes out.
using ringboot::JournalSink;

// What happened to one datagram, for the log line.
struct Decision {
  MessageType received = MessageType::none;
  MessageType sent = MessageType::none;  // none: no reply
  Mac mac;
  std::optional<std::uint16_t> arch;
  bool ipxe = false;
  ArchClass arch_class = ArchClass::other;
  const BootRule* rule = nullptr;  // nullptr: no rule matched (or not looked at)
  std::string_view file;
  Ipv4 address;                  // yiaddr handed out, or the address released/declined
  std::string_view drop_reason;  // why there is no reply; empty when answered
  // Client-supplied (options 12, 60, 77): logged escaped, never trusted.
  std::string_view hostname;
  std::string_view vendor_class;
  std::string_view user_class;
  std::string uuid;      // option 97 as text (Packet::uuid_text), "" when absent
  Ipv4 relay;            // giaddr; 0: on the server's link
  bool probing = false;  // the OFFER waits for a conflict check of `address`
};
// "DISCOVER->OFFER mac=52:54:00:12:34:56 arch=7 client=firmware rule=boot[2] file=ipxe.efi address=10.0.0.100
//  vendor_class="PXEClient:Arch:00007:UNDI:003016"": the fields of a log line, client strings escaped.
std::string format_decision(const Decision& decision);
// The same into `out` (cleared first): a caller formatting every decision
// keeps one buffer and allocates nothing once it is large enough.
void format_decision_to(std::string& out, const Decision& decision);

class Engine {
 public:
  // Copies config. The lease table is empty: replay the journal into leases() first.
  explicit Engine(const DhcpConfig& config);

  // retry: the same datagram again after a conflict; not counted as received twice.
  std::optional<Reply> handle(Bytes datagram, const Received& rx, std::int64_t now_unix, JournalSink& journal,
                              bool retry = false);

  // A conflict check got an answer from `address`: counted, and quarantined
  // like a DECLINE (journaled) so the next DISCOVER is offered another one.
  // False when nothing changed (bound meanwhile, or already quarantined).
  bool conflict(Ipv4 address, std::int64_t now_unix, JournalSink& journal);
  enum class ProbeOutcome : std::uint8_t { clear, conflict, skipped, failed };
  // The glue's count of conflict checks: clear (no reply, OFFER sent),
  // conflict, skipped (probes_max held already: offered unprobed), failed
  // (the echo could not be sent: offered unprobed). Every outcome but
  // conflict sends the held OFFER and counts it as sent.
  void count_probe(ProbeOutcome outcome);
  void count_rate_limited() { counters_.rate_limited.inc(); }
  void count_unsent() { counters_.unsent.inc(); }
  const Decision& last_decision() const { return decision_; }

  // Periodic (e.g. 1 s): expires offers and quarantines, updates leases_in_use.
  void tick(std::int64_t now_unix);

  LeaseTable& leases() { return leases_; }
  const LeaseTable& leases() const { return leases_; }
  const DhcpCounters& counters() const { return counters_; }
  const DhcpConfig& config() const { return config_; }
  std::span<const BootRule> rules() const { return rules_; }

 private:
  std::optional<Reply> proxy(const Received& rx, Ipv4 server_ip, MessageType type);
  std::optional<Reply> server(const Received& rx, Ipv4 server_ip, MessageType type, std::int64_t now,
                              JournalSink& journal);
  std::optional<Reply> server_reply(MessageType type, Ipv4 server_ip, std::size_t subnet, Ipv4 yiaddr);
  std::optional<Reply> nak(Ipv4 server_ip);
  std::optional<Reply> finish(PacketBuilder& builder, Reply& reply, MessageType type);
  std::nullopt_t drop(std::string_view reason);
  const BootRule* match(Ipv4 client_address);
  void record(JournalSink& sink, const Lease& lease);

  DhcpConfig config_;
  std::vector<BootRule> rules_;
  LeaseTable leases_;
  std::unordered_map<std::uint64_t, std::size_t> host_by_mac_;
  DhcpCounters counters_;
  Decision decision_;
  Packet packet_;  // ~5 KiB, reused for every datagram
};

}  // namespace ringboot::dhcp
