#include <gtest/gtest.h>

#include "fleet/engine.h"
#include "fleet/selector.h"

namespace ringboot::fleet {
namespace {

Mac mac(std::string_view text) { return *Mac::parse_any(text); }

// The clock and the random source the tests move by hand.
struct Harness {
  std::int64_t now = 1700000000;
  std::uint8_t next_random = 1;
  Token random() {
    Token t{};
    t.fill(next_random++);
    return t;
  }
  Decision boot(Fleet& f, std::string_view m, std::string_view platform = "efi", std::string_view arch = "x86_64") {
    now += 60;
    BootFacts facts;
    facts.mac = Mac::parse_any(m);
    facts.uuid = "4C4C4544-0000-1111-2222-333333333333";
    facts.buildarch = arch;
    facts.platform = platform;
    facts.ip = Ipv4::parse("10.0.0.50");
    facts.http_base = "http://10.0.0.1:8080";
    return f.boot(facts, now, random());
  }
};

Profile debian() {
  Profile p;
  p.name = "debian";
  p.kernel = "{{http_base}}/debian/linux";
  p.initrd = {"{{http_base}}/debian/initrd.gz"};
  p.cmdline = "auto=true hostname={{hostname}} ringboot.done={{done_url}}";
  return p;
}

FleetConfig one_group(bool once, std::uint32_t attempts_max = 3) {
  FleetConfig c;
  c.settings.install_attempts_max = attempts_max;
  c.profiles = {debian()};
  Group g;
  g.name = "rack1";
  g.match.mac = MacPattern::parse("52:54:00");
  g.profile = "debian";
  g.once = once;
  c.groups = {g};
  return c;
}

// The token the last install script carries, from its done_url.
std::string token_of(const Decision& d) {
  const auto at = d.script.find("/done?token=");
  EXPECT_NE(at, std::string::npos) << d.script;
  return d.script.substr(at + 12, 32);
}

TEST(FleetEngine, InstallOnceThenDoneThenLocal) {
  Fleet f(one_group(true));
  Harness h;
  const Decision first = h.boot(f, "52:54:00:12:34:56");
  ASSERT_TRUE(first.install()) << first.script;
  EXPECT_EQ(first.profile, "debian");
  EXPECT_EQ(first.state, State::installing);
  EXPECT_EQ(first.install_attempts, 1u);
  EXPECT_NE(first.script.find("kernel http://10.0.0.1:8080/debian/linux initrd=initrd0 auto=true"), std::string::npos)
      << first.script;
  EXPECT_NE(first.script.find("initrd --name initrd0 http://10.0.0.1:8080/debian/initrd.gz"), std::string::npos);
  EXPECT_EQ(f.done(mac("52:54:00:12:34:56"), token_of(first), h.now), DoneResult::accepted);
  const Machine* m = f.machine(mac("52:54:00:12:34:56"));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, State::done);
  EXPECT_EQ(m->install_attempts, 0u);
  const Decision after = h.boot(f, "52:54:00:12:34:56");
  EXPECT_EQ(after.reason, Reason::done);
  EXPECT_NE(after.script.find("\nexit 1\n"), std::string::npos) << after.script;
  EXPECT_EQ(f.counters().boots_install, 1u);
  EXPECT_EQ(f.counters().done_accepted, 1u);
}

TEST(FleetEngine, AlwaysInstallsAgainAfterDone) {
  Fleet f(one_group(false));
  Harness h;
  for (int i = 0; i < 5; ++i) {
    const Decision d = h.boot(f, "52:54:00:12:34:56");
    ASSERT_TRUE(d.install()) << "boot " << i;
    EXPECT_EQ(d.install_attempts, 1u);
    EXPECT_EQ(f.done(mac("52:54:00:12:34:56"), token_of(d), h.now), DoneResult::accepted);
  }
}

TEST(FleetEngine, FailedAfterNStartsWithoutDoneUntilReset) {
  Fleet f(one_group(false, 3));
  Harness h;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    const Decision d = h.boot(f, "52:54:00:12:34:56");
    ASSERT_TRUE(d.install());
    EXPECT_EQ(d.install_attempts, i);
  }
  const Decision fourth = h.boot(f, "52:54:00:12:34:56", "pcbios");
  EXPECT_EQ(fourth.reason, Reason::failed);
  EXPECT_EQ(fourth.state, State::failed);
  EXPECT_NE(fourth.script.find("\nsanboot --no-describe --drive 0x80\n"), std::string::npos) << fourth.script;
  EXPECT_EQ(h.boot(f, "52:54:00:12:34:56").reason, Reason::failed);  // stays failed
  EXPECT_EQ(f.counters().failed, 1u);
  ASSERT_TRUE(f.reset(mac("52:54:00:12:34:56")));
  const Decision again = h.boot(f, "52:54:00:12:34:56");
  EXPECT_TRUE(again.install());
  EXPECT_EQ(again.install_attempts, 1u);
}

TEST(FleetEngine, DoneRefusesAWrongReusedOrStaleToken) {
  Fleet f(one_group(true));
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  EXPECT_EQ(f.done(m, std::string(32, '0'), h.now), DoneResult::unknown_machine);
  const Decision first = h.boot(f, "52:54:00:12:34:56");
  const Decision second = h.boot(f, "52:54:00:12:34:56");  // the install rebooted before done
  ASSERT_TRUE(second.install());
  ASSERT_NE(token_of(first), token_of(second));
  EXPECT_EQ(f.done(m, token_of(first), h.now), DoneResult::wrong_token);  // superseded
  EXPECT_EQ(f.done(m, "zz", h.now), DoneResult::wrong_token);
  EXPECT_EQ(f.done(m, std::string(32, '0'), h.now), DoneResult::wrong_token);
  EXPECT_EQ(f.machine(m)->state, State::installing);
  EXPECT_EQ(f.done(m, token_of(second), h.now), DoneResult::accepted);
  EXPECT_EQ(f.done(m, token_of(second), h.now), DoneResult::not_installing);  // reused
  EXPECT_EQ(f.counters().done_refused, 5u);
}

TEST(FleetEngine, MacFormsReachOneMachine) {
  Fleet f(one_group(false, 100));
  Harness h;
  EXPECT_TRUE(h.boot(f, "52:54:00:ab:cd:ef").install());
  EXPECT_TRUE(h.boot(f, "52-54-00-AB-CD-EF").install());
  EXPECT_TRUE(h.boot(f, "525400abcdef").install());
  EXPECT_EQ(f.machines(), 1u);
  EXPECT_EQ(f.machine(mac("52:54:00:ab:cd:ef"))->install_attempts, 3u);
}

TEST(FleetEngine, NoMacOrUnknownMachineBootsLocal) {
  Fleet f(one_group(true));
  Harness h;
  const Decision none = h.boot(f, "not-a-mac");
  EXPECT_EQ(none.reason, Reason::no_mac);
  EXPECT_NE(none.script.find("echo ringboot: no valid MAC"), std::string::npos);
  const Decision other = h.boot(f, "aa:bb:cc:00:00:01");  // no group matches
  EXPECT_EQ(other.reason, Reason::unassigned);
  EXPECT_EQ(f.machine(mac("aa:bb:cc:00:00:01"))->state, State::local);
}

TEST(FleetEngine, InventoryIsBoundedAndNeverEvicts) {
  FleetConfig c = one_group(true);
  c.settings.machines_max = 2;
  Fleet f(c);
  Harness h;
  EXPECT_TRUE(h.boot(f, "52:54:00:00:00:01").install());
  EXPECT_TRUE(h.boot(f, "52:54:00:00:00:02").install());
  const Decision third = h.boot(f, "52:54:00:00:00:03");
  EXPECT_EQ(third.reason, Reason::inventory_full);
  EXPECT_EQ(h.boot(f, "52:54:00:00:00:04").reason, Reason::inventory_full);
  EXPECT_EQ(f.machines(), 2u);
  EXPECT_EQ(f.counters().machines_refused, 2u);
  EXPECT_EQ(f.machine(mac("52:54:00:00:00:03")), nullptr);
  EXPECT_EQ(h.boot(f, "52:54:00:00:00:01").reason, Reason::install);  // the known ones go on
}

TEST(FleetEngine, ExplicitNextBootWinsOverTheGroup) {
  FleetConfig c = one_group(true);
  Profile rescue;
  rescue.name = "rescue";
  rescue.script = "#!ipxe\necho rescue {{hostname}} {{#labels}}<{{.}}>{{/labels}} {{label.rack}}\nshell\n";
  c.profiles.push_back(rescue);
  MachineConfig declared;
  declared.mac = mac("52:54:00:00:00:09");
  declared.hostname = "node9";
  declared.labels = {"rack=r9", "gpu"};
  declared.profile = "rescue";
  declared.once = false;
  c.machines = {declared};
  MachineConfig pinned_local;
  pinned_local.mac = mac("52:54:00:00:00:0a");
  pinned_local.profile = "local";
  c.machines.push_back(pinned_local);
  Fleet f(c);
  EXPECT_EQ(f.machine(declared.mac)->state, State::install);  // declared, not yet seen
  EXPECT_EQ(f.machine(declared.mac)->first_seen_unix, 0);
  Harness h;
  const Decision d = h.boot(f, "52:54:00:00:00:09");
  ASSERT_TRUE(d.install());
  EXPECT_EQ(d.script, "#!ipxe\necho rescue node9 <rack=r9><gpu> r9\nshell\n");
  EXPECT_EQ(h.boot(f, "52:54:00:00:00:0a").reason, Reason::assigned_local);  // the group would install it
}

TEST(FleetEngine, ReloadKeepsState) {
  Fleet f(one_group(true));
  Harness h;
  const Decision d = h.boot(f, "52:54:00:12:34:56");
  f.configure(one_group(true));
  EXPECT_EQ(f.machine(mac("52:54:00:12:34:56"))->state, State::installing);
  EXPECT_EQ(f.done(mac("52:54:00:12:34:56"), token_of(d), h.now), DoneResult::accepted);
}

TEST(FleetEngine, ClientStringsOfTheWrongFormAreDropped) {
  FleetConfig c = one_group(true);
  c.profiles[0].kernel = "k/{{uuid}}/{{buildarch}}/{{platform}}";
  Fleet f(c);
  Harness h;
  BootFacts facts;
  facts.mac = mac("52:54:00:12:34:56");
  facts.uuid = "x\nshell";
  facts.buildarch = "x86_64 ${evil}";
  facts.platform = "efi\n";
  const Decision d = f.boot(facts, h.now, h.random());
  ASSERT_TRUE(d.install());
  EXPECT_NE(d.script.find("kernel k///"), std::string::npos) << d.script;
  EXPECT_EQ(d.script.find("shell"), std::string::npos);
}

TEST(FleetEngine, FirstAndLastSeenFromTheCallersClock) {
  Fleet f(one_group(true));
  Harness h;
  h.boot(f, "aa:00:00:00:00:01");
  const std::int64_t first = h.now;
  h.boot(f, "aa:00:00:00:00:01", "pcbios", "i386");
  const Machine* m = f.machine(mac("aa:00:00:00:00:01"));
  EXPECT_EQ(m->first_seen_unix, first);
  EXPECT_EQ(m->last_seen_unix, first + 60);
  EXPECT_EQ(m->buildarch, "i386");
  EXPECT_EQ(m->platform, "pcbios");
  EXPECT_EQ(m->uuid, "4c4c4544-0000-1111-2222-333333333333");
  EXPECT_EQ(m->ip, Ipv4::parse("10.0.0.50"));
}

// --- selectors ------------------------------------------------------------------

Machine machine() {
  Machine m;
  m.mac = mac("52:54:00:12:34:56");
  m.uuid = "4c4c4544-0000-1111-2222-333333333333";
  m.buildarch = "x86_64";
  m.platform = "efi";
  m.ip = Ipv4::parse("10.0.1.7");
  m.labels = {"rack=a1", "gpu"};
  return m;
}

TEST(FleetSelector, EmptyMatchesAll) { EXPECT_TRUE(matches(GroupMatch{}, machine())); }

TEST(FleetSelector, EachSelectorAlone) {
  GroupMatch g;
  g.mac = MacPattern::parse("52:54:00:12:34:56");
  EXPECT_TRUE(matches(g, machine()));
  g.mac = MacPattern::parse("52-54-01");
  EXPECT_FALSE(matches(g, machine()));

  GroupMatch u;
  u.uuid = "4c4c4544-0000-1111-2222-333333333333";
  EXPECT_TRUE(matches(u, machine()));
  u.uuid = "4c4c4544-0000-1111-2222-333333333334";
  EXPECT_FALSE(matches(u, machine()));

  GroupMatch a;
  a.arch = {"arm64", "x86_64"};
  EXPECT_TRUE(matches(a, machine()));
  a.arch = {"x86_64/pcbios"};
  EXPECT_FALSE(matches(a, machine()));
  a.arch = {"x86_64/efi"};
  EXPECT_TRUE(matches(a, machine()));

  GroupMatch s;
  s.subnet = Cidr::parse("10.0.1.0/24");
  EXPECT_TRUE(matches(s, machine()));
  s.subnet = Cidr::parse("10.0.2.0/24");
  EXPECT_FALSE(matches(s, machine()));
  Machine no_ip = machine();
  no_ip.ip.reset();
  s.subnet = Cidr::parse("0.0.0.0/0");
  EXPECT_FALSE(matches(s, no_ip));

  GroupMatch l;
  l.labels = {"gpu", "rack=a1"};
  EXPECT_TRUE(matches(l, machine()));
  l.labels = {"gpu", "rack=a2"};
  EXPECT_FALSE(matches(l, machine()));
}

TEST(FleetSelector, AllGivenMustMatchAndTheFirstGroupWins) {
  GroupMatch both;
  both.mac = MacPattern::parse("52:54:00");
  both.arch = {"arm64"};
  EXPECT_FALSE(matches(both, machine()));
  Group arm{"arm", both, "p1", true};
  Group x86{"x86", GroupMatch{}, "p2", true};
  Group later{"later", GroupMatch{}, "p3", true};
  x86.match.arch = {"x86_64"};
  const std::vector<Group> groups{arm, x86, later};
  EXPECT_EQ(first_matching(groups, machine())->name, "x86");
  EXPECT_EQ(first_matching(std::vector<Group>{arm}, machine()), nullptr);
}

}  // namespace
}  // namespace ringboot::fleet
