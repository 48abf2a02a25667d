// DHCPv6 wire format (RFC 8415) with the network boot options (RFC 5970): a
// pure parser of client messages, relayed or not, and a reply builder. The
// parser copies what it keeps into a Message, so a Message outlives the
// datagram; it never allocates and never throws.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/mac.h"

namespace ringboot::dhcp6 {

inline constexpr std::uint16_t kClientPort = 546;
inline constexpr std::uint16_t kServerPort = 547;
// ff02::1:2, All_DHCP_Relay_Agents_and_Servers.
inline constexpr std::array<std::uint8_t, 16> kAllServersAndRelays{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                                   0,    0,    0, 0, 0, 1, 0, 2};
inline constexpr std::size_t kDatagramBytesMax = 4096;  // larger datagrams are dropped unparsed
inline constexpr std::size_t kRelayDepthMax = 8;        // RFC 8415 7.6 HOP_COUNT_LIMIT
inline constexpr std::size_t kDuidBytesMax = 130;       // RFC 8415 11.1: type + 128
inline constexpr std::size_t kInterfaceIdBytesMax = 64;
inline constexpr std::size_t kIaAddressesMax = 8;      // addresses kept from the first IA_NA
inline constexpr std::size_t kRequestedMax = 32;       // option codes kept from the ORO
inline constexpr std::size_t kTextBytesMax = 128;      // user and vendor class data kept
inline constexpr std::uint32_t kEnterpriseUefi = 343;  // the enterprise EDK2 puts in option 16

enum class MessageType : std::uint8_t {
  none = 0,
  solicit = 1,
  advertise = 2,
  request = 3,
  confirm = 4,
  renew = 5,
  rebind = 6,
  reply = 7,
  release = 8,
  decline = 9,
  reconfigure = 10,
  information_request = 11,
  relay_forw = 12,
  relay_repl = 13,
};
std::string_view to_string(MessageType type);

namespace option {
inline constexpr std::uint16_t kClientId = 1;
inline constexpr std::uint16_t kServerId = 2;
inline constexpr std::uint16_t kIaNa = 3;
inline constexpr std::uint16_t kIaAddr = 5;
inline constexpr std::uint16_t kOro = 6;
inline constexpr std::uint16_t kPreference = 7;
inline constexpr std::uint16_t kElapsedTime = 8;
inline constexpr std::uint16_t kRelayMsg = 9;
inline constexpr std::uint16_t kStatusCode = 13;
inline constexpr std::uint16_t kRapidCommit = 14;
inline constexpr std::uint16_t kUserClass = 15;
inline constexpr std::uint16_t kVendorClass = 16;
inline constexpr std::uint16_t kInterfaceId = 18;
inline constexpr std::uint16_t kDnsServers = 23;
inline constexpr std::uint16_t kBootfileUrl = 59;
inline constexpr std::uint16_t kBootfileParam = 60;
inline constexpr std::uint16_t kClientArch = 61;
inline constexpr std::uint16_t kNii = 62;
inline constexpr std::uint16_t kClientLinkLayer = 79;  // RFC 6939, added by a relay
}  // namespace option

enum class Status : std::uint16_t {
  success = 0,
  unspec_fail = 1,
  no_addrs_avail = 2,
  no_binding = 3,
  not_on_link = 4,
  use_multicast = 5,
};

// Why a datagram was dropped; each reason is its own counter.
enum class ParseError : std::uint8_t {
  none = 0,
  truncated,           // shorter than a header (4 bytes, 34 for a relay message)
  too_large,           // longer than kDatagramBytesMax
  bad_option_length,   // an option runs past its container, or a fixed-size option has the wrong size
  relay_too_deep,      // more than kRelayDepthMax Relay-Forward levels
  no_relay_message,    // a Relay-Forward without its Relay Message option
  not_client_message,  // Advertise, Reply, Reconfigure, Relay-Reply, or an unknown type
};
inline constexpr std::size_t kParseErrorCount = 7;  // kept by hand; packet.cc checks it
std::string_view to_string(ParseError error);

// A DUID as received (RFC 8415 11): at most kDuidBytesMax bytes.
struct Duid {
  std::array<std::uint8_t, kDuidBytesMax> bytes{};
  std::uint8_t size = 0;
  Bytes view() const { return Bytes(bytes.data(), size); }
  bool empty() const { return size == 0; }
  // The Ethernet address of a DUID-LLT (type 1) or DUID-LL (type 3) of hardware type 1.
  std::optional<Mac> mac() const;
  // Lower-case hex pairs joined by ':' (how dnsmasq and Kea print a DUID).
  std::string to_string() const;
  // The same text back; nullopt unless 1 to kDuidBytesMax hex pairs.
  static std::optional<Duid> parse(std::string_view text);
  static Duid of(Bytes data);  // truncated to kDuidBytesMax
  friend bool operator==(const Duid& a, const Duid& b) {
    return a.size == b.size && std::equal(a.bytes.begin(), a.bytes.begin() + a.size, b.bytes.begin());
  }
};

// One Relay-Forward level around the client's message, outermost first in Message::relays.
struct RelayHop {
  std::uint8_t hop_count = 0;
  Ipv6 link_address;  // the link the client is on (may be :: with an interface-id)
  Ipv6 peer_address;  // where the relay heard the message from
  std::array<std::uint8_t, kInterfaceIdBytesMax> interface_id{};
  std::uint8_t interface_id_size = 0;
  bool has_interface_id = false;
  std::optional<Mac> client_link_layer;  // option 79 with hardware type 1
  Bytes interface_id_view() const { return Bytes(interface_id.data(), interface_id_size); }
};

// The client's message (the innermost one of a relayed datagram). Of the
// options, what a server needs is kept: the first IA_NA (IA_TA and IA_PD are
// not served) with up to kIaAddressesMax addresses, the boot options.
struct Message {
  MessageType type = MessageType::none;
  std::uint32_t xid = 0;  // 24 bits
  Duid client_id;
  Duid server_id;  // empty: absent
  bool has_ia_na = false;
  std::uint32_t iaid = 0;
  std::uint32_t t1 = 0, t2 = 0;
  std::array<Ipv6, kIaAddressesMax> ia_addresses{};
  std::uint8_t ia_address_count = 0;
  std::array<std::uint16_t, kRequestedMax> requested{};  // option 6
  std::uint8_t requested_count = 0;
  bool rapid_commit = false;
  std::optional<std::uint16_t> arch;               // option 61, the first value
  std::optional<std::array<std::uint8_t, 3>> nii;  // option 62
  std::optional<std::uint16_t> elapsed;            // option 8, hundredths of a second
  std::uint32_t vendor_enterprise = 0;             // option 16
  std::array<RelayHop, kRelayDepthMax> relays{};
  std::uint8_t relay_count = 0;

  // Option 15's first class, option 16's first data; client text: escape it before it reaches a log.
  std::string_view user_class() const { return {user_class_.data(), user_class_size_}; }
  std::string_view vendor_class() const { return {vendor_class_.data(), vendor_class_size_}; }
  bool asked(std::uint16_t code) const;
  bool is_ipxe() const { return user_class() == "iPXE"; }
  // The client's Ethernet address: its DUID's, else the innermost relay's option 79.
  std::optional<Mac> mac() const;
  bool relayed() const { return relay_count > 0; }

 private:
  friend struct MessageParser;
  std::array<char, kTextBytesMax> user_class_{};
  std::array<char, kTextBytesMax> vendor_class_{};
  std::uint8_t user_class_size_ = 0;
  std::uint8_t vendor_class_size_ = 0;
};

// The Ethernet address in a modified EUI-64 interface identifier
// (fe80::5054:ff:fe12:3456 -> 52:54:00:12:34:56), as firmware forms its
// link-local address; nullopt for any other (a stable-privacy one).
std::optional<Mac> mac_from_eui64(const Ipv6& address);
// Who the client is: its DUID's MAC, else the innermost relay's option 79,
// else the EUI-64 of its link-local address (`from` on our link, the
// innermost relay's peer address through relays). EDK2 sends a DUID-UUID,
// which names no MAC.
std::optional<Mac> client_mac(const Message& m, const IpAddress& from);

// Parses a datagram sent to a server: a client message or Relay-Forwards
// around one. Options a server ignores are skipped, but every option's
// length is checked against its container.
ParseError parse_message(Bytes datagram, Message& out);

// Builds a message into a caller buffer. Nested options (an IA_NA holding an
// IAADDR holding a status) are opened with begin() and closed with end().
class MessageBuilder {
 public:
  explicit MessageBuilder(MutableBytes buffer) : writer_(buffer) {}
  // The relay headers to wrap the reply in, outermost first (Relay-Reply,
  // the interface-id echoed); then the reply's own header. Call once, first.
  void header(MessageType type, std::uint32_t xid, const Message& request);
  void option(std::uint16_t code, Bytes value);
  void option_text(std::uint16_t code, std::string_view text) { option(code, as_bytes(text)); }
  void status(Status status, std::string_view message);
  std::size_t begin(std::uint16_t code);  // returns the option's mark
  void end(std::size_t mark);
  void u16(std::uint16_t v) { writer_.u16(v); }
  void u32(std::uint32_t v) { writer_.u32(v); }
  void address(const Ipv6& ip) { writer_.bytes(Bytes(ip.bytes.data(), ip.bytes.size())); }
  void text(std::string_view s) { writer_.str(s); }
  // Closes the relay levels; nullopt when it did not fit.
  std::optional<Bytes> finish();

 private:
  ByteWriter writer_;
  std::array<std::size_t, kRelayDepthMax> relay_marks_{};
  std::size_t relay_count_ = 0;
};

}  // namespace ringboot::dhcp6
