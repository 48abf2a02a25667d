#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/config.h"

// The [dhcp6] section through the one config reader (src/app/config.cc).
namespace ringboot {
namespace {

std::vector<std::string> load(std::string_view text, Settings* settings) {
  std::vector<std::string> out;
  for (const auto& e : load_config_text(text, "ringboot.toml", settings)) out.push_back(e.to_string());
  return out;
}

bool has(const std::vector<std::string>& errors, std::string_view needle) {
  for (const auto& e : errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

constexpr std::string_view kGood = R"([dhcp6]
mode = "server"
interface = "br0"
server_address = "2001:db8::1"
leases_max = 500
rapid_commit = false

[[dhcp6.subnet]]
prefix = "2001:db8::/64"
range = ["2001:db8::100", "2001:db8::1ff"]
preferred_seconds = 1800
valid_seconds = 3600
dns = ["2001:db8::53"]

[[dhcp6.host]]
mac = "52:54:00:00:00:01"
address = "2001:db8::50"
[[dhcp6.host]]
duid = "00:03:00:01:52:54:00:00:00:02"
address = "2001:db8::51"
)";

TEST(Dhcp6Config, ValidSectionSetsValuesAndDumpsBackTheSame) {
  Settings s;
  const auto errors = load(kGood, &s);
  ASSERT_TRUE(errors.empty()) << errors[0];
  EXPECT_EQ(s.dhcp6.mode, dhcp6::Mode::server);
  EXPECT_EQ(s.dhcp6.interface, "br0");
  EXPECT_EQ(s.dhcp6.server_address.to_string(), "2001:db8::1");
  EXPECT_EQ(s.dhcp6.leases_max, 500u);
  EXPECT_FALSE(s.dhcp6.rapid_commit);
  ASSERT_EQ(s.dhcp6.subnets.size(), 1u);
  EXPECT_EQ(s.dhcp6.subnets[0].prefix.to_string(), "2001:db8::/64");
  EXPECT_EQ(s.dhcp6.subnets[0].range_last.to_string(), "2001:db8::1ff");
  EXPECT_EQ(s.dhcp6.subnets[0].valid_seconds, 3600u);
  ASSERT_EQ(s.dhcp6.hosts.size(), 2u);
  EXPECT_EQ(s.dhcp6.hosts[0].mac->to_string(), "52:54:00:00:00:01");
  EXPECT_EQ(s.dhcp6.hosts[1].duid->to_string(), "00:03:00:01:52:54:00:00:00:02");

  const std::string dump = dump_config(s);
  Settings again;
  const auto reread = load(dump, &again);
  ASSERT_TRUE(reread.empty()) << reread[0] << "\n" << dump;
  EXPECT_EQ(dump_config(again), dump);
  EXPECT_EQ(again.dhcp6.hosts[1].duid->to_string(), "00:03:00:01:52:54:00:00:00:02");
}

TEST(Dhcp6Config, TheLeaseFileIsUnderStateDirAndNotTheIpv4One) {
  Settings s;
  ASSERT_TRUE(load(std::string("state_dir = \"/srv/state\"\n") + std::string(kGood), &s).empty());
  EXPECT_TRUE(apply_state_dir(&s).empty());
  EXPECT_EQ(s.dhcp6.lease_file, "/srv/state/leases6");
  Settings same;
  const std::string both =
      "[dhcp]\nmode = \"server\"\ninterface = \"br0\"\nlease_file = \"/srv/l\"\n"
      "[[dhcp.subnet]]\ncidr = \"10.0.0.0/24\"\nrange = [\"10.0.0.10\", \"10.0.0.20\"]\n" +
      std::string(kGood).replace(std::string(kGood).find("leases_max"), 0, "lease_file = \"/srv/l\"\n");
  ASSERT_TRUE(load(both, &same).empty()) << load(both, &same)[0];
  same.config_file = "ringboot.toml";
  const auto errors = apply_state_dir(&same);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "ringboot.toml: dhcp.lease_file and dhcp6.lease_file are both \"/srv/l\": each family needs a journal "
            "of its own");
}

TEST(Dhcp6Config, BadEntriesSayWhereAndWhy) {
  Settings s;
  const auto errors = load(R"([dhcp6]
mode = "server"
server_address = "2001:db8::1"
[[dhcp6.subnet]]
prefix = "2001:db8::/64"
range = ["2001:db8::100", "2001:db8:1::1"]
[[dhcp6.subnet]]
prefix = "2001:db8:2::1/64"
range = ["2001:db8:2::1", "2001:db8:2::2"]
[[dhcp6.host]]
address = "2001:db8::50"
[[dhcp6.host]]
mac = "52:54:00:00:00:01"
address = "2001:db9::50"
)",
                           &s);
  EXPECT_TRUE(has(errors, "ringboot.toml:1: dhcp6.interface: is required when DHCPv6 is on")) << errors[0];
  EXPECT_TRUE(has(errors, "ringboot.toml:6: dhcp6.subnet[0].range: range is not inside 2001:db8::/64"));
  EXPECT_TRUE(has(errors, "ringboot.toml:8: dhcp6.subnet[0].prefix: \"2001:db8:2::1/64\" is not an IPv6 prefix"));
  EXPECT_TRUE(has(errors, "ringboot.toml:10: dhcp6.host[0]: needs exactly one of mac and duid"));
  EXPECT_TRUE(has(errors, "ringboot.toml:14: dhcp6.host[0].address: 2001:db9::50 is not inside any [[dhcp6.subnet]]"));

  Settings t;
  EXPECT_TRUE(has(load("[dhcp6]\nmode = \"sometimes\"\n", &t), "ringboot.toml:2: dhcp6.mode"));
  Settings u;
  EXPECT_TRUE(
      has(load("[dhcp6]\nmode = \"stateless\"\ninterface = \"br0\"\n", &u), "dhcp6.server_address: is required"));
  Settings v;
  EXPECT_TRUE(
      load("[dhcp6]\nmode = \"stateless\"\ninterface = \"br0\"\nserver_address = \"2001:db8::1\"\n", &v).empty());
}

}  // namespace
}  // namespace ringboot
