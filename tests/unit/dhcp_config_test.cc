#include <gtest/gtest.h>

#include <toml++/toml.h>

#include "dhcp/config.h"

namespace ringboot::dhcp {
namespace {

DhcpConfigResult load(std::string_view text) {
  toml::table root = toml::parse(text, std::string_view("ringboot.toml"));
  return parse_dhcp_config(root, "ringboot.toml");
}

bool has_error(const DhcpConfigResult& r, std::string_view needle) {
  for (const auto& e : r.errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

std::string errors(const DhcpConfigResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e + "\n";
  return out;
}

constexpr std::string_view kGood = R"([dhcp]
mode = "server"
interface = "eth0"
server_address = "10.0.0.1"
lease_file = "/tmp/leases"
leases_max = 1000

[[dhcp.boot]]
match = { ipxe = true }
file = "http://10.0.0.1/boot.ipxe"
[[dhcp.boot]]
name = "bios"
match = { arch = [0], mac = "52:54:00", subnet = "10.0.0.0/24", vendor_class = "PXEClient" }
file = "undionly.kpxe"
next_server = "10.0.0.2"

[[dhcp.subnet]]
cidr = "10.0.0.0/24"
range = ["10.0.0.100", "10.0.0.200"]
router = "10.0.0.1"
dns = ["10.0.0.1", "1.1.1.1"]
domain = "example"
lease_seconds = 600

[[dhcp.host]]
mac = "52:54:00:12:34:56"
address = "10.0.0.50"
hostname = "node1"
)";

TEST(DhcpConfig, ParsesFullExample) {
  auto r = load(kGood);
  ASSERT_TRUE(r.ok()) << errors(r);
  const DhcpConfig& c = r.config;
  EXPECT_EQ(c.mode, Mode::server);
  EXPECT_EQ(c.interface, "eth0");
  EXPECT_EQ(c.server_address, Ipv4::parse("10.0.0.1"));
  EXPECT_EQ(c.leases_max, 1000u);
  ASSERT_EQ(c.boot.size(), 2u);
  EXPECT_EQ(c.boot[0].match.ipxe, true);
  EXPECT_EQ(c.boot[0].name, "boot[0]");
  EXPECT_EQ(c.boot[1].name, "bios");
  EXPECT_EQ(c.boot[1].index, 1u);
  EXPECT_EQ(c.boot[1].match.arch, std::vector<std::uint16_t>{0});
  EXPECT_EQ(c.boot[1].match.mac->length, 3);
  EXPECT_EQ(c.boot[1].next_server, Ipv4::parse("10.0.0.2"));
  ASSERT_EQ(c.subnets.size(), 1u);
  EXPECT_EQ(c.subnets[0].dns.size(), 2u);
  EXPECT_EQ(c.subnets[0].lease_seconds, 600u);
  EXPECT_EQ(c.subnets[0].domain, "example");
  ASSERT_EQ(c.hosts.size(), 1u);
  EXPECT_EQ(c.hosts[0].hostname, "node1");
}

TEST(DhcpConfig, MissingSectionIsOff) {
  auto r = load("[tftp]\nroot = \"/srv\"\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.mode, Mode::off);
}

TEST(DhcpConfig, SharedPortIsForProxyOnly) {
  auto proxy = load("[dhcp]\nmode = \"proxy\"\ninterface = \"br0\"\nshared_port = true\n");
  ASSERT_TRUE(proxy.ok()) << errors(proxy);
  EXPECT_TRUE(proxy.config.shared_port);
  EXPECT_FALSE(load("[dhcp]\nmode = \"proxy\"\ninterface = \"br0\"\n").config.shared_port);
  auto server = load("[dhcp]\nmode = \"server\"\ninterface = \"br0\"\nshared_port = true\n"
                     "[[dhcp.subnet]]\ncidr = \"10.0.0.0/24\"\nrange = [\"10.0.0.10\", \"10.0.0.20\"]\n");
  EXPECT_TRUE(has_error(server, "ringboot.toml:4: 'shared_port' is for mode \"proxy\" only")) << errors(server);
  auto typed = load("[dhcp]\nmode = \"proxy\"\ninterface = \"br0\"\nshared_port = 1\n");
  EXPECT_TRUE(has_error(typed, "ringboot.toml:4: 'shared_port' must be true or false")) << errors(typed);
}

TEST(DhcpConfig, UnknownKeysWithLineNumbers) {
  auto r = load("[dhcp]\nmode = \"proxy\"\ninterface = \"eth0\"\nbogus = 1\n[[dhcp.boot]]\nfile = \"x\"\nmatch = { arch = [0], cpu = 1 }\n");
  EXPECT_TRUE(has_error(r, "ringboot.toml:4: unknown key 'bogus' in [dhcp]")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:7: unknown key 'cpu' in match")) << errors(r);
}

TEST(DhcpConfig, BadValuesReportTheirLine) {
  auto r = load(R"([dhcp]
mode = "relay"
interface = "eth0"
server_address = "10.0.0.300"
[[dhcp.subnet]]
cidr = "10.0.0.0/24"
range = ["10.0.0.100", "10.0.1.200"]
lease_seconds = "long"
[[dhcp.host]]
mac = "52:54:00:12:34:56"
address = "192.168.1.5"
[[dhcp.host]]
mac = "52:54:00:12:34"
address = "10.0.0.5"
)");
  EXPECT_TRUE(has_error(r, "ringboot.toml:2: 'mode' must be")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:4: 'server_address': bad IPv4")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:7: 'range' is not inside 10.0.0.0/24")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:8: 'lease_seconds' must be an integer")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:11: 'address' 192.168.1.5 is not inside any")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:13: 'mac': bad MAC")) << errors(r);
}

TEST(DhcpConfig, StructuralErrors) {
  auto r = load(R"([dhcp]
mode = "server"
interface = "eth0"
[[dhcp.boot]]
match = { arch = [70000] }
[[dhcp.subnet]]
cidr = "10.0.0.1/24"
range = ["10.0.0.0", "10.0.0.10"]
[[dhcp.subnet]]
cidr = "10.0.0.0/16"
range = ["10.0.0.10", "10.0.0.1"]
)");
  EXPECT_TRUE(has_error(r, ":5: 'arch' entries must be integers")) << errors(r);
  EXPECT_TRUE(has_error(r, ":4: [[dhcp.boot]] needs 'file'")) << errors(r);
  EXPECT_TRUE(has_error(r, ":7: 'cidr' must be a CIDR")) << errors(r);
  EXPECT_TRUE(has_error(r, ":11: 'range' first address is after the last")) << errors(r);
  auto overlap = load(R"([dhcp]
mode = "server"
interface = "eth0"
[[dhcp.subnet]]
cidr = "10.0.0.0/24"
range = ["10.0.0.0", "10.0.0.10"]
[[dhcp.subnet]]
cidr = "10.0.0.0/16"
range = ["10.0.1.10", "10.0.1.20"]
)");
  EXPECT_TRUE(has_error(overlap, ":6: 'range' must not include the network")) << errors(overlap);
  EXPECT_TRUE(has_error(overlap, ":7: subnet 10.0.0.0/16 overlaps 10.0.0.0/24")) << errors(overlap);
  auto no_subnet = load("[dhcp]\nmode = \"server\"\ninterface = \"eth0\"\n");
  EXPECT_TRUE(has_error(no_subnet, "needs at least one [[dhcp.subnet]]")) << errors(no_subnet);
}

}  // namespace
}  // namespace ringboot::dhcp
