#include <gtest/gtest.h>

#include "dhcp/rules.h"
#include "support/dhcp_client_packet.h"

namespace ringboot::dhcp {
namespace {

Ipv4 ip(std::string_view s) { return *Ipv4::parse(s); }

BootMatch arch_match(std::vector<std::uint16_t> arch) {
  BootMatch m;
  m.arch = std::move(arch);
  return m;
}
BootMatch ipxe_match(bool ipxe) {
  BootMatch m;
  m.ipxe = ipxe;
  return m;
}

BootRule rule(std::size_t index, BootMatch m, std::string file) {
  BootRule r;
  r.index = index;
  r.name = "boot[" + std::to_string(index) + "]";
  r.match = std::move(m);
  r.file = std::move(file);
  return r;
}

ClientFacts firmware(std::uint16_t arch) {
  ClientFacts f;
  f.arch = arch;
  f.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  return f;
}

TEST(DhcpRules, CidrAndMacPattern) {
  auto c = Cidr::parse("10.0.0.0/24");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("10.0.0.200")));
  EXPECT_FALSE(c->contains(ip("10.0.1.1")));
  EXPECT_EQ(c->broadcast(), ip("10.0.0.255"));
  EXPECT_FALSE(Cidr::parse("10.0.0.1/24"));  // host bits set
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0"));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(ip("1.2.3.4")));
  auto p = MacPattern::parse("52:54:00");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->matches(*Mac::parse("52:54:00:aa:bb:cc")));
  EXPECT_FALSE(p->matches(*Mac::parse("52:55:00:aa:bb:cc")));
  EXPECT_FALSE(MacPattern::parse("52:54:0"));
  EXPECT_FALSE(MacPattern::parse("52:54:00:"));
  EXPECT_FALSE(MacPattern::parse("52:54:00:11:22:33:44"));
}

TEST(DhcpRules, ArchListAndFirstMatchWins) {
  std::vector<BootRule> rules;
  rules.push_back(rule(0, arch_match({7, 9}), "ipxe.efi"));
  rules.push_back(rule(1, arch_match({9}), "never.efi"));
  rules.push_back(rule(2, {}, "catchall"));
  EXPECT_EQ(match_boot_rule(rules, firmware(9))->file, "ipxe.efi");
  EXPECT_EQ(match_boot_rule(rules, firmware(7))->index, 0u);
  EXPECT_EQ(match_boot_rule(rules, firmware(0))->file, "catchall");
  ClientFacts no_arch;
  EXPECT_EQ(match_boot_rule(rules, no_arch)->index, 2u);
  rules.pop_back();
  EXPECT_EQ(match_boot_rule(rules, firmware(0)), nullptr);
}

TEST(DhcpRules, IpxeBy77AloneAnd175Alone) {
  std::vector<BootRule> rules;
  rules.push_back(rule(0, ipxe_match(true), "http://10.0.0.1/boot.ipxe"));
  rules.push_back(rule(1, arch_match({7}), "ipxe.efi"));
  Packet p;
  auto by77 = ClientPacket(MessageType::discover).arch(7).option_text(option::kUserClass, "iPXE").bytes();
  ASSERT_TRUE(parse_packet(Bytes(by77), p).ok());
  EXPECT_EQ(match_boot_rule(rules, facts_of(p, {}))->index, 0u);
  auto by175 = ClientPacket(MessageType::discover).arch(7).option(option::kIpxeEncapsulated, {19, 1, 1}).bytes();
  ASSERT_TRUE(parse_packet(Bytes(by175), p).ok());
  EXPECT_EQ(match_boot_rule(rules, facts_of(p, {}))->index, 0u);
  auto fw = ClientPacket(MessageType::discover).arch(7).bytes();
  ASSERT_TRUE(parse_packet(Bytes(fw), p).ok());
  EXPECT_EQ(match_boot_rule(rules, facts_of(p, {}))->index, 1u);
  // ipxe = false matches firmware only.
  std::vector<BootRule> fw_only{rule(0, ipxe_match(false), "x")};
  EXPECT_EQ(match_boot_rule(fw_only, facts_of(p, {}))->index, 0u);
  ClientFacts ipxe = facts_of(p, {});
  ipxe.ipxe = true;
  EXPECT_EQ(match_boot_rule(fw_only, ipxe), nullptr);
}

TEST(DhcpRules, VendorClassMacSubnetAllMustMatch) {
  BootMatch m;
  m.vendor_class = "HTTPClient";
  m.mac = MacPattern::parse("52:54:00");
  m.subnet = Cidr::parse("10.0.0.0/24");
  ClientFacts f;
  f.vendor_class = "HTTPClient:Arch:00016";
  f.mac = *Mac::parse("52:54:00:01:02:03");
  f.client_address = ip("10.0.0.7");
  EXPECT_TRUE(matches(m, f));
  f.client_address = {};
  EXPECT_FALSE(matches(m, f));
  f.relay_address = ip("10.0.0.1");  // relayed from that subnet
  EXPECT_TRUE(matches(m, f));
  f.mac = *Mac::parse("52:55:00:01:02:03");
  EXPECT_FALSE(matches(m, f));
  f.mac = *Mac::parse("52:54:00:01:02:03");
  f.vendor_class = "PXEClient";
  EXPECT_FALSE(matches(m, f));
}

TEST(DhcpRules, HttpBootDetection) {
  EXPECT_TRUE(is_http_boot(firmware(16)));
  EXPECT_TRUE(is_http_boot(firmware(19)));
  EXPECT_FALSE(is_http_boot(firmware(7)));
  ClientFacts vc;
  vc.vendor_class = "HTTPClient:Arch:00016:UNDI:003000";
  EXPECT_TRUE(is_http_boot(vc));
  EXPECT_EQ(classify(vc), ArchClass::http);
  EXPECT_EQ(classify(firmware(0)), ArchClass::bios);
  EXPECT_EQ(classify(firmware(9)), ArchClass::uefi_x64);
  EXPECT_EQ(classify(firmware(11)), ArchClass::uefi_arm64);
  EXPECT_EQ(classify(firmware(22)), ArchClass::other);
}

// With the defaults, every firmware gets a binary and every iPXE the script:
// iPXE never loads itself.
TEST(DhcpRules, DefaultsNeverLoopIpxe) {
  const auto rules = default_boot_rules(ip("10.0.0.1"));
  for (std::uint16_t arch :
       {std::uint16_t{0}, std::uint16_t{7}, std::uint16_t{9}, std::uint16_t{11}, std::uint16_t{16}}) {
    ClientFacts fw = firmware(arch);
    const BootRule* r = match_boot_rule(rules, fw);
    ASSERT_NE(r, nullptr) << arch;
    EXPECT_EQ(r->file.find(".ipxe"), std::string::npos) << arch;
    ClientFacts ipxe = fw;
    ipxe.ipxe = true;
    const BootRule* s = match_boot_rule(rules, ipxe);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->file, "http://10.0.0.1/boot.ipxe") << arch;
  }
  EXPECT_EQ(match_boot_rule(rules, firmware(0))->file, "undionly.kpxe");
  EXPECT_EQ(match_boot_rule(rules, firmware(7))->file, "ipxe.efi");
  EXPECT_EQ(match_boot_rule(rules, firmware(16))->file, "http://10.0.0.1/ipxe.efi");
}

}  // namespace
}  // namespace ringboot::dhcp
