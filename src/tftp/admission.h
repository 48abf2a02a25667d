// Bounded admission of new requests on the listening socket. A duplicated
// RRQ (client retransmitted before our answer arrived) must not start a
// second transfer, which tftpd-hpa and atftpd both do; and a boot storm
// must not grow memory past sessions_max.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "base/endpoint.h"

namespace ringboot::tftp {

enum class Verdict : std::uint8_t { admitted, duplicate, over_global, over_client };

class Admission {
 public:
  // Both tables are reserved once here: they never hold more than
  // sessions_max entries, so they never rehash on the data path.
  Admission(std::size_t sessions_max, std::size_t per_client_max);

  Verdict try_admit(Endpoint peer);
  void release(Endpoint peer);  // a peer not admitted is ignored

  std::size_t active() const { return live_.size(); }
  std::size_t capacity() const { return sessions_max_; }
  // Sessions of the client at `ip`: its IPv4 address, or its IPv6 /64 (a
  // client can pick any address in its prefix, so the bound is the prefix's).
  std::size_t active_for(const IpAddress& ip) const;

 private:
  std::size_t sessions_max_;
  std::size_t per_client_max_;
  std::unordered_set<Endpoint, EndpointHash> live_;
  std::unordered_map<std::uint64_t, std::uint32_t> per_client_;  // by IpAddress::client_key
};

}  // namespace ringboot::tftp
