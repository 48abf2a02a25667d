#include "tftp/admission.h"

#include "base/assert.h"

namespace ringboot::tftp {

Admission::Admission(std::size_t sessions_max, std::size_t per_client_max)
    : sessions_max_(sessions_max), per_client_max_(per_client_max) {
  live_.reserve(sessions_max);
  per_client_.reserve(sessions_max);
}

std::size_t Admission::active_for(const IpAddress& ip) const {
  auto it = per_client_.find(ip.client_key());
  return it == per_client_.end() ? 0 : it->second;
}

Verdict Admission::try_admit(Endpoint peer) {
  // Duplicate first: a retransmitted RRQ is not "busy", it is already served.
  if (live_.contains(peer)) return Verdict::duplicate;
  if (live_.size() >= sessions_max_) return Verdict::over_global;
  if (active_for(peer.ip) >= per_client_max_) return Verdict::over_client;
  live_.insert(peer);
  ++per_client_[peer.ip.client_key()];
  RINGBOOT_ASSERT(live_.size() <= sessions_max_ && per_client_.size() <= live_.size());
  return Verdict::admitted;
}

void Admission::release(Endpoint peer) {
  if (live_.erase(peer) == 0) return;
  // Every live peer is counted under its client key.
  auto it = per_client_.find(peer.ip.client_key());
  RINGBOOT_ASSERT(it != per_client_.end() && it->second > 0);
  if (--it->second == 0) per_client_.erase(it);
}

}  // namespace ringboot::tftp
