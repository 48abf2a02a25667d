// The raw ICMP socket of the DHCP conflict check (CAP_NET_RAW), letting only
// echo replies in. Sending and receiving go through the ring like UDP
// (UdpSendPool::send_copy to {address, 0}; udp_receive/udp_decode); the
// echo's bytes are built and parsed by pure code in dhcp/icmp_echo.
#pragma once

#include <string>

namespace ringboot::io {

// A non-blocking raw IPPROTO_ICMP socket filtered (ICMP_FILTER) to echo
// replies; -1 with *error ("socket(SOCK_RAW, IPPROTO_ICMP): Operation not
// permitted (needs CAP_NET_RAW)").
int icmp_open(std::string* error);

}  // namespace ringboot::io
