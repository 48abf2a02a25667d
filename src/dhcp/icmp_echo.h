// The bytes of the DHCP conflict check's ICMP echo: the request sent to an
// address before it is offered, and the parse of what the raw socket
// receives (IPv4 header + ICMP). Pure code; the socket is io/icmp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/endpoint.h"

namespace ringboot::dhcp {

inline constexpr std::size_t kEchoRequestBytes = 8 + 8;  // header + 8 bytes of payload
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;

// Writes an echo request (type 8) with `id` and `sequence` into `out`
// (kEchoRequestBytes), checksum filled in. Returns the bytes written.
std::size_t icmp_echo_request(std::span<std::uint8_t, kEchoRequestBytes> out, std::uint16_t id, std::uint16_t sequence);

struct EchoReply {
  Ipv4 from;  // source address of the reply
  std::uint16_t id = 0;
  std::uint16_t sequence = 0;
};
// An echo reply (type 0) from a raw socket's datagram (IPv4 header first);
// nullopt for anything else or anything truncated.
std::optional<EchoReply> icmp_parse_echo_reply(Bytes datagram);

}  // namespace ringboot::dhcp
