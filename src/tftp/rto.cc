#include "tftp/rto.h"

#include <algorithm>

namespace ringboot::tftp {

Rto::Rto(const RtoConfig& config)
    : min_(config.rto_min), max_(std::max(config.rto_max, config.rto_min)), rto_(clamp(config.rto_initial)) {}

Duration Rto::clamp(Duration d) const { return std::clamp(d, min_, max_); }

Duration Rto::computed() const { return clamp(srtt_ + 4 * rttvar_); }

void Rto::set_ceiling(Duration ceiling) {
  max_ = std::min(max_, ceiling);
  min_ = std::min(min_, max_);
  rto_ = clamp(rto_);
}

void Rto::sample(Duration rtt) {
  rtt = std::max(rtt, Duration::zero());
  if (!has_sample_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_sample_ = true;
  } else {
    const Duration err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + err) / 4;
    srtt_ = (7 * srtt_ + rtt) / 8;
  }
  rto_ = computed();  // a fresh sample also ends any backoff (RFC 6298 5.7)
}

void Rto::backoff() { rto_ = rto_ > max_ / 2 ? max_ : clamp(rto_ * 2); }  // no overflow for huge maxima

}  // namespace ringboot::tftp
