// Endpoint <-> sockaddr for both families: the one place src/io converts.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "base/endpoint.h"

namespace ringboot::io {

// Room for either family's address.
union SocketAddress {
  sockaddr any;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

// Fills `out`; returns the length to pass with it.
inline socklen_t to_sockaddr(const Endpoint& e, SocketAddress* out) {
  *out = SocketAddress{};
  if (e.ip.is_v6()) {
    out->v6.sin6_family = AF_INET6;
    out->v6.sin6_port = htons(e.port);
    std::memcpy(&out->v6.sin6_addr, e.ip.v6().bytes.data(), 16);
    out->v6.sin6_scope_id = e.ip.v6().scope;
    return sizeof(sockaddr_in6);
  }
  out->v4.sin_family = AF_INET;
  out->v4.sin_port = htons(e.port);
  out->v4.sin_addr.s_addr = htonl(e.ip.v4().value);
  return sizeof(sockaddr_in);
}

inline Ipv6 from_in6(const in6_addr& a, std::uint32_t scope) {
  Ipv6 v6;
  std::memcpy(v6.bytes.data(), &a, 16);
  // Only a link-local address needs its zone; a global one is the same on every link.
  v6.scope = v6.is_link_local() ? scope : 0;
  return v6;
}

// 0.0.0.0:0 for a family other than the two, or a length too short for it.
inline Endpoint from_sockaddr(const void* address, socklen_t length) {
  sa_family_t family = AF_UNSPEC;
  if (length >= sizeof(sa_family_t)) std::memcpy(&family, address, sizeof family);
  if (family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 a{};
    std::memcpy(&a, address, sizeof a);
    return Endpoint{from_in6(a.sin6_addr, a.sin6_scope_id), ntohs(a.sin6_port)};
  }
  if (family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in a{};
    std::memcpy(&a, address, sizeof a);
    return Endpoint{Ipv4{ntohl(a.sin_addr.s_addr)}, ntohs(a.sin_port)};
  }
  return Endpoint{};
}

}  // namespace ringboot::io
