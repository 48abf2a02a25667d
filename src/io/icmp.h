// ICMP echo for the DHCP conflict check: a raw ICMP socket (CAP_NET_RAW)
// that only lets echo replies in, the echo request's bytes, and the parse of
// what the socket receives (IPv4 header + ICMP). Sending and receiving go
// through the ring like UDP (UdpSendPool::send_copy to {address, 0};
// udp_receive/udp_decode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/endpoint.h"

namespace ringboot::io {

inline constexpr std::size_t kEchoRequestBytes = 8 + 8;  // header + 8 bytes of payload

// A non-blocking raw IPPROTO_ICMP socket filtered (ICMP_FILTER) to echo
// replies; -1 with *error ("socket(SOCK_RAW, IPPROTO_ICMP): Operation not
// permitted (needs CAP_NET_RAW)").
int icmp_open(std::string* error);
// Writes an echo request (type 8) with `id` and `sequence` into `out`
// (kEchoRequestBytes), checksum filled in. Returns the bytes written.
std::size_t icmp_echo_request(std::span<std::uint8_t, kEchoRequestBytes> out, std::uint16_t id,
                              std::uint16_t sequence);

struct EchoReply {
  Ipv4 from;  // source address of the reply
  std::uint16_t id = 0;
  std::uint16_t sequence = 0;
};
// An echo reply (type 0) from a raw socket's datagram (IPv4 header first);
// nullopt for anything else or anything truncated.
std::optional<EchoReply> icmp_parse_echo_reply(Bytes datagram);

}  // namespace ringboot::io
