#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "tftp/options.h"
#include "tftp_test_defaults.h"

namespace ringboot::tftp {
namespace {

using namespace std::string_view_literals;
using namespace std::string_literals;

std::string str(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

std::string oack(const Negotiated& n) {
  std::array<std::uint8_t, 256> buf{};
  return str(build_oack(n, buf));
}

TEST(TftpOptions, NoOptionsMeansNoOack) {
  Negotiated n = negotiate_read({}, 1000, test_limits());
  EXPECT_FALSE(n.has_oack());
  EXPECT_EQ(n.blksize, 512);
  EXPECT_EQ(n.windowsize, 1);
}

TEST(TftpOptions, UnknownOptionsIgnoredAndNeverInOack) {
  const std::vector<Option> asked = {{"multicast", ""}, {"rollover", "0"}, {"utimeout", "1000"}};
  Negotiated n = negotiate_read(asked, 1000, test_limits());
  EXPECT_FALSE(n.has_oack());
}

TEST(TftpOptions, OackHasOnlyRequestedOptionsInClientOrder) {
  // iPXE: blksize + tsize, no windowsize, no timeout.
  const std::vector<Option> asked = {{"blksize", "1432"}, {"tsize", "0"}};
  Negotiated n = negotiate_read(asked, 123456, test_limits());
  EXPECT_EQ(oack(n), "\0\6blksize\0001432\0tsize\000123456\0"sv);
  EXPECT_FALSE(n.accepted(OptionKind::windowsize));
  EXPECT_FALSE(n.accepted(OptionKind::timeout));
}

TEST(TftpOptions, RaspberryPiTsizeOnly) {
  const std::vector<Option> asked = {{"tsize", "0"}};
  Negotiated n = negotiate_read(asked, 7, test_limits());
  EXPECT_EQ(oack(n), "\0\6tsize\0007\0"sv);
  EXPECT_EQ(n.blksize, 512);
}

TEST(TftpOptions, BlksizeNeverAboveAskedAndClampedToLimit) {
  Limits limits = test_limits();
  limits.blksize_max = 1468;
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "512"}}, 0, limits).blksize, 512);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "8"}}, 0, limits).blksize, 8);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "1468"}}, 0, limits).blksize, 1468);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "65464"}}, 0, limits).blksize, 1468);
  limits.blksize_max = 65464;
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "65464"}}, 0, limits).blksize, 65464);
}

TEST(TftpOptions, WindowsizeNeverAboveAskedAndClampedToLimit) {
  Limits limits = test_limits();
  limits.windowsize_max = 64;
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"windowsize", "4"}}, 0, limits).windowsize, 4);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"windowsize", "1"}}, 0, limits).windowsize, 1);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"windowsize", "65535"}}, 0, limits).windowsize, 64);
}

TEST(TftpOptions, TimeoutEchoedExactly) {
  for (const char* v : {"1", "4", "255"}) {
    Negotiated n = negotiate_read(std::vector<Option>{{"timeout", v}}, 0, test_limits());
    EXPECT_EQ(oack(n), "\0\6timeout\0"s + v + '\0');
  }
  Negotiated leading_zero = negotiate_read(std::vector<Option>{{"timeout", "007"}}, 0, test_limits());
  EXPECT_EQ(leading_zero.timeout_s, 7);
}

TEST(TftpOptions, InvalidValuesOmittedNotRefused) {
  const std::vector<Option> asked = {
      {"blksize", "7"},
      {"windowsize", "0"},
      {"timeout", "0"},
      {"tsize", "0"},
  };
  Negotiated n = negotiate_read(asked, 99, test_limits());
  EXPECT_EQ(oack(n), "\0\6tsize\00099\0"sv);
  EXPECT_EQ(n.blksize, 512);
  EXPECT_EQ(n.windowsize, 1);
  EXPECT_EQ(n.timeout_s, 0);
}

TEST(TftpOptions, AbsurdValuesOmitted) {
  for (const char* v : {"", "-1", "+512", " 512", "512 ", "0x200", "1e3", "99999999999999999999999999",
                        "18446744073709551616", "512abc"}) {
    Negotiated n =
        negotiate_read(std::vector<Option>{{"blksize", v}, {"windowsize", v}, {"timeout", v}}, 0, test_limits());
    EXPECT_FALSE(n.has_oack()) << "value '" << v << "'";
  }
  EXPECT_FALSE(negotiate_read(std::vector<Option>{{"blksize", "65465"}}, 0, test_limits()).has_oack());
  EXPECT_FALSE(negotiate_read(std::vector<Option>{{"timeout", "256"}}, 0, test_limits()).has_oack());
  EXPECT_FALSE(negotiate_read(std::vector<Option>{{"windowsize", "65536"}}, 0, test_limits()).has_oack());
}

TEST(TftpOptions, TsizeAnswersFileSizeWhateverWasAsked) {
  Negotiated n = negotiate_read(std::vector<Option>{{"tsize", "12345"}}, 5ull << 32, test_limits());
  EXPECT_EQ(oack(n), "\0\6tsize\00021474836480\0"sv);
}

TEST(TftpOptions, RepeatedOptionAnsweredOnceFirstValidWins) {
  const std::vector<Option> asked = {{"blksize", "bad"}, {"blksize", "1024"}, {"blksize", "512"}};
  Negotiated n = negotiate_read(asked, 0, test_limits());
  EXPECT_EQ(n.blksize, 1024);
  EXPECT_EQ(oack(n), "\0\6blksize\0001024\0"sv);
}

TEST(TftpOptions, EdkProbeAnsweredFully) {
  const std::vector<Option> asked = {{"tsize", "0"}, {"blksize", "1468"}, {"windowsize", "4"}};
  Negotiated n = negotiate_read(asked, 4096, test_limits());
  EXPECT_EQ(oack(n), "\0\6tsize\0004096\0blksize\0001468\0windowsize\0004\0"sv);
}

TEST(TftpOptions, ParseDecimalIsStrict) {
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(parse_decimal("18446744073709551616"));
  EXPECT_FALSE(parse_decimal(""));
  EXPECT_FALSE(parse_decimal("-0"));
}

TEST(TftpOptions, OackFitsSmallBufferOrReportsOverflow) {
  const std::vector<Option> asked = {{"tsize", "0"}, {"blksize", "1468"}, {"windowsize", "4"}, {"timeout", "5"}};
  Negotiated n = negotiate_read(asked, ~std::uint64_t{0}, test_limits());
  std::array<std::uint8_t, 16> small{};
  EXPECT_TRUE(build_oack(n, small).empty());
}

}  // namespace
}  // namespace ringboot::tftp

namespace ringboot::tftp {
namespace {
TEST(WindowBytes, LargeBlocksGetASmallerWindow) {
  Limits limits = test_limits();
  limits.blksize_max = 65464;
  limits.window_bytes_max = 128 * 1024;
  const std::vector<Option> asked = {{"windowsize", "64"}, {"blksize", "65464"}};
  const Negotiated n = negotiate_read(asked, 1 << 20, limits);
  EXPECT_EQ(n.blksize, 65464);
  EXPECT_EQ(n.windowsize, 2);  // 2 * 65464 fits 128 KiB, 3 would not
  EXPECT_TRUE(n.accepted(OptionKind::windowsize));
}
TEST(WindowBytes, SmallBlocksKeepTheirWindow) {
  Limits limits = test_limits();
  const std::vector<Option> asked = {{"blksize", "1468"}, {"windowsize", "16"}};
  EXPECT_EQ(negotiate_read(asked, 1 << 20, limits).windowsize, 16);
  limits.window_bytes_max = 0;
  const std::vector<Option> big = {{"blksize", "1468"}, {"windowsize", "64"}};
  EXPECT_EQ(negotiate_read(big, 1 << 20, limits).windowsize, 64);
}
}  // namespace
}  // namespace ringboot::tftp

namespace ringboot::tftp {
namespace {
// truesize of one DATA datagram per blksize, measured on Linux 6.18 x86-64
// loopback (rx_queue in /proc/net/udp of a socket holding it): the model may
// overestimate, never undercut, or a window it answers can still overflow.
TEST(ReceiveCost, NeverBelowMeasuredTruesize) {
  const std::pair<std::uint16_t, std::uint32_t> measured[] = {
      {8, 832},      {195, 832},    {196, 1280},    {512, 1280},    {643, 1280},    {644, 2304},    {1024, 2304},
      {1468, 2304},  {1667, 2304},  {1668, 4352},   {3715, 4352},   {3716, 8448},   {4096, 8448},   {7811, 8448},
      {7812, 16640}, {8192, 16640}, {16003, 16640}, {16004, 16840}, {16384, 17220}, {32768, 33604}, {65464, 66300},
  };
  for (const auto& [blksize, truesize] : measured) {
    EXPECT_GE(receive_cost(blksize), truesize) << "blksize " << blksize;
    EXPECT_LE(receive_cost(blksize), truesize * 2) << "blksize " << blksize;  // not absurdly cautious
  }
}
TEST(ReceiveCost, PowerOfTwoBuffersUpTo16KiBThenByTheByte) {
  EXPECT_EQ(receive_cost(512), 1024u + 256);
  EXPECT_EQ(receive_cost(1468), 2048u + 256);
  EXPECT_EQ(receive_cost(4096), 8192u + 256);
  EXPECT_EQ(receive_cost(8192), 16384u + 256);
  EXPECT_EQ(receive_cost(16000), 16384u + 256);  // 32 + 32 + 16000 + 320 = 16384: still linear
  EXPECT_EQ(receive_cost(16001), 16001u + 4 + 1024 + 256);
  EXPECT_EQ(receive_cost(65464), 65464u + 4 + 1024 + 256);
}
TEST(ReceiveCost, NeverDecreasesWithBlksize) {
  std::uint32_t previous = 0;
  for (std::uint32_t b = kBlksizeMin; b <= kBlksizeMax; ++b) {
    const std::uint32_t c = receive_cost(static_cast<std::uint16_t>(b));
    ASSERT_GE(c, previous) << "blksize " << b;
    previous = c;
  }
}

std::uint16_t answered(std::uint16_t blksize, std::uint16_t windowsize, const Limits& limits) {
  const std::vector<Option> asked = {{"blksize", std::to_string(blksize)}, {"windowsize", std::to_string(windowsize)}};
  const Negotiated n = negotiate_read(asked, 40 << 20, limits);
  EXPECT_EQ(n.blksize, blksize);
  EXPECT_TRUE(n.accepted(OptionKind::windowsize));
  return n.windowsize;
}

// The defaults answer atftp's windowsize 64 so that a window fits in a
// default 212,992-byte receive buffer (the old 128 KiB payload cap answered
// 32 at blksize 4096 and 16 at 8192: 270 KB and 266 KB of truesize).
TEST(ReceiveCost, AnsweredWindowPerBlksize) {
  Limits limits = test_limits();
  limits.blksize_max = kBlksizeMax;
  EXPECT_EQ(limits.client_receive_buffer_bytes, 212992u);
  const std::pair<std::uint16_t, std::uint16_t> expected[] = {
      {512, 64}, {1468, 64}, {4096, 18}, {8192, 9}, {16384, 8}, {32768, 4}, {65464, 2},
  };
  for (const auto& [blksize, window] : expected) {
    const std::uint16_t w = answered(blksize, 64, limits);
    EXPECT_EQ(w, window) << "blksize " << blksize;
    EXPECT_LE(std::uint64_t{w} * receive_cost(blksize), limits.client_receive_buffer_bytes * 3 / 4);
    EXPECT_LE(std::uint64_t{w} * blksize, limits.window_bytes_max);
  }
  // Never above what was asked, never 0.
  EXPECT_EQ(answered(4096, 4, limits), 4);
  EXPECT_EQ(answered(4096, 1, limits), 1);
  limits.client_receive_buffer_bytes = 10000;  // smaller than one datagram
  EXPECT_EQ(answered(8192, 64, limits), 1);
}
TEST(ReceiveCost, BudgetFollowsTheConfiguredBuffer) {
  Limits limits = test_limits();
  limits.blksize_max = kBlksizeMax;
  limits.window_bytes_max = 0;                // only the receive buffer bounds the window
  EXPECT_EQ(answered(16384, 64, limits), 9);  // 159744 / 17668
  EXPECT_EQ(answered(65464, 64, limits), 2);
  limits.client_receive_buffer_bytes = 4 << 20;  // a client that set SO_RCVBUF 2 MiB (doubled)
  EXPECT_EQ(answered(4096, 64, limits), 64);
  EXPECT_EQ(answered(65464, 64, limits), 47);  // 3145728 / 66748
  limits.client_receive_buffer_bytes = 0;      // off
  EXPECT_EQ(answered(65464, 64, limits), 64);
  limits.window_bytes_max = 128 * 1024;  // the payload cap still applies alone
  EXPECT_EQ(answered(65464, 64, limits), 2);
  EXPECT_EQ(answered(4096, 64, limits), 32);
}
// The MTU clamp: what one unfragmented datagram carries, per family.
TEST(TftpOptions, BlksizeForMtuLeavesRoomForEachFamilysHeaders) {
  EXPECT_EQ(blksize_for_mtu(1500, false), 1468);
  EXPECT_EQ(blksize_for_mtu(1500, true), 1448);
  EXPECT_EQ(blksize_for_mtu(9000, true), 8948);
  EXPECT_EQ(blksize_for_mtu(65536, false), 65464);  // loopback: RFC 2348's largest
  EXPECT_EQ(blksize_for_mtu(1280, true), 1228);     // IPv6's minimum link MTU
  EXPECT_EQ(blksize_for_mtu(0, true), 0);           // unknown: no clamp
  EXPECT_EQ(blksize_for_mtu(40, false), 0);
}

}  // namespace
}  // namespace ringboot::tftp
