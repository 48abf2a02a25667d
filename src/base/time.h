// Time for the pure engines: they are handed `now` and never read a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace ringboot {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline constexpr Instant kNever = Instant::max();

// A worker's clocks, read once per loop turn (after each wait, after each
// batch of completions) and handed to its services, which never read one.
struct Tick {
  Instant now{};
  std::int64_t unix_seconds = 0;  // DHCP lease times, HTTP Date and Last-Modified
  std::int64_t unix_ms = 0;       // the fleet's timelines
};

// A clock the tests move by hand.
class FakeClock {
 public:
  Instant now() const { return now_; }
  void advance(Duration d) { now_ += d; }

 private:
  Instant now_ = Instant{} + std::chrono::hours(1);
};

}  // namespace ringboot
