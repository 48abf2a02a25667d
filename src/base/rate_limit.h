// Per-client request rate limit (TFTP by client address, DHCP by client
// MAC): a token bucket per client key (`rate` requests per second, `burst` at once),
// kept in the equivalent GCRA form - one timestamp per client, integer
// arithmetic, exact under a fake clock. Over the limit a request is dropped
// without an answer (an answer would be traffic an attacker can aim).
//
// The table is bounded by clients_max. A client whose bucket has refilled
// is the same as an absent one, so when the table is full such entries are
// swept out. If it is still full (more than clients_max addresses all over
// their rate at once: a spoofed flood) a new address is let through
// untracked and counted: failing closed would let a flood lock real clients
// out, and sessions_max / sessions_per_client_max still bound the work. A
// sweep that freed nothing is not repeated before one emission interval has
// passed, so a flood costs O(1) per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "base/endpoint.h"
#include "base/time.h"

namespace ringboot {

enum class RateVerdict : std::uint8_t { allowed, limited, untracked };

class RateLimiter {
 public:
  // per_second == 0: off (every request allowed, nothing tracked).
  // burst == 0: the same as per_second (at least 1).
  RateLimiter(std::uint32_t per_second, std::uint32_t burst, std::size_t clients_max);

  RateVerdict check(std::uint64_t client, Instant now);
  // SIGHUP: a new rate and burst; clients_max stays. Off clears the table.
  void reconfigure(std::uint32_t per_second, std::uint32_t burst);

  bool enabled() const { return per_second_ != 0; }
  std::size_t tracked() const { return table_.size(); }
  std::size_t clients_max() const { return clients_max_; }

 private:
  void sweep(Instant now);

  std::uint32_t per_second_ = 0;
  Duration interval_{};   // 1 s / per_second: one token
  Duration tolerance_{};  // (burst - 1) * interval_
  std::size_t clients_max_;
  Instant next_sweep_{};
  // Theoretical arrival time: when this client's bucket is full again.
  std::unordered_map<std::uint64_t, Instant> table_;
};

}  // namespace ringboot
