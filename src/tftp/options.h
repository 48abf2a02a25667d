// Option negotiation for a read request: RFC 2347 (OACK), 2348 (blksize),
// 2349 (timeout, tsize), 7440 (windowsize). The rules firmware depends on
// (EDK2 rejects an OACK that breaks any of them, see CLIENTS.md):
// - an option appears in the OACK only if the client asked for it;
// - blksize and windowsize are answered at most as asked; timeout is echoed;
// - an invalid value drops that option from the OACK, it never refuses the request;
// - no valid option at all means no OACK: the transfer starts with DATA 1.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "tftp/packet.h"

namespace ringboot::tftp {

inline constexpr std::uint16_t kBlksizeDefault = 512;
inline constexpr std::uint16_t kBlksizeMin = 8;      // RFC 2348
inline constexpr std::uint16_t kBlksizeMax = 65464;  // RFC 2348
inline constexpr std::uint16_t kWindowsizeMin = 1;   // RFC 7440
inline constexpr std::uint16_t kWindowsizeMax = 65535;

// The largest block a link of `mtu` bytes carries unfragmented: the MTU less
// the IP header (20 bytes IPv4, 40 IPv6), UDP's 8 and TFTP's 4 (1468 and
// 1448 on a 1500-byte link). 0: the MTU is unknown or too small to say.
constexpr std::uint16_t blksize_for_mtu(int mtu, bool ipv6) {
  const int headers = (ipv6 ? 40 : 20) + 8 + 4;
  if (mtu <= headers + kBlksizeMin) return 0;
  return static_cast<std::uint16_t>(mtu - headers > kBlksizeMax ? kBlksizeMax : mtu - headers);
}

// The bounds come from [tftp] (blksize_max clamped to the MTU, windowsize_max,
// window_bytes_max, client_receive_buffer_bytes): their defaults live there.
struct Limits {
  std::uint16_t blksize_max = 0;
  std::uint16_t windowsize_max = 0;
  std::uint32_t window_bytes_max = 0;  // 0: no cap on windowsize * blksize
  // An estimate of the client's socket receive buffer (sk_rcvbuf), charged
  // per datagram with receive_cost(): a window is answered so it fits in
  // three quarters of it. 0: no cap.
  std::uint32_t client_receive_buffer_bytes = 0;
  std::uint8_t timeout_min_s = 1;  // RFC 2349 range is 1..255
  std::uint8_t timeout_max_s = 255;
};

enum class OptionKind : std::uint8_t { blksize, windowsize, timeout, tsize };

// The outcome, kept compact (no heap) so a session can rebuild its OACK
// for a retransmission.
struct Negotiated {
  std::uint16_t blksize = kBlksizeDefault;
  std::uint16_t windowsize = 1;
  std::uint8_t timeout_s = 0;              // 0: not negotiated
  std::uint64_t tsize = 0;                 // valid when accepted(tsize)
  std::array<OptionKind, 4> oack_order{};  // accepted options in the client's order
  std::uint8_t oack_count = 0;

  bool has_oack() const { return oack_count != 0; }
  bool accepted(OptionKind kind) const;
};

// What one DATA datagram of `blksize` costs in a Linux receiver's socket
// buffer: the kernel charges each queued datagram its skb truesize (buffer
// allocation + struct sk_buff), not its payload, and drops a datagram that
// would take the total past sk_rcvbuf (counted in Udp RcvbufErrors).
std::uint32_t receive_cost(std::uint16_t blksize);

// The windowsize to answer for `asked` (already within windowsize_max):
// at most `asked`, at least 1, so that one window's payload fits in
// window_bytes_max and its receive_cost() in 3/4 of client_receive_buffer_bytes.
std::uint16_t fit_window(std::uint16_t asked, std::uint16_t blksize, const Limits& limits);

// file_size answers `tsize` (RRQ: the client asks with any value, usually 0).
Negotiated negotiate_read(std::span<const Option> requested, std::uint64_t file_size, const Limits& limits);

// The OACK for `n`, options in the client's order, names lowercased.
Bytes build_oack(const Negotiated& n, MutableBytes out);

// Strict decimal: digits only, no sign, no spaces; nullopt on overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

std::string_view option_name(OptionKind kind);

}  // namespace ringboot::tftp
