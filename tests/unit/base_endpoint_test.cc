// Addresses of both families: parsing, RFC 5952 text (checked against the C
// library's inet_ntop/inet_pton on random addresses), endpoints and keys.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <unordered_set>

#include "base/endpoint.h"

namespace ringboot {
namespace {

Ipv6 v6(std::string_view text) {
  auto parsed = Ipv6::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Ipv6{});
}

TEST(Ipv6, PrintsRfc5952) {
  EXPECT_EQ(v6("2001:0DB8:0000:0000:0000:0000:0000:0001").to_string(), "2001:db8::1");
  EXPECT_EQ(v6("::").to_string(), "::");
  EXPECT_EQ(v6("::1").to_string(), "::1");
  EXPECT_EQ(v6("1::").to_string(), "1::");
  // One zero group is not compressed (RFC 5952 4.2.2).
  EXPECT_EQ(v6("2001:db8:0:1:1:1:1:1").to_string(), "2001:db8:0:1:1:1:1:1");
  // The longest run is compressed (4.2.3); of equal runs, the first.
  EXPECT_EQ(v6("2001:0:0:1:0:0:0:1").to_string(), "2001:0:0:1::1");
  EXPECT_EQ(v6("2001:db8:0:0:1:0:0:1").to_string(), "2001:db8::1:0:0:1");
  EXPECT_EQ(v6("fe80::a00:27ff:FE4E:66A1").to_string(), "fe80::a00:27ff:fe4e:66a1");
  EXPECT_EQ(v6("::ffff:10.0.0.1").to_string(), "::ffff:10.0.0.1");
  Ipv6 scoped = v6("fe80::1");
  scoped.scope = 3;
  EXPECT_EQ(scoped.to_string(), "fe80::1%3");
}

TEST(Ipv6, RejectsMalformed) {
  for (const char* bad : {"", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1",
                          ":1::", "1::2:", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "[::1]", "::1%2", "::256.0.0.1"})
    EXPECT_FALSE(Ipv6::parse(bad).has_value()) << bad;
  EXPECT_TRUE(Ipv6::parse("1:2:3:4:5:6:7::").has_value());
  EXPECT_TRUE(Ipv6::parse("::2:3:4:5:6:7:8").has_value());
  EXPECT_TRUE(Ipv6::parse("1:2:3:4:5:6:1.2.3.4").has_value());
}

// Random addresses, with runs of zero groups made likely, print as inet_ntop
// prints them and parse back as inet_pton parses them.
TEST(Ipv6, MatchesTheCLibrary) {
  std::mt19937 rng(13);
  for (int n = 0; n < 20000; ++n) {
    Ipv6 a;
    for (std::size_t g = 0; g < 8; ++g) {
      const unsigned kind = rng() % 4;
      const std::uint16_t value = kind < 2    ? 0
                                  : kind == 2 ? static_cast<std::uint16_t>(rng() % 16)
                                              : static_cast<std::uint16_t>(rng());
      a.bytes[2 * g] = static_cast<std::uint8_t>(value >> 8);
      a.bytes[2 * g + 1] = static_cast<std::uint8_t>(value);
    }
    char text[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, a.bytes.data(), text, sizeof text), nullptr);
    ASSERT_EQ(a.to_string(), text);
    const auto back = Ipv6::parse(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, a) << text;
    std::array<std::uint8_t, 16> libc{};
    ASSERT_EQ(inet_pton(AF_INET6, a.to_string().c_str(), libc.data()), 1);
    ASSERT_EQ(libc, a.bytes);
  }
}

TEST(Endpoint, ParsesBothFamilies) {
  EXPECT_EQ(Endpoint::parse("0.0.0.0:69"), (Endpoint{Ipv4{0}, 69}));
  EXPECT_EQ(Endpoint::parse("[::]:69"), (Endpoint{Ipv6{}, 69}));
  EXPECT_EQ(Endpoint::parse("[2001:db8::1]:80"), (Endpoint{v6("2001:db8::1"), 80}));
  EXPECT_EQ(Endpoint::parse("[::1]:8080"), (Endpoint{v6("::1"), 8080}));
  EXPECT_EQ(Endpoint::parse("[2001:DB8::1]:80")->to_string(), "[2001:db8::1]:80");
  EXPECT_EQ(Endpoint::parse("[::]:69")->to_string(), "[::]:69");
  EXPECT_EQ(Endpoint::parse("10.0.0.1:67")->to_string(), "10.0.0.1:67");
  EXPECT_TRUE(Endpoint::parse("[::]:69")->ip.is_unspecified());
  EXPECT_FALSE(Endpoint::parse("[::1]:69")->ip.is_unspecified());
  // An IPv4 and an IPv6 endpoint are never equal, not even both wildcards.
  EXPECT_NE(Endpoint::parse("0.0.0.0:69"), Endpoint::parse("[::]:69"));
}

TEST(Endpoint, RejectsWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c :
       {Case{"::1:69", "brackets"}, Case{"2001:db8::1", "brackets"}, Case{"[::1]", "no :PORT"},
        Case{"[::1]69", "no :PORT"}, Case{"[::1:69", "']'"}, Case{"[::1]:", "port"}, Case{"[::1]:65536", "port"},
        Case{"1.2.3.4:x", "port"}, Case{"1.2.3.4", "no :PORT"}, Case{"[1.2.3.4]:69", "not an IPv6"},
        Case{"[::g]:69", "not an IPv6"}, Case{"1.2.3:69", "not an IPv4"}}) {
    std::string reason;
    EXPECT_FALSE(Endpoint::parse(c.text, &reason).has_value()) << c.text;
    EXPECT_NE(reason.find(c.reason), std::string::npos) << c.text << ": " << reason;
  }
}

TEST(IpAddress, ClientKeyIsTheSlash64ForIpv6) {
  const IpAddress a = v6("2001:db8:1:2::1");
  const IpAddress b = v6("2001:db8:1:2:ffff:eeee:dddd:cccc");
  const IpAddress c = v6("2001:db8:1:3::1");
  EXPECT_EQ(a.client_key(), b.client_key());
  EXPECT_NE(a.client_key(), c.client_key());
  // IPv4 keys never meet IPv6 ones, not even ::1 against 0.0.0.1.
  EXPECT_NE(IpAddress(v6("::1")).client_key(), IpAddress(Ipv4{1}).client_key());
  EXPECT_NE(IpAddress(v6("::")).client_key(), IpAddress(Ipv4{0}).client_key());
  EXPECT_NE(IpAddress(Ipv4{1}).client_key(), IpAddress(Ipv4{2}).client_key());
  EXPECT_EQ(IpAddress(v6("::1")).v4(), Ipv4{});
  EXPECT_EQ(IpAddress(Ipv4{7}).v4(), Ipv4{7});
}

TEST(Endpoint, HashesAllOfTheAddress) {
  std::unordered_set<Endpoint, EndpointHash> seen;
  for (const char* text : {"[2001:db8::1]:69", "[2001:db8::2]:69", "[2001:db8::1]:70", "[2001:db9::1]:69",
                           "10.0.0.1:69", "10.0.0.2:69", "[::ffff:10.0.0.1]:69"})
    EXPECT_TRUE(seen.insert(*Endpoint::parse(text)).second) << text;
  EXPECT_FALSE(seen.insert(*Endpoint::parse("[2001:DB8::1]:69")).second);
}

}  // namespace
}  // namespace ringboot

namespace ringboot {
namespace {
TEST(Ipv4Text, EveryOctetWidth) {
  EXPECT_EQ(Ipv4{0}.to_string(), "0.0.0.0");
  EXPECT_EQ(Ipv4{0x0a000001}.to_string(), "10.0.0.1");
  EXPECT_EQ(Ipv4{0xc0a86409}.to_string(), "192.168.100.9");
  EXPECT_EQ(Ipv4{0xffffffff}.to_string(), "255.255.255.255");
  std::string out = "from=";
  Ipv4{0x7f000001}.append_to(out);
  EXPECT_EQ(out, "from=127.0.0.1");
  for (std::uint32_t v : {0x01020304u, 0x63646566u, 0x09630affu}) EXPECT_EQ(Ipv4::parse(Ipv4{v}.to_string()), Ipv4{v});
}
}  // namespace
}  // namespace ringboot
