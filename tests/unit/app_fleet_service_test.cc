#include <gtest/gtest.h>

#include "app/fleet_service.h"

// SharedFleet: what /boot.ipxe and /ipxe answer, from a request's target and Host.
namespace ringboot {
namespace {

fleet::FleetConfig install_all(std::string http_base = "") {
  fleet::FleetConfig c;
  c.settings.http_base = std::move(http_base);
  fleet::Profile p;
  p.name = "p";
  p.kernel = "{{http_base}}/k";
  p.cmdline = "done={{done_url}}";
  c.profiles = {p};
  fleet::Group g;
  g.profile = "p";
  c.groups = {g};
  return c;
}

TEST(SharedFleet, UrlsFromAPlainHostOnly) {
  SharedFleet f(install_all());
  EXPECT_NE(f.chain("10.0.0.1:8080").find("chain http://10.0.0.1:8080/ipxe?mac=${mac:hexhyp}&"), std::string::npos);
  EXPECT_NE(f.chain("[fe80::1]:80").find("chain http://[fe80::1]:80/ipxe?"), std::string::npos);
  // A Host iPXE would expand or split on never reaches a script: iPXE's own server instead.
  for (const std::string_view bad : {"x${net0/ip}", "a b", "a/b", "", "a\"b"})
    EXPECT_NE(f.chain(bad).find("chain http://${next-server}/ipxe?"), std::string::npos) << bad;
  EXPECT_NE(f.chain(std::nullopt).find("chain http://${next-server}/ipxe?"), std::string::npos);
}

TEST(SharedFleet, ConfiguredHttpBaseWins) {
  SharedFleet f(install_all("http://boot.example:81"));
  EXPECT_NE(f.chain("10.0.0.1").find("chain http://boot.example:81/ipxe?"), std::string::npos);
  const std::string script = f.ipxe("/ipxe?mac=52-54-00-12-34-56&platform=efi", Ipv4::parse("10.0.0.7"), "h", 1);
  EXPECT_NE(
      script.find(
          "kernel http://boot.example:81/k done=http://boot.example:81/api/v1/machines/52-54-00-12-34-56/done?token="),
      std::string::npos)
      << script;
}

TEST(SharedFleet, DecodesTheQueryAndTokensDiffer) {
  SharedFleet f(install_all());
  const std::string a = f.ipxe("/ipxe?mac=52%2d54%2d00%2d12%2d34%2d56&platform=efi", std::nullopt, "h", 1);
  const std::string b = f.ipxe("/ipxe?platform=efi&mac=52:54:00:12:34:56", std::nullopt, "h", 2);
  ASSERT_NE(a.find("/api/v1/machines/52-54-00-12-34-56/done?token="), std::string::npos) << a;
  ASSERT_NE(b.find("/api/v1/machines/52-54-00-12-34-56/done?token="), std::string::npos) << b;
  EXPECT_NE(a, b);  // getrandom: a fresh token per install rendering
  const std::string none = f.ipxe("/ipxe?platform=pcbios", std::nullopt, "h", 3);
  EXPECT_NE(none.find("echo ringboot: no valid MAC in the request"), std::string::npos) << none;
  EXPECT_NE(none.find("\nsanboot --no-describe --drive 0x80\n"), std::string::npos) << none;
}

// /ipxe over IPv6: the peer is the machine's IPv6 address, and a transfer
// from it moves the machine's timeline.
TEST(SharedFleet, AnIpv6PeerNamesTheMachine) {
  SharedFleet f(install_all());
  const IpAddress peer = *IpAddress::parse("2001:db8::7");
  const std::string script = f.ipxe("/ipxe?mac=52-54-00-12-34-56&platform=efi", peer, "[2001:db8::1]", 1000);
  ASSERT_NE(script.find("kernel http://[2001:db8::1]/k "), std::string::npos) << script;
  fleet::Fetch kernel;
  kernel.peer = peer;
  kernel.path = "/k";
  kernel.ok = true;
  f.fetched(kernel, 2000);
  f.read([](const fleet::Fleet& engine) {
    const fleet::Machine* m = engine.machine(*Mac::parse_any("52:54:00:12:34:56"));
    EXPECT_NE(m, nullptr);
    if (m == nullptr) return 0;
    EXPECT_EQ(m->ip6, Ipv6::parse("2001:db8::7"));
    EXPECT_FALSE(m->ip.has_value());
    EXPECT_EQ(m->timeline.stage(), fleet::Stage::kernel);
    return 0;
  });
}

TEST(SharedFleet, EnabledFollowsReload) {
  SharedFleet f(fleet::FleetConfig{});
  EXPECT_FALSE(f.enabled());
  f.configure(install_all());
  EXPECT_TRUE(f.enabled());
  f.configure(fleet::FleetConfig{});
  EXPECT_FALSE(f.enabled());
}

}  // namespace
}  // namespace ringboot
