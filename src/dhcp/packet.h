// BOOTP/DHCP wire format (RFC 951, 2131, 2132, 3396): a pure parser and a
// reply builder. The parser copies what it keeps, so a Packet outlives the
// datagram; it never allocates and never throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/mac.h"

namespace ringboot::dhcp {

inline constexpr std::uint16_t kServerPort = 67;
inline constexpr Ipv4 kBroadcast{0xffffffff};
inline constexpr std::uint16_t kClientPort = 68;
inline constexpr std::uint16_t kPxePort = 4011;

inline constexpr std::uint8_t kBootRequest = 1;
inline constexpr std::uint8_t kBootReply = 2;
inline constexpr std::uint16_t kFlagBroadcast = 0x8000;
inline constexpr std::size_t kFixedHeaderBytes = 236;             // op .. file
inline constexpr std::size_t kMinimumMessageBytes = 300;          // RFC 951 BOOTP minimum
inline constexpr std::size_t kDefaultMessageBytesMax = 576 - 28;  // RFC 2131 minimum IP datagram minus IP+UDP headers
// Largest datagram we parse; option data is copied into a buffer this big.
inline constexpr std::size_t kDatagramBytesMax = 4096;

enum class MessageType : std::uint8_t {
  none = 0,  // plain BOOTP, or a reply decision of "no reply"
  discover = 1,
  offer = 2,
  request = 3,
  decline = 4,
  ack = 5,
  nak = 6,
  release = 7,
  inform = 8,
};
std::string_view to_string(MessageType type);

namespace option {
inline constexpr std::uint8_t kPad = 0;
inline constexpr std::uint8_t kSubnetMask = 1;
inline constexpr std::uint8_t kRouter = 3;
inline constexpr std::uint8_t kDns = 6;
inline constexpr std::uint8_t kHostname = 12;
inline constexpr std::uint8_t kDomainName = 15;
inline constexpr std::uint8_t kVendorSpecific = 43;
inline constexpr std::uint8_t kRequestedIp = 50;
inline constexpr std::uint8_t kLeaseTime = 51;
inline constexpr std::uint8_t kOverload = 52;
inline constexpr std::uint8_t kMessageType = 53;
inline constexpr std::uint8_t kServerId = 54;
inline constexpr std::uint8_t kParameterRequestList = 55;
inline constexpr std::uint8_t kMessage = 56;
inline constexpr std::uint8_t kMaxMessageSize = 57;
inline constexpr std::uint8_t kRenewalTime = 58;
inline constexpr std::uint8_t kRebindingTime = 59;
inline constexpr std::uint8_t kVendorClass = 60;
inline constexpr std::uint8_t kClientId = 61;
inline constexpr std::uint8_t kTftpServerName = 66;
inline constexpr std::uint8_t kBootfileName = 67;
inline constexpr std::uint8_t kUserClass = 77;
inline constexpr std::uint8_t kClientArch = 93;
inline constexpr std::uint8_t kClientNdi = 94;
inline constexpr std::uint8_t kClientUuid = 97;
inline constexpr std::uint8_t kIpxeEncapsulated = 175;
inline constexpr std::uint8_t kIpxeNoPxeDhcp = 176;  // sub-option of 175
inline constexpr std::uint8_t kEnd = 255;
}  // namespace option

// Why a datagram was dropped; each reason is its own counter.
enum class ParseError : std::uint8_t {
  none = 0,
  truncated,          // shorter than the fixed header + cookie
  too_large,          // longer than kDatagramBytesMax
  bad_cookie,         // magic cookie missing or wrong
  bad_option_length,  // a TLV runs past its field, or a fixed-size option has the wrong size
  bad_overload,       // option 52 with a value other than 1, 2, 3
  hlen,               // hlen > 16
  not_request,        // op is not BOOTREQUEST
};
inline constexpr std::size_t kParseErrorCount = 8;  // kept by hand; packet.cc checks it
std::string_view to_string(ParseError error);

using ringboot::Mac;

class Packet {
 public:
  // Fixed header, host byte order.
  std::uint8_t op = 0;
  std::uint8_t htype = 0;
  std::uint8_t hlen = 0;
  std::uint8_t hops = 0;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  std::uint16_t flags = 0;
  Ipv4 ciaddr, yiaddr, siaddr, giaddr;
  std::array<std::uint8_t, 16> chaddr{};
  std::array<std::uint8_t, 64> sname_field{};
  std::array<std::uint8_t, 128> file_field{};
  std::uint8_t overload = 0;  // option 52: 1 file, 2 sname, 3 both carry options

  bool broadcast_flag() const { return (flags & kFlagBroadcast) != 0; }
  // The first 6 bytes of chaddr (meaningful when htype 1, hlen 6).
  Mac mac() const;
  // sname/file as strings up to the first NUL; empty when overloaded with options.
  std::string_view sname() const;
  std::string_view file() const;

  // Any option's value, repeated instances concatenated (RFC 3396).
  std::optional<Bytes> option(std::uint8_t code) const;
  bool has(std::uint8_t code) const { return present_[code]; }

  std::optional<MessageType> message_type() const;   // 53
  std::optional<Ipv4> requested_ip() const;          // 50
  std::optional<Ipv4> server_id() const;             // 54
  std::string_view hostname() const;                 // 12
  std::string_view vendor_class() const;             // 60
  Bytes client_id() const;                           // 61
  std::string_view user_class() const;               // 77, raw (iPXE sends "iPXE")
  std::optional<std::uint16_t> client_arch() const;  // 93, first of the list
  Bytes client_ndi() const;                          // 94
  Bytes uuid() const;                                // 97 (17 bytes when well formed)
  // Option 97 as iPXE's ${uuid} prints it ("4c4c4544-..."), "" unless it is
  // type 0 and 16 bytes. Firmware sends the GUID in EFI byte order (the
  // first three fields little-endian, RFC 4578 2.3), so those are swapped.
  std::string uuid_text() const;
  Bytes parameter_request_list() const;                                          // 55
  bool has_ipxe_encapsulated() const { return has(option::kIpxeEncapsulated); }  // 175
  Bytes vendor_specific() const;                                                 // 43
  std::optional<std::uint16_t> max_message_size() const;                         // 57
  // iPXE: user class "iPXE" or any option 175 (FlexBoot omits 77).
  bool is_ipxe() const;

 private:
  friend struct PacketParser;
  std::string_view option_text(std::uint8_t code) const;
  Bytes option_or_empty(std::uint8_t code) const;
  std::array<std::uint16_t, 256> offset_{};
  std::array<std::uint16_t, 256> length_{};
  std::array<bool, 256> present_{};
  std::array<std::uint8_t, kDatagramBytesMax> data_{};
};

struct ParseResult {
  ParseError error = ParseError::none;
  bool ok() const { return error == ParseError::none; }
};
// Parses any BOOTP/DHCP message into `out` (a Packet is ~5 KiB: reuse one).
// Returns not_request for a BOOTREPLY after a full parse.
ParseResult parse_packet(Bytes datagram, Packet& out);

// Builds a message into a caller buffer. Options are written in call order;
// values over 255 bytes are split into repeated options (RFC 3396).
class PacketBuilder {
 public:
  // size_max: the reply limit (kDefaultMessageBytesMax or the client's 57 minus 28).
  PacketBuilder(MutableBytes buffer, std::size_t size_max);

  // Writes the fixed header and cookie; must be called first.
  // sname/file longer than their fields are left empty (send 66/67 instead).
  void header(std::uint8_t op, const Packet& request, Ipv4 ciaddr, Ipv4 yiaddr, Ipv4 siaddr, std::string_view sname,
              std::string_view file, std::uint16_t flags);
  void option(std::uint8_t code, Bytes value);
  void option_u8(std::uint8_t code, std::uint8_t value);
  void option_u16(std::uint8_t code, std::uint16_t value);
  void option_u32(std::uint8_t code, std::uint32_t value);
  void option_ip(std::uint8_t code, Ipv4 ip) { option_u32(code, ip.value); }
  void option_text(std::uint8_t code, std::string_view text) { option(code, as_bytes(text)); }
  // Writes END and pads to kMinimumMessageBytes; nullopt when it did not fit.
  std::optional<Bytes> finish();

 private:
  ByteWriter writer_;
};

// The reply size limit for a request: 576-byte datagrams unless option 57 allows more.
std::size_t reply_size_max(const Packet& request, std::size_t buffer_bytes);

}  // namespace ringboot::dhcp
