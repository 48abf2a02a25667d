#include <gtest/gtest.h>

#include "base/rate_limit.h"

namespace ringboot {
namespace {

constexpr std::uint64_t kA = 0x0a000001;
constexpr std::uint64_t kB = 0x0a000002;

int allowed_now(RateLimiter& r, std::uint64_t ip, Instant now, int tries) {
  int n = 0;
  for (int i = 0; i < tries; ++i) n += r.check(ip, now) == RateVerdict::allowed ? 1 : 0;
  return n;
}

TEST(TftpRateLimit, OffAllowsEverythingAndTracksNothing) {
  FakeClock clock;
  RateLimiter r(0, 0, 16);
  EXPECT_FALSE(r.enabled());
  for (std::uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(r.check(i, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.tracked(), 0u);
}

TEST(TftpRateLimit, BurstThenSteadyRate) {
  FakeClock clock;
  RateLimiter r(10, 5, 16);  // 10/s, 5 at once
  EXPECT_EQ(allowed_now(r, kA, clock.now(), 20), 5);
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::limited);
  // One token per 100 ms.
  clock.advance(milliseconds(99));
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::limited);
  clock.advance(milliseconds(1));
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::limited);
  // Over 10 s of steady pressure (a request every 10 ms): 10 per second get through.
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    clock.advance(milliseconds(10));
    ok += r.check(kA, clock.now()) == RateVerdict::allowed ? 1 : 0;
  }
  EXPECT_EQ(ok, 100);
}

TEST(TftpRateLimit, BurstDefaultsToRateAndRefillsToBurstOnly) {
  FakeClock clock;
  RateLimiter r(4, 0, 16);
  EXPECT_EQ(allowed_now(r, kA, clock.now(), 10), 4);
  clock.advance(seconds(60));  // a long pause does not save up more than the burst
  EXPECT_EQ(allowed_now(r, kA, clock.now(), 10), 4);
}

TEST(TftpRateLimit, ClientsAreIndependent) {
  FakeClock clock;
  RateLimiter r(1, 1, 16);
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::limited);
  EXPECT_EQ(r.check(kB, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.check(kB, clock.now()), RateVerdict::limited);
  clock.advance(seconds(1));
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.check(kB, clock.now()), RateVerdict::allowed);
}

TEST(TftpRateLimit, TableIsBoundedAndRefilledClientsAreSweptOut) {
  FakeClock clock;
  RateLimiter r(10, 2, 4);
  for (std::uint32_t i = 1; i <= 4; ++i) EXPECT_EQ(r.check(i, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.tracked(), 4u);
  // Full, and every tracked client is still inside its refill time: a new
  // address is let through untracked (fail open; sessions bound the work).
  EXPECT_EQ(r.check(5, clock.now()), RateVerdict::untracked);
  EXPECT_EQ(r.tracked(), 4u);
  // Known clients are still limited meanwhile.
  EXPECT_EQ(r.check(1, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.check(1, clock.now()), RateVerdict::limited);
  // 100 ms later clients 2..4 have refilled (they are equal to absent): swept.
  clock.advance(milliseconds(100));
  EXPECT_EQ(r.check(5, clock.now()), RateVerdict::allowed);
  EXPECT_LE(r.tracked(), 4u);
  EXPECT_EQ(r.check(5, clock.now()), RateVerdict::allowed);  // burst 2
  EXPECT_EQ(r.check(5, clock.now()), RateVerdict::limited);
}

TEST(TftpRateLimit, SpoofedFloodNeverGrowsTheTable) {
  FakeClock clock;
  RateLimiter r(5, 5, 100);
  int untracked = 0;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    if (r.check(std::uint64_t{0x0ae80000 + i}, clock.now()) == RateVerdict::untracked) ++untracked;
    if (i % 1000 == 0) clock.advance(milliseconds(1));
    ASSERT_LE(r.tracked(), 100u);
  }
  EXPECT_GT(untracked, 0);
  // A real client that was tracked before the flood is still limited by it.
  RateLimiter q(1, 1, 2);
  EXPECT_EQ(q.check(kA, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(q.check(kB, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(q.check(std::uint64_t{7}, clock.now()), RateVerdict::untracked);
  EXPECT_EQ(q.check(kA, clock.now()), RateVerdict::limited);
}

TEST(TftpRateLimit, ReconfigureChangesRateAndOffClears) {
  FakeClock clock;
  RateLimiter r(1, 1, 16);
  EXPECT_EQ(allowed_now(r, kA, clock.now(), 5), 1);
  r.reconfigure(100, 3);
  clock.advance(milliseconds(10));
  EXPECT_EQ(allowed_now(r, kB, clock.now(), 10), 3);
  r.reconfigure(0, 0);
  EXPECT_EQ(r.tracked(), 0u);
  EXPECT_EQ(allowed_now(r, kA, clock.now(), 50), 50);
  r.reconfigure(2, 0);
  EXPECT_EQ(allowed_now(r, kA, clock.now(), 50), 2);
  EXPECT_EQ(r.clients_max(), 16u);
}

TEST(TftpRateLimit, VeryHighRateStillCounts) {
  FakeClock clock;
  RateLimiter r(1000000000, 1, 4);  // 1 ns per token
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::allowed);
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::limited);
  clock.advance(Duration(1));
  EXPECT_EQ(r.check(kA, clock.now()), RateVerdict::allowed);
}

}  // namespace
}  // namespace ringboot
