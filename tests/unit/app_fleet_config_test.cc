#include <gtest/gtest.h>

#include "app/config.h"

// [fleet], [[profile]], [[group]] and [[machine]] through the one config reader.
namespace ringboot {
namespace {

struct Loaded {
  Settings settings;
  std::vector<std::string> errors;  // "file:line: key: reason"
  std::string all() const {
    std::string out;
    for (const auto& e : errors) out += e + "\n";
    return out;
  }
};

Loaded load(std::string_view text) {
  Loaded r;
  for (const auto& e : load_config_text(text, "ringboot.toml", &r.settings)) r.errors.push_back(e.to_string());
  return r;
}

constexpr std::string_view kGood = R"(state_dir = "/var/lib/ringboot"
[fleet]
install_attempts_max = 5
http_base = "http://10.0.0.1:8080"

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian/linux"
initrd = ["{{http_base}}/debian/initrd.gz"]
cmdline = "auto=true priority=critical preseed/url={{http_base}}/preseed.cfg"

[[profile]]
name = "rescue"
script = """
#!ipxe
echo {{hostname}} {{#labels}}{{.}} {{/labels}}
shell
"""

[[group]]
name = "rack1"
match = { mac = "52-54-00", arch = ["x86_64", "arm64/efi"], subnet = "10.0.0.0/24", labels = ["rack=a1"], uuid = "4C4C4544-0000" }
profile = "debian12"
once = false

[[machine]]
mac = "52-54-00-AA-BB-CC"
hostname = "node1"
labels = ["rack=a1", "gpu"]
profile = "rescue"
)";

TEST(FleetConfig, ReadsEveryKey) {
  const Loaded r = load(kGood);
  ASSERT_TRUE(r.errors.empty()) << r.all();
  const Settings& s = r.settings;
  EXPECT_EQ(s.state_dir, "/var/lib/ringboot");
  EXPECT_EQ(s.fleet.install_attempts_max, 5u);
  EXPECT_EQ(s.fleet.machines_max, 65536u);
  ASSERT_EQ(s.profiles.size(), 2u);
  EXPECT_EQ(s.profiles[0].initrd.size(), 1u);
  EXPECT_EQ(s.profiles[1].script, "#!ipxe\necho {{hostname}} {{#labels}}{{.}} {{/labels}}\nshell\n");
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].match.mac->length, 3);
  EXPECT_EQ(s.groups[0].match.uuid, "4c4c4544-0000");
  EXPECT_EQ(s.groups[0].match.arch, (std::vector<std::string>{"x86_64", "arm64/efi"}));
  EXPECT_FALSE(s.groups[0].once);
  ASSERT_EQ(s.machines.size(), 1u);
  EXPECT_EQ(s.machines[0].mac.to_string(), "52:54:00:aa:bb:cc");
  EXPECT_EQ(s.machines[0].profile, "rescue");
  EXPECT_TRUE(s.machines[0].once);
  EXPECT_TRUE(s.fleet_config().enabled());
  EXPECT_FALSE(Settings{}.fleet_config().enabled());
}

TEST(FleetConfig, StateDirHoldsTheStoreAndByDefaultTheLeases) {
  Loaded r = load("state_dir = \"/srv/state/\"\n[fleet]\nstore_wait_ms = 250\n");
  ASSERT_TRUE(r.errors.empty()) << r.all();
  EXPECT_EQ(r.settings.fleet.store_wait, milliseconds(250));
  EXPECT_EQ(Settings{}.fleet.store_wait, milliseconds(5000));
  EXPECT_TRUE(r.settings.dhcp.lease_file.empty());  // until the flags are in too
  apply_state_dir(&r.settings);
  EXPECT_EQ(r.settings.dhcp.lease_file, "/srv/state/leases");
  EXPECT_EQ(machine_store_path(r.settings), "/srv/state/machines.db");
  Settings defaults;
  apply_state_dir(&defaults);
  EXPECT_EQ(defaults.dhcp.lease_file, "/var/lib/ringboot/leases");
  EXPECT_EQ(machine_store_path(defaults), "/var/lib/ringboot/machines.db");
  // A lease file of its own stays where it is said to be.
  r = load("state_dir = \"/srv/state\"\n[dhcp]\nlease_file = \"/elsewhere/leases\"\n");
  ASSERT_TRUE(r.errors.empty()) << r.all();
  apply_state_dir(&r.settings);
  EXPECT_EQ(r.settings.dhcp.lease_file, "/elsewhere/leases");
  r = load("state_dir = \"\"\n");
  EXPECT_EQ(r.all(),
            "ringboot.toml:1: state_dir: must not be empty (the machine store and the lease file live there)\n");
  r = load("[fleet]\nstore_wait_ms = 0\n");
  EXPECT_EQ(r.all(), "ringboot.toml:2: fleet.store_wait_ms: 0 is out of range 1..60000\n");
}

TEST(FleetConfig, DumpIsReadAgainTheSame) {
  const Loaded r = load(kGood);
  ASSERT_TRUE(r.errors.empty()) << r.all();
  const std::string dump = dump_config(r.settings);
  const Loaded again = load(dump);
  ASSERT_TRUE(again.errors.empty()) << again.all() << dump;
  EXPECT_EQ(dump_config(again.settings), dump);
  EXPECT_EQ(again.settings.profiles[1].script, r.settings.profiles[1].script);  // newlines survive
}

TEST(FleetConfig, AGroupNamingAnUnknownProfileIsAnErrorAtItsLine) {
  const Loaded r = load("[[profile]]\nname = \"a\"\nscript = \"#!ipxe\"\n\n[[group]]\nprofile = \"b\"\n");
  ASSERT_EQ(r.errors.size(), 1u) << r.all();
  EXPECT_EQ(r.errors[0], "ringboot.toml:6: group[0].profile: no [[profile]] is named \"b\"");
  EXPECT_TRUE(load("[[group]]\nprofile = \"local\"\n").errors.empty());
}

TEST(FleetConfig, ProfileErrors) {
  EXPECT_EQ(load("[[profile]]\nname = \"local\"\nscript = \"x\"\n").all(),
            "ringboot.toml:2: profile[0].name: \"local\" is reserved for local boot\n");
  EXPECT_EQ(load("[[profile]]\nname = \"a\"\nscript = \"x\"\n[[profile]]\nname = \"a\"\nscript = \"y\"\n").all(),
            "ringboot.toml:5: profile[1].name: profile \"a\" is declared twice\n");
  const Loaded unclosed = load("[[profile]]\nname = \"a\"\n\nscript = \"\"\"\n#!ipxe\n{{#labels}}\n\"\"\"\n");
  ASSERT_EQ(unclosed.errors.size(), 1u);
  EXPECT_NE(unclosed.errors[0].find("ringboot.toml:4: profile[0].script: section {{#labels}} is not closed"),
            std::string::npos)
      << unclosed.all();
  const Loaded typo = load("[[profile]]\nname = \"a\"\nkernel = \"k\"\ncmdline = \"x={{hostnme}}\"\n");
  EXPECT_NE(typo.all().find("ringboot.toml:4: profile[0].cmdline: unknown variable {{hostnme}}"), std::string::npos)
      << typo.all();
  EXPECT_NE(load("[[profile]]\nname = \"a\"\n").all().find("profile[0].kernel: a profile needs script or kernel"),
            std::string::npos);
}

TEST(FleetConfig, MachineAndFleetErrors) {
  EXPECT_NE(load("[[machine]]\nmac = \"52:54:00:00:00:01\"\n[[machine]]\nmac = \"52-54-00-00-00-01\"\n")
                .all()
                .find("ringboot.toml:4: machine[1].mac: machine 52:54:00:00:00:01 is declared twice"),
            std::string::npos);
  EXPECT_NE(load("[[machine]]\nmac = \"52:54:00:00:00:01\"\nprofile = \"nope\"\n").all().find("machine[0].profile"),
            std::string::npos);
  EXPECT_NE(load("[[machine]]\nmac = \"52:54:00:00:00:01\"\nhostname = \"a b\"\n").all().find("machine[0].hostname"),
            std::string::npos);
  EXPECT_NE(load("[[machine]]\nmac = \"52:54:00:00:00:01\"\nlabels = [\"a\\nb\"]\n").all().find("machine[0].labels"),
            std::string::npos);
  EXPECT_NE(load("[[group]]\nprofile = \"local\"\nmatch = { arch = [\"X86 64\"] }\n").all().find("group[0].match.arch"),
            std::string::npos);
  EXPECT_NE(load("[fleet]\nhttp_base = \"http://x/\"\n").all().find("ringboot.toml:2: fleet.http_base"),
            std::string::npos);
  EXPECT_NE(load("[fleet]\nhttp_base = \"http://${next-server}\"\n").all().find("fleet.http_base"), std::string::npos);
  EXPECT_NE(load("[fleet]\nlocal_boot_efi = \"exit 1\\nshell\"\n").all().find("fleet.local_boot_efi: must be one line"),
            std::string::npos);
  EXPECT_NE(load("[fleet]\nmachines_max = 1\n[[machine]]\nmac = \"52:54:00:00:00:01\"\n[[machine]]\nmac = "
                 "\"52:54:00:00:00:02\"\n")
                .all()
                .find("fleet.machines_max: 2 [[machine]] entries do not fit in machines_max 1"),
            std::string::npos);
}

TEST(FleetConfig, MachinesMaxTakesEffectOnRestart) {
  const Loaded a = load("[fleet]\nmachines_max = 10\ninstall_attempts_max = 2\n");
  const Loaded b = load("[fleet]\nmachines_max = 20\ninstall_attempts_max = 4\n");
  EXPECT_EQ(restart_keys_changed(a.settings, b.settings), std::vector<std::string>{"fleet.machines_max"});
}

}  // namespace
}  // namespace ringboot
