#include <gtest/gtest.h>

#include "app/config.h"
#include "dhcp/config.h"

// The [dhcp] section through the one config reader (src/app/config.cc).
namespace ringboot::dhcp {
namespace {

struct DhcpConfigResult {
  DhcpConfig config;
  std::vector<std::string> errors;  // "file:line: key: reason"
  bool ok() const { return errors.empty(); }
};

DhcpConfigResult load(std::string_view text) {
  Settings settings;
  DhcpConfigResult r;
  for (const auto& e : load_config_text(text, "ringboot.toml", &settings)) r.errors.push_back(e.to_string());
  r.config = settings.dhcp;
  return r;
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
  auto r = load("root = \"/srv\"\n[tftp]\nretries_max = 3\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.mode, Mode::off);
}

TEST(DhcpConfig, SharedPortIsForProxyOnly) {
  auto proxy = load("[dhcp]\nmode = \"proxy\"\ninterface = \"br0\"\nshared_port = true\n");
  ASSERT_TRUE(proxy.ok()) << errors(proxy);
  EXPECT_TRUE(proxy.config.shared_port);
  EXPECT_FALSE(load("[dhcp]\nmode = \"proxy\"\ninterface = \"br0\"\n").config.shared_port);
  auto server = load(
      "[dhcp]\nmode = \"server\"\ninterface = \"br0\"\nshared_port = true\n"
      "[[dhcp.subnet]]\ncidr = \"10.0.0.0/24\"\nrange = [\"10.0.0.10\", \"10.0.0.20\"]\n");
  EXPECT_TRUE(has_error(server, "ringboot.toml:4: dhcp.shared_port: is for mode \"proxy\" only")) << errors(server);
  auto typed = load("[dhcp]\nmode = \"proxy\"\ninterface = \"br0\"\nshared_port = 1\n");
  EXPECT_TRUE(has_error(typed, "ringboot.toml:4: dhcp.shared_port: must be true or false")) << errors(typed);
}

TEST(DhcpConfig, UnknownKeysWithLineNumbers) {
  auto r = load(
      "[dhcp]\nmode = \"proxy\"\ninterface = \"eth0\"\nbogus = 1\n[[dhcp.boot]]\nfile = \"x\"\nmatch = { arch = [0], "
      "cpu = 1 }\n");
  EXPECT_TRUE(has_error(r, "ringboot.toml:4: dhcp.bogus: unknown key")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:7: dhcp.boot[0].match.cpu: unknown key")) << errors(r);
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
  EXPECT_TRUE(has_error(r, "ringboot.toml:2: dhcp.mode: \"relay\" is not \"proxy\", \"server\" or \"off\""))
      << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:4: dhcp.server_address: \"10.0.0.300\" is not an IPv4 address")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:7: dhcp.subnet[0].range: is not inside 10.0.0.0/24")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:8: dhcp.subnet[0].lease_seconds: must be an integer")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:11: dhcp.host[0].address: 192.168.1.5 is not inside any")) << errors(r);
  EXPECT_TRUE(has_error(r, "ringboot.toml:13: dhcp.host[0].mac: \"52:54:00:12:34\" is not a MAC")) << errors(r);
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
  EXPECT_TRUE(has_error(r, ":5: dhcp.boot[0].match.arch: entries must be integers 0..65535")) << errors(r);
  EXPECT_TRUE(has_error(r, ":4: dhcp.boot[0].file: is required")) << errors(r);
  EXPECT_TRUE(has_error(r, ":7: dhcp.subnet[0].cidr: \"10.0.0.1/24\" is not a CIDR")) << errors(r);
  EXPECT_TRUE(has_error(r, ":11: dhcp.subnet[0].range: the first address is after the last")) << errors(r);
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
  EXPECT_TRUE(has_error(overlap, ":6: dhcp.subnet[0].range: must not include the network")) << errors(overlap);
  EXPECT_TRUE(has_error(overlap, ":7: dhcp.subnet[1].cidr: subnet 10.0.0.0/16 overlaps 10.0.0.0/24"))
      << errors(overlap);
  auto no_subnet = load("[dhcp]\nmode = \"server\"\ninterface = \"eth0\"\n");
  EXPECT_TRUE(has_error(no_subnet, ":1: dhcp.mode: \"server\" needs at least one [[dhcp.subnet]]"))
      << errors(no_subnet);
}

constexpr std::string_view kHead = R"([dhcp]
mode = "server"
interface = "eth0"
)";
constexpr std::string_view kSubnet = R"(
[[dhcp.subnet]]
cidr = "10.0.0.0/24"
range = ["10.0.0.100", "10.0.0.110"]
)";

TEST(DhcpConflictConfig, DefaultsAndValues) {
  auto d = load(std::string(kHead) + std::string(kSubnet));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.config.conflict_check, ConflictCheck::icmp);
  EXPECT_EQ(d.config.conflict_check_ms, 200u);
  EXPECT_EQ(d.config.probes_max, 256u);
  auto n = load(std::string(kHead) + "conflict_check = \"none\"\nconflict_check_ms = 50\nprobes_max = 8\n" +
                std::string(kSubnet));
  ASSERT_TRUE(n.ok()) << n.errors.front();
  EXPECT_EQ(n.config.conflict_check, ConflictCheck::none);
  EXPECT_EQ(n.config.conflict_check_ms, 50u);
  EXPECT_EQ(n.config.probes_max, 8u);
  EXPECT_EQ(to_string(ConflictCheck::icmp), "icmp");
}

TEST(DhcpConflictConfig, BadValuesAreErrors) {
  auto arp = load(std::string(kHead) + "conflict_check = \"arp\"\n" + std::string(kSubnet));
  ASSERT_EQ(arp.errors.size(), 1u);
  EXPECT_NE(arp.errors[0].find("ringboot.toml:4: dhcp.conflict_check: \"arp\" is not \"icmp\" or \"none\""),
            std::string::npos)
      << arp.errors[0];
  EXPECT_FALSE(load(std::string(kHead) + "conflict_check_ms = 0\n" + std::string(kSubnet)).ok());
  EXPECT_FALSE(load(std::string(kHead) + "conflict_check_ms = 10001\n" + std::string(kSubnet)).ok());
  EXPECT_FALSE(load(std::string(kHead) + "probes_max = -1\n" + std::string(kSubnet)).ok());
  EXPECT_FALSE(load(std::string(kHead) + "conflict_check = 1\n" + std::string(kSubnet)).ok());
}

}  // namespace
}  // namespace ringboot::dhcp
