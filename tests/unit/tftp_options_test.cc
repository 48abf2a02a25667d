#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "tftp/options.h"

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
  Negotiated n = negotiate_read({}, 1000, Limits{});
  EXPECT_FALSE(n.has_oack());
  EXPECT_EQ(n.blksize, 512);
  EXPECT_EQ(n.windowsize, 1);
}

TEST(TftpOptions, UnknownOptionsIgnoredAndNeverInOack) {
  const std::vector<Option> asked = {{"multicast", ""}, {"rollover", "0"}, {"utimeout", "1000"}};
  Negotiated n = negotiate_read(asked, 1000, Limits{});
  EXPECT_FALSE(n.has_oack());
}

TEST(TftpOptions, OackHasOnlyRequestedOptionsInClientOrder) {
  // iPXE: blksize + tsize, no windowsize, no timeout.
  const std::vector<Option> asked = {{"blksize", "1432"}, {"tsize", "0"}};
  Negotiated n = negotiate_read(asked, 123456, Limits{});
  EXPECT_EQ(oack(n), "\0\6blksize\0001432\0tsize\000123456\0"sv);
  EXPECT_FALSE(n.accepted(OptionKind::windowsize));
  EXPECT_FALSE(n.accepted(OptionKind::timeout));
}

TEST(TftpOptions, RaspberryPiTsizeOnly) {
  const std::vector<Option> asked = {{"tsize", "0"}};
  Negotiated n = negotiate_read(asked, 7, Limits{});
  EXPECT_EQ(oack(n), "\0\6tsize\0007\0"sv);
  EXPECT_EQ(n.blksize, 512);
}

TEST(TftpOptions, BlksizeNeverAboveAskedAndClampedToLimit) {
  Limits limits;
  limits.blksize_max = 1468;
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "512"}}, 0, limits).blksize, 512);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "8"}}, 0, limits).blksize, 8);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "1468"}}, 0, limits).blksize, 1468);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "65464"}}, 0, limits).blksize, 1468);
  limits.blksize_max = 65464;
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"blksize", "65464"}}, 0, limits).blksize, 65464);
}

TEST(TftpOptions, WindowsizeNeverAboveAskedAndClampedToLimit) {
  Limits limits;
  limits.windowsize_max = 64;
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"windowsize", "4"}}, 0, limits).windowsize, 4);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"windowsize", "1"}}, 0, limits).windowsize, 1);
  EXPECT_EQ(negotiate_read(std::vector<Option>{{"windowsize", "65535"}}, 0, limits).windowsize, 64);
}

TEST(TftpOptions, TimeoutEchoedExactly) {
  for (const char* v : {"1", "4", "255"}) {
    Negotiated n = negotiate_read(std::vector<Option>{{"timeout", v}}, 0, Limits{});
    EXPECT_EQ(oack(n), "\0\6timeout\0"s + v + '\0');
  }
  Negotiated leading_zero = negotiate_read(std::vector<Option>{{"timeout", "007"}}, 0, Limits{});
  EXPECT_EQ(leading_zero.timeout_s, 7);
}

TEST(TftpOptions, InvalidValuesOmittedNotRefused) {
  const std::vector<Option> asked = {
      {"blksize", "7"},  {"windowsize", "0"}, {"timeout", "0"}, {"tsize", "0"},
  };
  Negotiated n = negotiate_read(asked, 99, Limits{});
  EXPECT_EQ(oack(n), "\0\6tsize\00099\0"sv);
  EXPECT_EQ(n.blksize, 512);
  EXPECT_EQ(n.windowsize, 1);
  EXPECT_EQ(n.timeout_s, 0);
}

TEST(TftpOptions, AbsurdValuesOmitted) {
  for (const char* v : {"", "-1", "+512", " 512", "512 ", "0x200", "1e3", "99999999999999999999999999",
                        "18446744073709551616", "512abc"}) {
    Negotiated n = negotiate_read(std::vector<Option>{{"blksize", v}, {"windowsize", v}, {"timeout", v}}, 0, Limits{});
    EXPECT_FALSE(n.has_oack()) << "value '" << v << "'";
  }
  EXPECT_FALSE(negotiate_read(std::vector<Option>{{"blksize", "65465"}}, 0, Limits{}).has_oack());
  EXPECT_FALSE(negotiate_read(std::vector<Option>{{"timeout", "256"}}, 0, Limits{}).has_oack());
  EXPECT_FALSE(negotiate_read(std::vector<Option>{{"windowsize", "65536"}}, 0, Limits{}).has_oack());
}

TEST(TftpOptions, TsizeAnswersFileSizeWhateverWasAsked) {
  Negotiated n = negotiate_read(std::vector<Option>{{"tsize", "12345"}}, 5ull << 32, Limits{});
  EXPECT_EQ(oack(n), "\0\6tsize\00021474836480\0"sv);
}

TEST(TftpOptions, RepeatedOptionAnsweredOnceFirstValidWins) {
  const std::vector<Option> asked = {{"blksize", "bad"}, {"blksize", "1024"}, {"blksize", "512"}};
  Negotiated n = negotiate_read(asked, 0, Limits{});
  EXPECT_EQ(n.blksize, 1024);
  EXPECT_EQ(oack(n), "\0\6blksize\0001024\0"sv);
}

TEST(TftpOptions, EdkProbeAnsweredFully) {
  const std::vector<Option> asked = {{"tsize", "0"}, {"blksize", "1468"}, {"windowsize", "4"}};
  Negotiated n = negotiate_read(asked, 4096, Limits{});
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
  Negotiated n = negotiate_read(asked, ~std::uint64_t{0}, Limits{});
  std::array<std::uint8_t, 16> small{};
  EXPECT_TRUE(build_oack(n, small).empty());
}

}  // namespace
}  // namespace ringboot::tftp

namespace ringboot::tftp {
namespace {
TEST(WindowBytes, LargeBlocksGetASmallerWindow) {
  Limits limits;
  limits.blksize_max = 65464;
  limits.window_bytes_max = 128 * 1024;
  const std::vector<Option> asked = {{"windowsize", "64"}, {"blksize", "65464"}};
  const Negotiated n = negotiate_read(asked, 1 << 20, limits);
  EXPECT_EQ(n.blksize, 65464);
  EXPECT_EQ(n.windowsize, 2);  // 2 * 65464 fits 128 KiB, 3 would not
  EXPECT_TRUE(n.accepted(OptionKind::windowsize));
}
TEST(WindowBytes, SmallBlocksKeepTheirWindow) {
  Limits limits;
  const std::vector<Option> asked = {{"blksize", "1468"}, {"windowsize", "16"}};
  EXPECT_EQ(negotiate_read(asked, 1 << 20, limits).windowsize, 16);
  limits.window_bytes_max = 0;
  const std::vector<Option> big = {{"blksize", "1468"}, {"windowsize", "64"}};
  EXPECT_EQ(negotiate_read(big, 1 << 20, limits).windowsize, 64);
}
}  // namespace
}  // namespace ringboot::tftp
