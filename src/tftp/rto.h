// Adaptive retransmission timeout, RFC 6298: smoothed RTT and variance,
// Karn's rule (the caller feeds no sample from a retransmitted packet),
// exponential backoff on timeout. Fixed 1-2 s timers cost seconds per lost
// block on a lossy boot network (see ARCHITECTURE.md); this adapts to the
// sub-millisecond RTTs of a LAN.
#pragma once

#include "base/time.h"

namespace ringboot::tftp {

// From [tftp] rto_*_ms (the defaults live there).
struct RtoConfig {
  Duration rto_min{};
  Duration rto_max{};
  Duration rto_initial{};
};

class Rto {
 public:
  explicit Rto(const RtoConfig& config);

  // RFC 2349 `timeout`: the client retransmits after this long, so waiting
  // longer than it only wastes its retries.
  void set_ceiling(Duration ceiling);

  void sample(Duration rtt);
  void backoff();  // doubles, up to the maximum
  Duration current() const { return rto_; }
  Duration srtt() const { return srtt_; }
  bool has_sample() const { return has_sample_; }

 private:
  Duration clamp(Duration d) const;
  Duration computed() const;

  Duration min_;
  Duration max_;
  Duration srtt_{};
  Duration rttvar_{};
  Duration rto_;
  bool has_sample_ = false;
};

}  // namespace ringboot::tftp
