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
  ASSERT_EQ(f.reset(mac("52:54:00:12:34:56")), ChangeResult::ok);
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

// --- the API's changes, callbacks, sightings and the store's change set ----------

TEST(FleetEngine, NextBootCreatesAnUnseenMachineAndRestartsItsStateMachine) {
  Fleet f(one_group(true));
  Harness h;
  const Mac m = mac("aa:bb:cc:00:00:01");  // no group matches it
  EXPECT_EQ(f.set_next_boot(m, NextBoot{"nope", true}, h.now), ChangeResult::unknown_profile);
  EXPECT_EQ(f.machine(m), nullptr);  // a refused change creates nothing
  ASSERT_EQ(f.set_next_boot(m, NextBoot{"debian", true}, h.now), ChangeResult::ok);
  ASSERT_NE(f.machine(m), nullptr);
  EXPECT_EQ(f.machine(m)->state, State::install);
  EXPECT_EQ(f.machine(m)->first_seen_unix, 0);  // set up before it powers on
  const Decision d = h.boot(f, "aa-bb-cc-00-00-01");
  ASSERT_TRUE(d.install());
  ASSERT_EQ(f.done(m, token_of(d), h.now), DoneResult::accepted);
  EXPECT_EQ(h.boot(f, "aa:bb:cc:00:00:01").reason, Reason::done);
  // Reinstall: the same call again.
  ASSERT_EQ(f.set_next_boot(m, NextBoot{"debian", true}, h.now), ChangeResult::ok);
  EXPECT_TRUE(h.boot(f, "aa:bb:cc:00:00:01").install());
  ASSERT_EQ(f.set_next_boot(m, NextBoot{"local", true}, h.now), ChangeResult::ok);
  EXPECT_EQ(f.machine(m)->state, State::local);
  EXPECT_EQ(h.boot(f, "aa:bb:cc:00:00:01").reason, Reason::assigned_local);
}

TEST(FleetEngine, NextBootFromTheApiWinsOverTheConfigAndSurvivesReload) {
  FleetConfig c = one_group(true);
  MachineConfig pinned;
  pinned.mac = mac("52:54:00:00:00:0a");
  pinned.profile = "local";
  c.machines = {pinned};
  Fleet f(c);
  Harness h;
  EXPECT_EQ(h.boot(f, "52:54:00:00:00:0a").reason, Reason::assigned_local);
  ASSERT_EQ(f.set_next_boot(pinned.mac, NextBoot{"debian", true}, h.now), ChangeResult::ok);
  f.configure(c);
  EXPECT_TRUE(h.boot(f, "52:54:00:00:00:0a").install());
}

TEST(FleetEngine, BreakerFailedMachineIsRestartedByANewNextBoot) {
  Fleet f(one_group(true, 1));
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  ASSERT_TRUE(h.boot(f, "52:54:00:12:34:56").install());
  EXPECT_EQ(h.boot(f, "52:54:00:12:34:56").reason, Reason::failed);
  ASSERT_EQ(f.set_next_boot(m, NextBoot{"debian", true}, h.now), ChangeResult::ok);
  EXPECT_EQ(f.machine(m)->install_attempts, 0u);
  EXPECT_TRUE(h.boot(f, "52:54:00:12:34:56").install());
}

TEST(FleetEngine, BulkNextBootByMacsLabelsOrGroup) {
  FleetConfig c = one_group(true);
  MachineConfig a;
  a.mac = mac("52:54:00:00:00:01");
  a.labels = {"rack=a1"};
  MachineConfig b;
  b.mac = mac("aa:00:00:00:00:02");
  b.labels = {"rack=a1", "gpu"};
  c.machines = {a, b};
  Fleet f(c);
  Harness h;
  const NextBoot local{"local", true};
  EXPECT_EQ(f.set_next_boot(BulkSelector{}, local, h.now).result, ChangeResult::invalid);
  BulkSelector by_label;
  by_label.labels = {"rack=a1"};
  EXPECT_EQ(f.set_next_boot(by_label, NextBoot{"nope", true}, h.now).result, ChangeResult::unknown_profile);
  BulkResult r = f.set_next_boot(by_label, NextBoot{"debian", false}, h.now);
  EXPECT_EQ(r.result, ChangeResult::ok);
  EXPECT_EQ(r.changed, 2u);
  EXPECT_EQ(f.machine(b.mac)->state, State::install);
  by_label.labels = {"rack=a1", "gpu"};
  EXPECT_EQ(f.set_next_boot(by_label, local, h.now).changed, 1u);
  EXPECT_EQ(f.machine(b.mac)->state, State::local);
  EXPECT_EQ(f.machine(a.mac)->state, State::install);
  BulkSelector by_group;
  by_group.group = "rack1";  // matches 52:54:00 only
  EXPECT_EQ(f.set_next_boot(by_group, local, h.now).changed, 1u);
  EXPECT_EQ(f.machine(a.mac)->state, State::local);
  BulkSelector by_macs;
  by_macs.macs = {mac("aa:00:00:00:00:02"), mac("aa:00:00:00:00:77")};  // the second is new: created
  r = f.set_next_boot(by_macs, NextBoot{"debian", true}, h.now);
  EXPECT_EQ(r.changed, 2u);
  EXPECT_EQ(f.machines(), 3u);
}

TEST(FleetEngine, BulkOverTheInventoryBoundCountsTheRefused) {
  FleetConfig c = one_group(true);
  c.settings.machines_max = 2;
  Fleet f(c);
  Harness h;
  BulkSelector by_macs;
  by_macs.macs = {mac("aa:00:00:00:00:01"), mac("aa:00:00:00:00:02"), mac("aa:00:00:00:00:03")};
  const BulkResult r = f.set_next_boot(by_macs, NextBoot{"debian", true}, h.now);
  EXPECT_EQ(r.changed, 2u);
  EXPECT_EQ(r.refused, 1u);
  EXPECT_EQ(f.set_next_boot(mac("aa:00:00:00:00:04"), NextBoot{"debian", true}, h.now), ChangeResult::inventory_full);
}

TEST(FleetEngine, DeclareFromTheApiWinsOverTheConfigAndIsChecked) {
  FleetConfig c = one_group(true);
  MachineConfig a;
  a.mac = mac("52:54:00:00:00:01");
  a.hostname = "from-config";
  a.labels = {"rack=a1"};
  c.machines = {a};
  Fleet f(c);
  EXPECT_EQ(f.declare(a.mac, std::string("bad host\n"), std::nullopt), ChangeResult::invalid);
  EXPECT_EQ(f.declare(a.mac, std::nullopt, std::vector<std::string>{"ok", "no spaces"}), ChangeResult::invalid);
  ASSERT_EQ(f.declare(a.mac, std::string("node1"), std::nullopt), ChangeResult::ok);
  EXPECT_EQ(f.machine(a.mac)->hostname, "node1");
  EXPECT_EQ(f.machine(a.mac)->labels, std::vector<std::string>{"rack=a1"});  // the config's, unset by the API
  ASSERT_EQ(f.declare(a.mac, std::nullopt, std::vector<std::string>{"rack=b2"}), ChangeResult::ok);
  f.configure(c);
  EXPECT_EQ(f.machine(a.mac)->hostname, "node1");
  EXPECT_EQ(f.machine(a.mac)->labels, std::vector<std::string>{"rack=b2"});
}

TEST(FleetEngine, ForgetDropsStateAndAConfiguredMachineComesBackDeclared) {
  FleetConfig c = one_group(true);
  MachineConfig a;
  a.mac = mac("52:54:00:00:00:01");
  a.hostname = "node1";
  c.machines = {a};
  Fleet f(c);
  Harness h;
  ASSERT_TRUE(h.boot(f, "52:54:00:00:00:01").install());
  ASSERT_TRUE(h.boot(f, "aa:00:00:00:00:02").reason == Reason::unassigned);
  EXPECT_EQ(f.forget(mac("aa:00:00:00:00:02")), ChangeResult::ok);
  EXPECT_EQ(f.machine(mac("aa:00:00:00:00:02")), nullptr);
  EXPECT_EQ(f.forget(mac("aa:00:00:00:00:02")), ChangeResult::unknown_machine);
  EXPECT_EQ(f.forget(a.mac), ChangeResult::ok);
  ASSERT_NE(f.machine(a.mac), nullptr);
  EXPECT_EQ(f.machine(a.mac)->hostname, "node1");
  EXPECT_EQ(f.machine(a.mac)->install_attempts, 0u);
  EXPECT_EQ(f.machine(a.mac)->state, State::local);
}

TEST(FleetEngine, EventsNeedTheTokenAndAreBounded) {
  FleetConfig c = one_group(true);
  c.settings.events_max = 2;
  c.settings.event_bytes_max = 8;
  Fleet f(c);
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  EXPECT_EQ(f.event(m, std::string(32, '0'), "x", h.now), DoneResult::unknown_machine);
  const Decision d = h.boot(f, "52:54:00:12:34:56");
  const std::string token = token_of(d);
  EXPECT_EQ(f.event(m, std::string(32, '0'), "x", h.now), DoneResult::wrong_token);
  EXPECT_EQ(f.event(m, token, "one", h.now), DoneResult::accepted);
  EXPECT_EQ(f.event(m, token, "two", h.now + 1), DoneResult::accepted);
  EXPECT_EQ(f.event(m, token, "three", h.now + 2), DoneResult::accepted);
  EXPECT_EQ(f.event(m, token, "123456789", h.now), DoneResult::too_large);  // over the bound: nothing kept
  ASSERT_EQ(f.machine(m)->events.size(), 2u);
  EXPECT_EQ(f.machine(m)->events[0].message, "two");
  EXPECT_EQ(f.machine(m)->events[1].message, "three");
  EXPECT_EQ(f.machine(m)->events[1].unix, h.now + 2);
  EXPECT_EQ(f.counters().events_accepted, 3u);
  EXPECT_EQ(f.counters().events_dropped, 1u);
  EXPECT_EQ(f.counters().events_refused, 3u);
}

TEST(FleetEngine, TokenExpires) {
  FleetConfig c = one_group(true);
  c.settings.token_lifetime_seconds = 3600;
  Fleet f(c);
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  const Decision d = h.boot(f, "52:54:00:12:34:56");
  EXPECT_EQ(f.done(m, token_of(d), h.now + 3601), DoneResult::expired);
  EXPECT_EQ(f.machine(m)->state, State::installing);
  EXPECT_EQ(f.done(m, token_of(d), h.now + 3600), DoneResult::accepted);
}

TEST(FleetEngine, ChangesAreCoalescedPerMachineAndRestoreBringsStateBack) {
  FleetConfig c = one_group(true);
  MachineConfig a;
  a.mac = mac("52:54:00:00:00:01");
  a.hostname = "node1";
  c.machines = {a};
  Fleet f(c);
  Harness h;
  EXPECT_FALSE(f.has_changes());  // the config's declarations are not the store's
  ASSERT_TRUE(h.boot(f, "52:54:00:00:00:01").install());
  ASSERT_TRUE(h.boot(f, "52:54:00:00:00:01").install());
  h.boot(f, "aa:00:00:00:00:02");
  ASSERT_TRUE(f.has_changes());
  Changes changes = f.take_changes();
  ASSERT_EQ(changes.machines.size(), 2u);
  // The store's copy: the stored fields, not the timeline nor the config's declarations.
  for (const Machine& m : changes.machines) {
    const Machine* live = f.machine(m.mac);
    ASSERT_NE(live, nullptr);
    EXPECT_FALSE(live->timeline.empty());
    EXPECT_TRUE(m.timeline.empty());
    EXPECT_TRUE(m.config_hostname.empty());
    EXPECT_EQ(m.state, live->state);
    EXPECT_EQ(m.install_attempts, live->install_attempts);
    EXPECT_EQ(m.token, live->token);
    EXPECT_EQ(m.install_profile, live->install_profile);
    EXPECT_EQ(m.last_seen_unix, live->last_seen_unix);
  }
  EXPECT_FALSE(f.has_changes());
  EXPECT_TRUE(f.take_changes().empty());
  // A boot that changes nothing stored is not a change (within the minute).
  h.now -= 59;
  EXPECT_EQ(h.boot(f, "aa:00:00:00:00:02").reason, Reason::unassigned);
  EXPECT_FALSE(f.has_changes());
  ASSERT_EQ(f.forget(mac("aa:00:00:00:00:02")), ChangeResult::ok);
  EXPECT_EQ(f.take_changes().forgotten.size(), 1u);

  // A restart: a new engine from the same config, then what the store held.
  Fleet g(c);
  for (Machine& m : changes.machines) {
    if (m.mac == a.mac) m.config_hostname = "stale";  // the store's copy of config fields is ignored
    ASSERT_TRUE(g.restore(m));
  }
  EXPECT_FALSE(g.has_changes());
  const Machine* restored = g.machine(a.mac);
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->state, State::installing);
  EXPECT_EQ(restored->install_attempts, 2u);
  EXPECT_EQ(restored->hostname, "node1");
  const Decision third = h.boot(g, "52:54:00:00:00:01");
  ASSERT_TRUE(third.install());
  EXPECT_EQ(third.install_attempts, 3u);  // the breaker counts across the restart
  EXPECT_EQ(h.boot(g, "52:54:00:00:00:01").reason, Reason::failed);
}

DhcpSighting sighting(std::string_view m, std::optional<IpAddress> ip = std::nullopt, bool ipxe = false,
                      std::string_view file = "") {
  DhcpSighting s;
  s.mac = mac(m);
  s.ip = ip;
  s.ipxe = ipxe;
  s.file = file;
  return s;
}

// From an address of either family: "10.0.0.50", "2001:db8::50".
Fetch fetch(std::string_view ip, std::string_view path, bool ok = true) {
  Fetch f;
  f.peer = *IpAddress::parse(ip);
  f.path = path;
  f.ok = ok;
  return f;
}

TEST(FleetEngine, DhcpSightingsAddMachinesAndTftpOrHttpFindThemByAddress) {
  Fleet f(one_group(true));
  Harness h;
  const std::int64_t ms = h.now * 1000;
  const Mac m = mac("52:54:00:12:34:56");
  DhcpSighting s = sighting("52:54:00:12:34:56");
  s.facts.arch = 7;
  s.facts.relay = Ipv4::parse("10.1.0.1");
  s.facts.dhcp_hostname = "node1";
  s.uuid = "4c4c4544-0000-1111-2222-333333333333";
  f.observe_dhcp(s, ms);
  ASSERT_NE(f.machine(m), nullptr);
  EXPECT_EQ(f.machine(m)->first_seen_unix, h.now);
  EXPECT_EQ(f.machine(m)->dhcp.arch, 7);
  EXPECT_EQ(f.machine(m)->uuid, "4c4c4544-0000-1111-2222-333333333333");
  s.uuid = "";
  s.ip = Ipv4::parse("10.0.0.50");  // the ACK
  f.observe_dhcp(s, ms + 5000);
  EXPECT_EQ(f.machine(m)->ip, Ipv4::parse("10.0.0.50"));
  EXPECT_EQ(f.machine(m)->uuid, "4c4c4544-0000-1111-2222-333333333333");  // kept
  f.fetched(fetch("10.0.0.50", "ipxe.efi"), ms + 30000);
  EXPECT_EQ(f.machine(m)->last_seen_unix, h.now + 30);
  f.fetched(fetch("10.0.0.51", "ipxe.efi"), ms + 40000);  // nobody there
  EXPECT_EQ(f.machine(m)->last_seen_unix, h.now + 30);
  // The address moves to another machine: the old one is no longer found by it.
  f.observe_dhcp(sighting("52:54:00:00:00:02", Ipv4::parse("10.0.0.50")), ms + 50000);
  f.fetched(fetch("10.0.0.50", "ipxe.efi"), ms + 60000);
  EXPECT_EQ(f.machine(m)->last_seen_unix, h.now + 30);
  EXPECT_EQ(f.machine(mac("52:54:00:00:00:02"))->last_seen_unix, h.now + 60);
  EXPECT_EQ(f.counters().sightings, 5u);
}

TEST(FleetEngine, DhcpSightingsOverTheBoundAreCounted) {
  FleetConfig c = one_group(true);
  c.settings.machines_max = 1;
  Fleet f(c);
  f.observe_dhcp(sighting("52:54:00:00:00:01"), 1000);
  f.observe_dhcp(sighting("52:54:00:00:00:02"), 1000);
  EXPECT_EQ(f.machines(), 1u);
  EXPECT_EQ(f.counters().machines_refused, 1u);
}

// The steps of a SeaBIOS + iPXE ROM boot and an OVMF boot, as the services
// report them, walk the machine's timeline through every stage.
TEST(FleetEngine, TheServicesStepsWalkTheTimeline) {
  FleetConfig c = one_group(true);
  c.profiles[0].initrd.push_back("{{http_base}}/firmware.cpio.gz");
  Fleet f(c);
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  std::int64_t ms = h.now * 1000;
  const auto stage = [&] { return f.machine(m)->timeline.stage(); };
  f.observe_dhcp(sighting("52:54:00:12:34:56", std::nullopt, false, "ipxe.efi"), ms);
  EXPECT_EQ(stage(), Stage::firmware_dhcp);
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv4::parse("10.0.0.50"), false, "ipxe.efi"), ms += 4000);
  f.fetched(fetch("10.0.0.50", "ipxe.efi", false), ms += 100);  // EDK2's size probe ends in an error
  EXPECT_EQ(stage(), Stage::firmware_dhcp);
  f.fetched(fetch("10.0.0.50", "ipxe.efi"), ms += 300);
  EXPECT_EQ(stage(), Stage::loader);
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv4::parse("10.0.0.50"), true, "http://10.0.0.1/boot.ipxe"),
                 ms += 6000);
  EXPECT_EQ(stage(), Stage::loader);
  // The script's files are told apart from others: kernel, then each initrd.
  const Decision d = h.boot(f, "52:54:00:12:34:56");
  ms = h.now * 1000;
  ASSERT_TRUE(d.install());
  EXPECT_EQ(stage(), Stage::script);
  f.fetched(fetch("10.0.0.50", "/debian/linux"), ms += 1000);
  EXPECT_EQ(stage(), Stage::kernel);
  f.fetched(fetch("10.0.0.50", "/debian/initrd.gz?x=1"), ms += 1000);
  EXPECT_EQ(stage(), Stage::initrd);
  f.fetched(fetch("10.0.0.50", "/unrelated.txt"), ms += 10);
  EXPECT_EQ(stage(), Stage::initrd);
  f.fetched(fetch("10.0.0.50", "/firmware.cpio.gz"), ms += 1000);
  EXPECT_EQ(stage(), Stage::installing);
  EXPECT_EQ(f.event(m, token_of(d), "partitioning", h.now + 100), DoneResult::accepted);
  EXPECT_EQ(stage(), Stage::installing);
  EXPECT_EQ(f.done(m, token_of(d), h.now + 200), DoneResult::accepted);
  EXPECT_EQ(stage(), Stage::done);
  EXPECT_EQ(f.machine(m)->timeline.entered_ms(Stage::done), (h.now + 200) * 1000);
  EXPECT_EQ(h.boot(f, "52:54:00:12:34:56").reason, Reason::done);
  EXPECT_EQ(stage(), Stage::local);
  EXPECT_EQ(f.machine(m)->timeline.size(), 13u);  // every step above, kept
}

TEST(FleetEngine, TwoMachinesBehindOneRelayKeepTheirOwnTimelines) {
  Fleet f(one_group(true));
  DhcpSighting a = sighting("52:54:00:00:00:01", Ipv4::parse("10.9.0.11"), false, "undionly.kpxe");
  DhcpSighting b = sighting("52:54:00:00:00:02", Ipv4::parse("10.9.0.12"), false, "undionly.kpxe");
  a.facts.relay = b.facts.relay = Ipv4::parse("10.9.0.1");
  f.observe_dhcp(a, 1000);
  f.observe_dhcp(b, 1000);
  f.fetched(fetch("10.9.0.12", "undionly.kpxe"), 2000);
  EXPECT_EQ(f.machine(a.mac)->timeline.stage(), Stage::firmware_dhcp);
  EXPECT_EQ(f.machine(b.mac)->timeline.stage(), Stage::loader);
  EXPECT_EQ(f.machine(a.mac)->dhcp.relay, Ipv4::parse("10.9.0.1"));
}

// iPXE's DHCP gives the machine another address than the firmware's (a
// lease that expired, another pool for iPXE): the fetches from the new
// address move its timeline; the old address names nobody any more.
TEST(FleetEngine, AMachineWhoseAddressChangesKeepsItsTimeline) {
  Fleet f(one_group(true));
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  std::int64_t ms = h.now * 1000;
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv4::parse("10.0.0.40"), false, "ipxe.efi"), ms);
  f.fetched(fetch("10.0.0.40", "ipxe.efi"), ms += 300);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::loader);
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv4::parse("10.0.0.50"), true, "http://10.0.0.1/boot.ipxe"),
                 ms += 2000);
  EXPECT_EQ(f.machine(m)->ip, Ipv4::parse("10.0.0.50"));
  ASSERT_TRUE(h.boot(f, "52:54:00:12:34:56").install());  // from 10.0.0.50, as its DHCP said
  ms = h.now * 1000;
  f.fetched(fetch("10.0.0.40", "/debian/linux"), ms += 500);  // the old address: not this machine now
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::script);
  f.fetched(fetch("10.0.0.50", "/debian/linux"), ms += 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::kernel);
  f.fetched(fetch("10.0.0.50", "/debian/initrd.gz"), ms += 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::installing);
  // Forgetting it drops its address too: a fetch from there finds nobody.
  ASSERT_EQ(f.forget(m), ChangeResult::ok);
  f.fetched(fetch("10.0.0.50", "/debian/linux"), ms += 500);
  EXPECT_EQ(f.machine(m), nullptr);
}

// An address back at the machine it left: the index names that machine
// again, though its own record of the address never changed.
TEST(FleetEngine, AnAddressThatMovesAwayAndBackNamesItsMachineAgain) {
  Fleet f(one_group(true));
  const Mac a = mac("52:54:00:00:00:01");
  const Mac b = mac("52:54:00:00:00:02");
  for (const std::string_view ip : {"10.0.0.50", "2001:db8::50"}) {
    f.observe_dhcp(sighting("52:54:00:00:00:01", IpAddress::parse(ip)), 1000);
    f.observe_dhcp(sighting("52:54:00:00:00:02", IpAddress::parse(ip)), 2000);
    f.fetched(fetch(ip, "x"), 3000);
    EXPECT_EQ(f.machine(b)->last_seen_unix, 3) << ip;
    EXPECT_EQ(f.machine(a)->last_seen_unix, 1) << ip;
    f.observe_dhcp(sighting("52:54:00:00:00:01", IpAddress::parse(ip)), 4000);  // back
    f.fetched(fetch(ip, "x"), 5000);
    EXPECT_EQ(f.machine(a)->last_seen_unix, 5) << ip;
    EXPECT_EQ(f.machine(b)->last_seen_unix, 3) << ip;
  }
}

// DHCPv6 binds an address to the machine: its TFTP and HTTP fetches from
// there walk its timeline as IPv4 ones do; a neighbour in its /64 is not it.
TEST(FleetEngine, AnIpv6FetchFromItsBoundAddressLandsOnTheMachine) {
  Fleet f(one_group(true));
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  std::int64_t ms = h.now * 1000;
  f.observe_dhcp(sighting("52:54:00:12:34:56", std::nullopt, false, "ipxe.efi"), ms);  // the Advertise
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv6::parse("2001:db8::100"), false, "ipxe.efi"), ms += 100);
  EXPECT_EQ(f.machine(m)->ip6, Ipv6::parse("2001:db8::100"));
  EXPECT_EQ(f.machine(m)->ip, std::nullopt);
  Changes c = f.take_changes();
  ASSERT_EQ(c.machines.size(), 1u);
  EXPECT_EQ(c.machines[0].ip6, Ipv6::parse("2001:db8::100")) << "the store gets the address";
  f.fetched(fetch("2001:db8::101", "ipxe.efi"), ms += 100);  // another host of the /64
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::firmware_dhcp);
  f.fetched(fetch("2001:db8::100", "ipxe.efi"), ms += 300);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::loader);
  // iPXE asks /ipxe over IPv6 from the same address; the kernel and initrd follow over HTTP and TFTP.
  BootFacts facts;
  facts.mac = m;
  facts.platform = "efi";
  facts.buildarch = "x86_64";
  facts.ip = IpAddress(*Ipv6::parse("2001:db8::100"));
  facts.http_base = "http://[2001:db8::1]";
  ms += 2000;
  ASSERT_TRUE(f.boot(facts, ms / 1000, h.random(), ms).install());
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::script);
  f.fetched(fetch("2001:db8::100", "/debian/linux"), ms += 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::kernel);
  f.fetched(fetch("2001:db8::100", "debian/initrd.gz"), ms + 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::installing);
  EXPECT_EQ(f.machine(m)->ip, std::nullopt) << "an IPv6 peer is no IPv4 address";
}

// The peer of /ipxe over IPv6 (iPXE's own address, SLAAC's or DHCPv6's)
// ties the machine's later fetches to it, as an IPv4 peer does.
TEST(FleetEngine, AnIpv6PeerOfTheScriptRequestIsTheMachinesAddress) {
  Fleet f(one_group(true));
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  BootFacts facts;
  facts.mac = m;
  facts.platform = "efi";
  facts.ip = IpAddress(*Ipv6::parse("2001:db8::5054:ff:fe12:3456"));
  ASSERT_TRUE(f.boot(facts, h.now, h.random()).install());
  EXPECT_EQ(f.machine(m)->ip6, Ipv6::parse("2001:db8::5054:ff:fe12:3456"));
  EXPECT_FALSE(f.take_changes().empty());
  f.fetched(fetch("2001:db8::5054:ff:fe12:3456", "/debian/linux"), h.now * 1000 + 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::kernel);
}

// A dual-stack machine: an address of each family, both indexed; a new
// address of one family replaces only that family's.
TEST(FleetEngine, AMachineHoldsAnAddressOfEachFamily) {
  Fleet f(one_group(true));
  Harness h;
  const Mac m = mac("52:54:00:12:34:56");
  std::int64_t ms = h.now * 1000;
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv4::parse("10.0.0.50"), false, "ipxe.efi"), ms);
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv6::parse("2001:db8::50"), false, "ipxe.efi"), ms += 10);
  EXPECT_EQ(f.machine(m)->ip, Ipv4::parse("10.0.0.50"));
  EXPECT_EQ(f.machine(m)->ip6, Ipv6::parse("2001:db8::50"));
  EXPECT_EQ(f.inventory().addresses(), 2u);
  f.fetched(fetch("2001:db8::50", "ipxe.efi"), ms + 300);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::loader);
  ASSERT_TRUE(h.boot(f, "52:54:00:12:34:56").install());  // /ipxe from 10.0.0.50
  ms = h.now * 1000;
  EXPECT_EQ(f.machine(m)->ip6, Ipv6::parse("2001:db8::50")) << "an IPv4 peer leaves the IPv6 address";
  f.fetched(fetch("2001:db8::50", "/debian/linux"), ms += 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::kernel);
  // Renumbered over IPv6: the old IPv6 address names nobody, the IPv4 one still names it.
  f.observe_dhcp(sighting("52:54:00:12:34:56", Ipv6::parse("2001:db8::51"), true), ms += 10);
  EXPECT_EQ(f.machine(m)->ip, Ipv4::parse("10.0.0.50"));
  EXPECT_EQ(f.machine(m)->ip6, Ipv6::parse("2001:db8::51"));
  EXPECT_EQ(f.inventory().find_by_ip(*IpAddress::parse("2001:db8::50")), nullptr);
  EXPECT_EQ(f.inventory().find_by_ip(*IpAddress::parse("2001:db8::51")), f.machine(m));
  EXPECT_EQ(f.inventory().find_by_ip(*IpAddress::parse("10.0.0.50")), f.machine(m));
  EXPECT_EQ(f.inventory().addresses(), 2u);
  f.fetched(fetch("10.0.0.50", "/debian/initrd.gz"), ms + 500);
  EXPECT_EQ(f.machine(m)->timeline.stage(), Stage::installing);
  // A restart: both addresses come back from the store and are indexed.
  Fleet g(one_group(true));
  for (Machine& stored : f.take_changes().machines) ASSERT_TRUE(g.restore(std::move(stored)));
  EXPECT_EQ(g.inventory().find_by_ip(*IpAddress::parse("10.0.0.50")), g.machine(m));
  EXPECT_EQ(g.inventory().find_by_ip(*IpAddress::parse("2001:db8::51")), g.machine(m));
  EXPECT_EQ(g.inventory().addresses(), 2u);
  // Forgotten: neither address names it.
  ASSERT_EQ(g.forget(m), ChangeResult::ok);
  EXPECT_EQ(g.inventory().addresses(), 0u);
}

// An IPv6 address moves to another machine (a binding taken over after it
// expired): the first one is no longer found by it.
TEST(FleetEngine, AnIpv6AddressMovesToAnotherMachine) {
  Fleet f(one_group(true));
  const Mac a = mac("52:54:00:00:00:01");
  const Mac b = mac("52:54:00:00:00:02");
  f.observe_dhcp(sighting("52:54:00:00:00:01", Ipv6::parse("2001:db8::7"), false, "ipxe.efi"), 1000);
  f.observe_dhcp(sighting("52:54:00:00:00:02", Ipv6::parse("2001:db8::7"), false, "ipxe.efi"), 2000);
  f.fetched(fetch("2001:db8::7", "ipxe.efi"), 3000);
  EXPECT_EQ(f.machine(a)->timeline.stage(), Stage::firmware_dhcp);
  EXPECT_EQ(f.machine(b)->timeline.stage(), Stage::loader);
  EXPECT_EQ(f.inventory().addresses(), 1u);
  // The first machine's new address replaces its stale one; the second keeps its own.
  f.observe_dhcp(sighting("52:54:00:00:00:01", Ipv6::parse("2001:db8::8"), false, "ipxe.efi"), 4000);
  EXPECT_EQ(f.inventory().addresses(), 2u);
  EXPECT_EQ(f.inventory().find_by_ip(*IpAddress::parse("2001:db8::7")), f.machine(b));
  EXPECT_EQ(f.inventory().find_by_ip(*IpAddress::parse("2001:db8::8")), f.machine(a));
  // A link-local peer is scoped to its interface: the same bytes on another link are another address.
  f.observe_dhcp(sighting("52:54:00:00:00:02", IpAddress(Ipv6{Ipv6::parse("fe80::2")->bytes, 3})), 5000);
  EXPECT_EQ(f.inventory().find_by_ip(IpAddress(Ipv6{Ipv6::parse("fe80::2")->bytes, 3})), f.machine(b));
  EXPECT_EQ(f.inventory().find_by_ip(IpAddress(Ipv6{Ipv6::parse("fe80::2")->bytes, 4})), nullptr);
}

// The address index is bounded by the inventory: one address of each
// family per machine, whatever the addresses it went through, and none for
// a machine over machines_max.
TEST(FleetEngine, TheAddressIndexHoldsAtMostOneAddressOfEachFamilyPerMachine) {
  FleetConfig c = one_group(true);
  c.settings.machines_max = 2;
  Fleet f(c);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    Ipv6 v6 = *Ipv6::parse("2001:db8::");
    v6.bytes[14] = static_cast<std::uint8_t>(i >> 8);
    v6.bytes[15] = static_cast<std::uint8_t>(i);
    f.observe_dhcp(sighting("52:54:00:00:00:01", IpAddress(v6)), 1000 + i);
    f.observe_dhcp(sighting("52:54:00:00:00:01", IpAddress(Ipv4{0x0a000000 + i})), 1000 + i);
    f.observe_dhcp(sighting("52:54:00:00:00:02", IpAddress(Ipv4{0x0a100000 + i})), 1000 + i);
  }
  EXPECT_EQ(f.inventory().addresses(), 3u);
  f.observe_dhcp(sighting("52:54:00:00:00:03", Ipv6::parse("2001:db8:1::3")), 5000);  // over machines_max
  EXPECT_EQ(f.counters().machines_refused, 1u);
  EXPECT_EQ(f.inventory().addresses(), 3u);
  EXPECT_EQ(f.inventory().find_by_ip(*IpAddress::parse("2001:db8:1::3")), nullptr);
  f.fetched(fetch("2001:db8:1::3", "ipxe.efi"), 6000);  // a fetch adds nothing
  EXPECT_EQ(f.machines(), 2u);
  EXPECT_EQ(f.inventory().addresses(), 3u);
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
  Group arm{"arm", both, "p1", true, {}};
  Group x86{"x86", GroupMatch{}, "p2", true, {}};
  Group later{"later", GroupMatch{}, "p3", true, {}};
  x86.match.arch = {"x86_64"};
  const std::vector<Group> groups{arm, x86, later};
  EXPECT_EQ(first_matching(groups, machine())->name, "x86");
  EXPECT_EQ(first_matching(std::vector<Group>{arm}, machine()), nullptr);
}

}  // namespace
}  // namespace ringboot::fleet
