#include <gtest/gtest.h>

#include "tftp/admission.h"

namespace ringboot::tftp {
namespace {

Endpoint ep(std::uint32_t ip, std::uint16_t port) { return Endpoint{Ipv4{ip}, port}; }

TEST(TftpAdmission, AdmitsAndDetectsDuplicateRequest) {
  Admission a(10, 4);
  EXPECT_EQ(a.try_admit(ep(0x0a000001, 2000)), Verdict::admitted);
  // A retransmitted RRQ from the same ip:port must not start a second transfer.
  EXPECT_EQ(a.try_admit(ep(0x0a000001, 2000)), Verdict::duplicate);
  EXPECT_EQ(a.try_admit(ep(0x0a000001, 2001)), Verdict::admitted);
  EXPECT_EQ(a.active(), 2u);
}

TEST(TftpAdmission, PerClientLimit) {
  Admission a(10, 2);
  EXPECT_EQ(a.try_admit(ep(1, 1)), Verdict::admitted);
  EXPECT_EQ(a.try_admit(ep(1, 2)), Verdict::admitted);
  EXPECT_EQ(a.try_admit(ep(1, 3)), Verdict::over_client);
  EXPECT_EQ(a.try_admit(ep(2, 1)), Verdict::admitted);
  a.release(ep(1, 1));
  EXPECT_EQ(a.try_admit(ep(1, 3)), Verdict::admitted);
  EXPECT_EQ(a.active_for(Ipv4{1}), 2u);
}

TEST(TftpAdmission, GlobalLimitAndBoundedSize) {
  Admission a(3, 100);
  for (std::uint16_t p = 1; p <= 3; ++p) EXPECT_EQ(a.try_admit(ep(p, p)), Verdict::admitted);
  for (std::uint16_t p = 4; p <= 100; ++p) EXPECT_EQ(a.try_admit(ep(p, p)), Verdict::over_global);
  EXPECT_EQ(a.active(), 3u);
  // Duplicate wins over busy: the client is already being served.
  EXPECT_EQ(a.try_admit(ep(1, 1)), Verdict::duplicate);
  a.release(ep(2, 2));
  EXPECT_EQ(a.try_admit(ep(9, 9)), Verdict::admitted);
}

TEST(TftpAdmission, ReleaseOfUnknownPeerIsHarmless) {
  Admission a(2, 1);
  a.release(ep(5, 5));
  EXPECT_EQ(a.try_admit(ep(5, 5)), Verdict::admitted);
  a.release(ep(5, 6));
  EXPECT_EQ(a.active_for(Ipv4{5}), 1u);
  a.release(ep(5, 5));
  a.release(ep(5, 5));
  EXPECT_EQ(a.active(), 0u);
  EXPECT_EQ(a.active_for(Ipv4{5}), 0u);
}

}  // namespace
}  // namespace ringboot::tftp
