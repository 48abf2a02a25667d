// Rollouts (fleet/rollout.h) and the stage durations the engine reports,
// fed the steps of whole boots with a hand-moved clock.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fleet/engine.h"
#include "fleet/rollout.h"

namespace ringboot::fleet {
namespace {

constexpr std::int64_t kStart = 1700000000;  // unix seconds

Mac mac(std::string_view text) { return *Mac::parse_any(text); }

Profile debian() {
  Profile p;
  p.name = "debian";
  p.kernel = "{{http_base}}/debian/linux";
  p.initrd = {"{{http_base}}/debian/initrd.gz"};
  p.cmdline = "ringboot.done={{done_url}}";
  return p;
}

FleetConfig config(std::uint32_t attempts_max = 3, std::uint32_t rollouts_max = 64) {
  FleetConfig c;
  c.settings.install_attempts_max = attempts_max;
  c.settings.rollouts_max = rollouts_max;
  c.settings.stuck_after_seconds = 900;
  c.profiles = {debian()};
  return c;
}

// One machine of the test: its MAC and address, the steps the services
// would report for it, with times in unix seconds.
struct Box {
  Box(Fleet& fleet, Mac mac, std::string address) : f(fleet), m(mac), ip(std::move(address)) {}
  Fleet& f;
  Mac m;
  std::string ip;
  std::uint8_t seed = 1;
  std::string token;

  void dhcp(std::int64_t at, bool ipxe = false) {
    DhcpSighting s;
    s.mac = m;
    s.ip = Ipv4::parse(ip);
    s.ipxe = ipxe;
    s.file = ipxe ? "http://10.0.0.1/boot.ipxe" : "ipxe.efi";
    f.observe_dhcp(s, at * 1000);
  }
  void fetch(std::int64_t at, std::string_view path) {
    Fetch x;
    x.peer = *Ipv4::parse(ip);
    x.path = path;
    x.ok = true;
    f.fetched(x, at * 1000);
  }
  Decision ipxe(std::int64_t at) {
    BootFacts facts;
    facts.mac = m;
    facts.platform = "efi";
    facts.buildarch = "x86_64";
    facts.ip = Ipv4::parse(ip);
    facts.http_base = "http://10.0.0.1";
    Token t{};
    t.fill(seed++);
    Decision d = f.boot(facts, at, t);
    if (d.install()) token = token_hex(t);
    return d;
  }
  DoneResult done(std::int64_t at) { return f.done(m, token, at); }
  // The whole chain: firmware DHCP, loader, iPXE's DHCP, script, kernel, initrd, done.
  void install(std::int64_t at, std::int64_t done_after) {
    dhcp(at);
    fetch(at + 2, "ipxe.efi");
    dhcp(at + 5, true);
    ASSERT_TRUE(ipxe(at + 6).install());
    fetch(at + 8, "/debian/linux");
    fetch(at + 10, "/debian/initrd.gz");
    ASSERT_EQ(done(at + done_after), DoneResult::accepted);
  }
};

BulkSelector macs(std::initializer_list<std::string_view> list) {
  BulkSelector s;
  for (std::string_view m : list) s.macs.push_back(mac(m));
  return s;
}

const RolloutSummary* find(const std::vector<RolloutSummary>& all, std::string_view name) {
  for (const RolloutSummary& r : all)
    if (r.name == name) return &r;
  return nullptr;
}

std::size_t at(const RolloutSummary& r, Stage s) { return r.stages[static_cast<std::size_t>(s)]; }

TEST(FleetRollout, NearestRankPercentiles) {
  std::vector<double> none;
  EXPECT_EQ(percentile(none, 0.5), std::nullopt);
  std::vector<double> one{42};
  EXPECT_EQ(percentile(one, 0.5), 42);
  EXPECT_EQ(percentile(one, 0.99), 42);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);  // unsorted on purpose
  EXPECT_EQ(percentile(hundred, 0.5), 50);
  EXPECT_EQ(percentile(hundred, 0.99), 99);
  EXPECT_EQ(percentile(hundred, 1.0), 100);
  std::vector<double> two{230, 90};
  EXPECT_EQ(percentile(two, 0.5), 90);
  EXPECT_EQ(percentile(two, 0.99), 230);
}

TEST(FleetRollout, CountsStagesDoneAndTimeToDoneFromTheFirstBootAfterJoining) {
  Fleet f(config());
  Box a{f, mac("52:54:00:00:00:01"), "10.0.0.11"};
  Box b{f, mac("52:54:00:00:00:02"), "10.0.0.12"};
  Box c{f, mac("52:54:00:00:00:03"), "10.0.0.13"};
  Box outside{f, mac("52:54:00:00:00:09"), "10.0.0.19"};
  // b was already booting (its DHCP came before the rollout named it).
  b.dhcp(kStart - 50);
  const BulkResult r = f.set_next_boot(macs({"52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"}),
                                       NextBoot{"debian"}, kStart, "rack1-2024.06");
  ASSERT_EQ(r.result, ChangeResult::ok);
  EXPECT_EQ(r.changed, 3u);
  ASSERT_EQ(f.set_next_boot(outside.m, NextBoot{"debian"}, kStart), ChangeResult::ok);  // no rollout named
  EXPECT_EQ(f.machine(a.m)->rollout, "rack1-2024.06");
  EXPECT_EQ(f.machine(outside.m)->rollout, "");

  a.install(kStart + 10, 90);  // its firmware DHCP at +10, done at +100: 90 s
  // b: no firmware DHCP since joining, straight to /ipxe: from joining (+0) to done at +230.
  ASSERT_TRUE(b.ipxe(kStart + 30).install());
  ASSERT_EQ(b.done(kStart + 230), DoneResult::accepted);
  // c: its script only.
  c.dhcp(kStart + 40);
  ASSERT_TRUE(c.ipxe(kStart + 45).install());
  outside.install(kStart + 10, 5);

  const std::vector<RolloutSummary> all = f.rollout_summaries((kStart + 300) * 1000);
  ASSERT_EQ(all.size(), 1u) << "the machine named in no rollout makes none";
  const RolloutSummary& s = all[0];
  EXPECT_EQ(s.name, "rack1-2024.06");
  EXPECT_EQ(s.started_unix, kStart);
  EXPECT_EQ(s.machines, 3u);
  EXPECT_EQ(s.done, 2u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.stuck, 0u);
  EXPECT_EQ(at(s, Stage::done), 2u);
  EXPECT_EQ(at(s, Stage::script), 1u);
  EXPECT_EQ(s.time_to_done_p50_s, 90);
  EXPECT_EQ(s.time_to_done_p99_s, 230);
  EXPECT_TRUE(s.failed_machines.empty()) << "lists only for one rollout";
}

TEST(FleetRollout, FailedAndStuckMachinesAreCountedAndListed) {
  Fleet f(config(/*attempts_max=*/1));
  Box a{f, mac("52:54:00:00:00:01"), "10.0.0.11"};
  Box b{f, mac("52:54:00:00:00:02"), "10.0.0.12"};
  Box c{f, mac("52:54:00:00:00:03"), "10.0.0.13"};
  ASSERT_EQ(f.set_next_boot(macs({"52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"}), NextBoot{"debian"},
                            kStart, "r1")
                .result,
            ChangeResult::ok);
  ASSERT_EQ(f.declare(a.m, std::string("node1"), std::nullopt), ChangeResult::ok);
  // a: its one attempt gets as far as the kernel, then it reboots: the breaker.
  a.dhcp(kStart + 1);
  ASSERT_TRUE(a.ipxe(kStart + 5).install());
  a.fetch(kStart + 8, "/debian/linux");
  a.dhcp(kStart + 100);
  EXPECT_EQ(a.ipxe(kStart + 105).reason, Reason::failed);
  // b: stuck in its kernel, no step for longer than stuck_after_seconds.
  b.dhcp(kStart + 1);
  ASSERT_TRUE(b.ipxe(kStart + 5).install());
  b.fetch(kStart + 8, "/debian/linux");
  // c: a done.
  c.install(kStart + 1, 50);
  const std::int64_t now_ms = (kStart + 8 + 901) * 1000;
  const std::vector<RolloutSummary> one = f.rollout_summaries(now_ms, "r1");
  ASSERT_EQ(one.size(), 1u);
  const RolloutSummary& s = one[0];
  EXPECT_EQ(s.machines, 3u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.stuck, 1u);
  EXPECT_EQ(s.done, 1u);
  EXPECT_EQ(at(s, Stage::failed), 1u);
  EXPECT_EQ(at(s, Stage::kernel), 1u);
  ASSERT_EQ(s.failed_machines.size(), 1u);
  EXPECT_EQ(s.failed_machines[0].mac, a.m);
  EXPECT_EQ(s.failed_machines[0].hostname, "node1");
  EXPECT_EQ(s.failed_machines[0].stage, Stage::failed);
  ASSERT_EQ(s.stuck_machines.size(), 1u);
  EXPECT_EQ(s.stuck_machines[0].mac, b.m);
  EXPECT_EQ(s.stuck_machines[0].stage, Stage::kernel);
  EXPECT_EQ(s.time_to_done_p50_s, 50);  // c: firmware DHCP at +1, done at +51
  EXPECT_TRUE(f.rollout_summaries(now_ms, "nope").empty());
  // The breaker's stop is counted by the stage its last install reached.
  EXPECT_EQ(f.counters().failed_by_stage[static_cast<std::size_t>(Stage::kernel)], 1u);
  EXPECT_EQ(f.counters().failed, 1u);
}

TEST(FleetRollout, AMachineMovesToItsLatestRolloutAndForgettingTakesItOut) {
  Fleet f(config());
  const Mac a = mac("52:54:00:00:00:01");
  const Mac b = mac("52:54:00:00:00:02");
  ASSERT_EQ(f.set_next_boot(a, NextBoot{"debian"}, kStart, "r1"), ChangeResult::ok);
  ASSERT_EQ(f.set_next_boot(b, NextBoot{"debian"}, kStart + 10, "r1"), ChangeResult::ok);
  ASSERT_EQ(f.set_next_boot(a, NextBoot{"debian"}, kStart + 20, "r2"), ChangeResult::ok);
  auto all = f.rollout_summaries(kStart * 1000);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(find(all, "r1")->machines, 1u);
  EXPECT_EQ(find(all, "r1")->started_unix, kStart) << "started when first named, not when its last machine joined";
  EXPECT_EQ(find(all, "r2")->machines, 1u);
  EXPECT_EQ(find(all, "r2")->started_unix, kStart + 20);
  EXPECT_EQ(f.machine(a)->rollout_joined_unix, kStart + 20);
  // A next boot that names no rollout leaves the machine where it is.
  ASSERT_EQ(f.set_next_boot(a, NextBoot{"local"}, kStart + 30), ChangeResult::ok);
  EXPECT_EQ(f.machine(a)->rollout, "r2");
  ASSERT_EQ(f.forget(b), ChangeResult::ok);
  all = f.rollout_summaries(kStart * 1000);
  ASSERT_EQ(all.size(), 1u) << "r1 lost its last machine";
  EXPECT_EQ(all[0].name, "r2");
  EXPECT_EQ(f.rollouts().size(), 1u);
}

TEST(FleetRollout, ANewRolloutOverTheBoundIsRefusedUnlessTheCallEmptiesOne) {
  Fleet f(config(3, /*rollouts_max=*/2));
  const Mac a = mac("52:54:00:00:00:01");
  const Mac b = mac("52:54:00:00:00:02");
  const Mac c = mac("52:54:00:00:00:03");
  ASSERT_EQ(f.set_next_boot(macs({"52:54:00:00:00:01", "52:54:00:00:00:02"}), NextBoot{"debian"}, kStart, "r1").result,
            ChangeResult::ok);
  ASSERT_EQ(f.set_next_boot(c, NextBoot{"debian"}, kStart, "r2"), ChangeResult::ok);
  // a alone would leave r1 with b: a third rollout.
  EXPECT_EQ(f.set_next_boot(a, NextBoot{"debian"}, kStart, "r3"), ChangeResult::rollouts_full);
  EXPECT_EQ(f.machine(a)->rollout, "r1") << "a refused call changes nothing";
  const Mac fresh = mac("52:54:00:00:00:04");
  EXPECT_EQ(f.set_next_boot(fresh, NextBoot{"debian"}, kStart, "r3"), ChangeResult::rollouts_full);
  EXPECT_EQ(f.machine(fresh), nullptr) << "not created either";
  EXPECT_EQ(f.set_next_boot(macs({"52:54:00:00:00:01", "52:54:00:00:00:04"}), NextBoot{"debian"}, kStart, "r3").result,
            ChangeResult::rollouts_full);
  // Existing rollouts take more machines at the bound.
  EXPECT_EQ(f.set_next_boot(fresh, NextBoot{"debian"}, kStart, "r2"), ChangeResult::ok);
  // Every machine of r1 moving empties it: r3 takes its place.
  const BulkResult moved = f.set_next_boot(macs({"52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:02"}),
                                           NextBoot{"debian"}, kStart, "r3");
  EXPECT_EQ(moved.result, ChangeResult::ok);
  EXPECT_EQ(f.rollouts().size(), 2u);
  EXPECT_EQ(f.rollouts().find("r1"), nullptr);
  EXPECT_EQ(f.machine(b)->rollout, "r3");
  // Names of another form are refused before anything.
  for (const std::string& bad : std::vector<std::string>{"has space", std::string(65, 'x'), "a/b", "é"})
    EXPECT_EQ(f.set_next_boot(a, NextBoot{"debian"}, kStart, bad), ChangeResult::invalid) << bad;
  EXPECT_EQ(f.set_next_boot(a, NextBoot{"debian"}, kStart, std::string(64, 'x')), ChangeResult::rollouts_full);
}

TEST(FleetRollout, RestoredMachinesRebuildTheirRollouts) {
  Fleet f(config());
  Machine a;
  a.mac = mac("52:54:00:00:00:01");
  a.rollout = "r1";
  a.rollout_joined_unix = kStart + 50;
  a.state = State::done;
  a.done_unix = kStart + 150;
  a.rollout_boot_unix = kStart + 60;
  Machine b = a;
  b.mac = mac("52:54:00:00:00:02");
  b.rollout_joined_unix = kStart + 10;
  b.state = State::installing;
  ASSERT_TRUE(f.restore(a));
  ASSERT_TRUE(f.restore(b));
  ASSERT_TRUE(f.restore(b));  // stored twice: counted once
  const auto all = f.rollout_summaries(kStart * 1000);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].machines, 2u);
  EXPECT_EQ(f.rollouts().find("r1")->machines, 2u);
  EXPECT_EQ(all[0].started_unix, kStart + 10) << "the earliest join";
  EXPECT_EQ(all[0].done, 1u);
  EXPECT_EQ(all[0].time_to_done_p50_s, 90);
  EXPECT_EQ(at(all[0], Stage::discovered), 2u) << "the timeline starts again after a restart";
}

TEST(FleetRollout, TheFirstFirmwareDhcpAfterJoiningStartsTheClock) {
  Fleet f(config());
  Box a{f, mac("52:54:00:00:00:01"), "10.0.0.11"};
  ASSERT_EQ(f.set_next_boot(a.m, NextBoot{"debian"}, kStart, "r1"), ChangeResult::ok);
  a.dhcp(kStart + 5, /*ipxe=*/true);  // iPXE's request is not the start of a boot
  EXPECT_EQ(f.machine(a.m)->rollout_boot_unix, 0);
  f.take_changes();
  a.dhcp(kStart + 7);
  EXPECT_TRUE(f.has_changes()) << "stored: the time to done survives a restart";
  f.take_changes();
  a.dhcp(kStart + 9);  // the REQUEST after the DISCOVER: the same boot
  EXPECT_FALSE(f.has_changes());
  EXPECT_EQ(f.machine(a.m)->rollout_boot_unix, kStart + 7);
  // Named again: the clock starts again.
  ASSERT_EQ(f.set_next_boot(a.m, NextBoot{"debian"}, kStart + 20, "r1"), ChangeResult::ok);
  EXPECT_EQ(f.machine(a.m)->rollout_boot_unix, 0);
  EXPECT_EQ(f.machine(a.m)->rollout_joined_unix, kStart + 20);
}

TEST(FleetRollout, TheStoreIsHandedTheRolloutAndItsTimes) {
  Fleet f(config());
  Box a{f, mac("52:54:00:00:00:01"), "10.0.0.11"};
  ASSERT_EQ(f.set_next_boot(a.m, NextBoot{"debian"}, kStart, "r1"), ChangeResult::ok);
  a.dhcp(kStart + 7);
  const Changes c = f.take_changes();
  ASSERT_EQ(c.machines.size(), 1u);
  EXPECT_EQ(c.machines[0].rollout, "r1");
  EXPECT_EQ(c.machines[0].rollout_joined_unix, kStart);
  EXPECT_EQ(c.machines[0].rollout_boot_unix, kStart + 7);
}

// --- the stage durations the engine reports ---------------------------------------

std::uint64_t observed(const Fleet& f, Stage s) {
  return f.counters().stage_seconds[static_cast<std::size_t>(s)].count();
}

TEST(FleetStageSeconds, EachStageLeftForTheNextIsOneObservation) {
  Fleet f(config());
  Box a{f, mac("52:54:00:00:00:01"), "10.0.0.11"};
  ASSERT_EQ(f.set_next_boot(a.m, NextBoot{"debian"}, kStart), ChangeResult::ok);
  a.dhcp(kStart);                                         // firmware_dhcp
  a.fetch(kStart + 3, "ipxe.efi");                        // loader, after 3 s
  a.dhcp(kStart + 5, true);                               // still loader
  ASSERT_TRUE(a.ipxe(kStart + 20).install());             // script, after 17 s in loader
  a.fetch(kStart + 21, "/debian/linux");                  // kernel, 1 s in script
  a.fetch(kStart + 61, "/debian/initrd.gz");              // the hand-off: installing, 40 s in kernel
  ASSERT_EQ(a.done(kStart + 661), DoneResult::accepted);  // done, 600 s installing
  const FleetCounters& c = f.counters();
  const auto bucket_of = [&](Stage s, double bound) {
    std::size_t i = 0;
    while (kStageBucketsSeconds[i] != bound) ++i;
    return c.stage_seconds[static_cast<std::size_t>(s)].buckets[i];
  };
  EXPECT_EQ(observed(f, Stage::firmware_dhcp), 1u);
  EXPECT_EQ(bucket_of(Stage::firmware_dhcp, 5), 1u);
  EXPECT_EQ(bucket_of(Stage::loader, 20), 1u);
  EXPECT_EQ(bucket_of(Stage::script, 1), 1u);
  EXPECT_EQ(bucket_of(Stage::kernel, 60), 1u);
  EXPECT_EQ(observed(f, Stage::initrd), 0u) << "one initrd: the kernel's next stage is the hand-off";
  EXPECT_EQ(bucket_of(Stage::installing, 600), 1u);
  EXPECT_DOUBLE_EQ(c.stage_seconds[static_cast<std::size_t>(Stage::installing)].sum_seconds, 600);
  for (const Stage rest : {Stage::discovered, Stage::done, Stage::local, Stage::failed})
    EXPECT_EQ(observed(f, rest), 0u) << to_string(rest);
  // The next boot: local after done. Leaving a rest stage (done) is not
  // observed, nor is a decision that ends the chain (firmware_dhcp -> local).
  a.dhcp(kStart + 1000);
  EXPECT_EQ(a.ipxe(kStart + 1010).reason, Reason::done);
  EXPECT_EQ(f.machine(a.m)->timeline.stage(), Stage::local);
  EXPECT_EQ(observed(f, Stage::done), 0u);
  EXPECT_EQ(observed(f, Stage::firmware_dhcp), 1u);
}

TEST(FleetStageSeconds, ARebootFromTheMiddleOfTheChainObservesNothing) {
  Fleet f(config());
  Box a{f, mac("52:54:00:00:00:01"), "10.0.0.11"};
  ASSERT_EQ(f.set_next_boot(a.m, NextBoot{"debian"}, kStart), ChangeResult::ok);
  a.dhcp(kStart);
  ASSERT_TRUE(a.ipxe(kStart + 10).install());  // firmware_dhcp -> script
  a.fetch(kStart + 11, "/debian/linux");       // script -> kernel
  const std::uint64_t before = observed(f, Stage::kernel);
  a.dhcp(kStart + 500);  // kernel panicked, the machine rebooted
  EXPECT_EQ(f.machine(a.m)->timeline.stage(), Stage::firmware_dhcp);
  EXPECT_EQ(observed(f, Stage::kernel), before) << "the kernel stage did not end, it was abandoned";
  EXPECT_EQ(before, 0u);
}

}  // namespace
}  // namespace ringboot::fleet
