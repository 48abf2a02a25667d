// Time for the pure engines: they are handed `now` and never read a clock.
#pragma once

#include <chrono>

namespace ringboot {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::microseconds;

inline constexpr Instant kNever = Instant::max();

// A clock the tests move by hand.
class FakeClock {
 public:
  Instant now() const { return now_; }
  void advance(Duration d) { now_ += d; }

 private:
  Instant now_ = Instant{} + std::chrono::hours(1);
};

}  // namespace ringboot
