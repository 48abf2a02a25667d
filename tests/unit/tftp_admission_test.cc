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

Endpoint ep6(const char* text) { return *Endpoint::parse(text); }

// An IPv6 client is bounded by its /64: any address in its prefix counts
// against the same per-client bound, and a duplicate is per address and port.
TEST(TftpAdmission, Ipv6ClientsAreBoundedByTheirSlash64) {
  Admission a(10, 2);
  EXPECT_EQ(a.try_admit(ep6("[2001:db8:0:1::a]:1000")), Verdict::admitted);
  EXPECT_EQ(a.try_admit(ep6("[2001:db8:0:1::a]:1000")), Verdict::duplicate);
  EXPECT_EQ(a.try_admit(ep6("[2001:db8:0:1:ffff::b]:1000")), Verdict::admitted);
  // A third address in the same /64: over the client's bound.
  EXPECT_EQ(a.try_admit(ep6("[2001:db8:0:1:1234::c]:1000")), Verdict::over_client);
  // The next /64 is another client.
  EXPECT_EQ(a.try_admit(ep6("[2001:db8:0:2::a]:1000")), Verdict::admitted);
  EXPECT_EQ(a.active_for(Endpoint::parse("[2001:db8:0:1:9::9]:1")->ip), 2u);
  // An IPv4 client beside them is its own.
  EXPECT_EQ(a.try_admit(ep(1, 1000)), Verdict::admitted);
  EXPECT_EQ(a.active_for(Ipv4{1}), 1u);
  a.release(ep6("[2001:db8:0:1:ffff::b]:1000"));
  EXPECT_EQ(a.try_admit(ep6("[2001:db8:0:1:1234::c]:1000")), Verdict::admitted);
  EXPECT_EQ(a.active(), 4u);
}

}  // namespace
}  // namespace ringboot::tftp
