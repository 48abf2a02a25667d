#include <gtest/gtest.h>

#include "tftp/rto.h"

namespace ringboot::tftp {
namespace {

using std::chrono::milliseconds;

RtoConfig config() { return RtoConfig{milliseconds(20), milliseconds(2000), milliseconds(1000)}; }

TEST(TftpRto, StartsAtInitial) {
  Rto rto(config());
  EXPECT_EQ(rto.current(), milliseconds(1000));
  EXPECT_FALSE(rto.has_sample());
}

TEST(TftpRto, FirstSampleRfc6298) {
  Rto rto(config());
  rto.sample(milliseconds(100));
  // SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 * RTTVAR.
  EXPECT_EQ(rto.srtt(), milliseconds(100));
  EXPECT_EQ(rto.current(), milliseconds(300));
}

TEST(TftpRto, LaterSamplesSmooth) {
  Rto rto(config());
  rto.sample(milliseconds(100));
  rto.sample(milliseconds(200));
  // RTTVAR = 3/4*50 + 1/4*100 = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5.
  EXPECT_EQ(rto.srtt(), microseconds(112500));
  EXPECT_EQ(rto.current(), microseconds(112500 + 4 * 62500));
}

TEST(TftpRto, ClampedToMinAndMax) {
  Rto rto(config());
  rto.sample(microseconds(50));  // loopback-like
  EXPECT_EQ(rto.current(), milliseconds(20));
  Rto slow(config());
  slow.sample(seconds(5));
  EXPECT_EQ(slow.current(), milliseconds(2000));
}

TEST(TftpRto, BackoffDoublesUpToMax) {
  Rto rto(config());
  rto.sample(microseconds(50));
  Duration expected = milliseconds(20);
  for (int i = 0; i < 10; ++i) {
    rto.backoff();
    expected = std::min<Duration>(expected * 2, milliseconds(2000));
    EXPECT_EQ(rto.current(), expected);
  }
}

TEST(TftpRto, SampleEndsBackoff) {
  Rto rto(config());
  rto.sample(milliseconds(10));  // RTO 10 + 4 * 5 = 30 ms
  rto.backoff();
  rto.backoff();
  EXPECT_EQ(rto.current(), milliseconds(120));
  rto.sample(milliseconds(10));
  EXPECT_EQ(rto.current(), milliseconds(25));
}

TEST(TftpRto, CeilingFromClientTimeoutIsNeverExceeded) {
  Rto rto(RtoConfig{milliseconds(20), seconds(10), seconds(3)});
  rto.set_ceiling(seconds(1));
  EXPECT_EQ(rto.current(), seconds(1));
  for (int i = 0; i < 5; ++i) rto.backoff();
  EXPECT_EQ(rto.current(), seconds(1));
  rto.sample(seconds(4));
  EXPECT_EQ(rto.current(), seconds(1));
}

TEST(TftpRto, CeilingBelowMinimumWins) {
  Rto rto(RtoConfig{seconds(2), seconds(4), seconds(3)});
  rto.set_ceiling(seconds(1));
  EXPECT_EQ(rto.current(), seconds(1));
}

TEST(TftpRto, HugeMaximumDoesNotOverflow) {
  Rto rto(RtoConfig{milliseconds(20), Duration::max(), seconds(1)});
  for (int i = 0; i < 100; ++i) rto.backoff();
  EXPECT_GT(rto.current(), seconds(1));
}

}  // namespace
}  // namespace ringboot::tftp
