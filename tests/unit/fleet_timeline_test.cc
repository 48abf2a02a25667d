#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fleet/timeline.h"

namespace ringboot::fleet {
namespace {

// Steps as an OVMF -> ipxe.efi -> Debian installer boot sends them (times
// in ms from the firmware's first DISCOVER, as measured in tests/e2e).
struct At {
  std::int64_t ms;
  Step step;
  const char* detail;
};
const std::vector<At> kUefiInstall{
    {0, Step::dhcp_firmware, "DISCOVER->OFFER arch=7"},
    {4100, Step::dhcp_firmware, "REQUEST->ACK arch=7 address=10.77.0.100"},
    {4300, Step::loader_fetch, "RRQ ipxe.efi bytes=1046528"},
    {10500, Step::dhcp_loader, "DISCOVER->OFFER arch=7 ipxe"},
    {26500, Step::dhcp_loader, "REQUEST->ACK ipxe"},
    {26600, Step::other, "GET /boot.ipxe 200"},
    {26650, Step::script, "install debian12"},
    {27800, Step::kernel_fetch, "GET /linux 200"},
    {30100, Step::handoff, "GET /initrd.gz 200"},
    {95000, Step::progress, "partitioning"},
    {400000, Step::done, "done"},
};

Timeline replay(const std::vector<At>& steps, std::int64_t base = 1700000000000) {
  Timeline t;
  for (const At& a : steps) t.record(base + a.ms, a.step, a.detail, 64);
  return t;
}

TEST(FleetTimeline, AnInstallBootWalksTheChainInOrder) {
  const std::int64_t base = 1700000000000;
  Timeline t = replay(kUefiInstall, base);
  EXPECT_EQ(t.stage(), Stage::done);
  EXPECT_EQ(t.entered_ms(Stage::firmware_dhcp), base);  // the boot began at the first DISCOVER
  EXPECT_EQ(t.entered_ms(Stage::loader), base + 4300);  // iPXE's own DHCP keeps it there
  EXPECT_EQ(t.entered_ms(Stage::script), base + 26650);
  EXPECT_EQ(t.entered_ms(Stage::kernel), base + 27800);
  EXPECT_EQ(t.entered_ms(Stage::initrd), 0);  // one initrd: straight to the hand-off
  EXPECT_EQ(t.entered_ms(Stage::installing), base + 30100);
  EXPECT_EQ(t.entered_ms(Stage::done), base + 400000);
  EXPECT_EQ(t.size(), kUefiInstall.size());
  // The next boot: the firmware again, then local.
  t.record(base + 500000, Step::dhcp_firmware, "DISCOVER->OFFER", 64);
  EXPECT_EQ(t.stage(), Stage::firmware_dhcp);
  t.record(base + 510000, Step::loader_fetch, "RRQ ipxe.efi", 64);
  t.record(base + 530000, Step::local, "done", 64);
  EXPECT_EQ(t.stage(), Stage::local);
  EXPECT_EQ(t.entered_ms(Stage::local), base + 530000);
}

TEST(FleetTimeline, AFetchRecordedLateDoesNotMoveTheMachineBack) {
  Timeline t;
  t.record(1000, Step::script, "", 8);
  t.record(1200, Step::initrd_fetch, "initrd0", 8);
  EXPECT_EQ(t.stage(), Stage::initrd);
  t.record(1100, Step::kernel_fetch, "the kernel's completion, recorded after", 8);
  EXPECT_EQ(t.stage(), Stage::initrd);
  EXPECT_EQ(t.last_event_ms(), 1200);
  t.record(1300, Step::loader_fetch, "a loader retried", 8);
  EXPECT_EQ(t.stage(), Stage::initrd);
  t.record(1400, Step::handoff, "initrd1", 8);
  EXPECT_EQ(t.stage(), Stage::installing);
}

TEST(FleetTimeline, MissingStepsStillLandTheMachine) {
  // Proxy mode beside another server whose DHCP is not seen: the first
  // step is the loader's fetch.
  Timeline t;
  EXPECT_TRUE(t.record(1000, Step::loader_fetch, "RRQ undionly.kpxe", 8));
  EXPECT_EQ(t.stage(), Stage::loader);
  // A script with no fetch recorded after it (the kernel came from elsewhere), then done.
  t.record(2000, Step::script, "", 8);
  t.record(9000, Step::done, "", 8);
  EXPECT_EQ(t.stage(), Stage::done);
  // A fetch after done (the installed system fetching something) starts no boot.
  EXPECT_FALSE(t.record(9500, Step::kernel_fetch, "", 8));
  EXPECT_EQ(t.stage(), Stage::done);
}

TEST(FleetTimeline, StuckOnlyInABootInProgress) {
  Timeline t;
  t.record(1000, Step::dhcp_firmware, "", 8);
  t.record(2000, Step::loader_fetch, "", 8);
  EXPECT_FALSE(t.stuck(2000 + 300000, 300000));
  EXPECT_TRUE(t.stuck(2000 + 300001, 300000));
  t.record(400000, Step::other, "GET /boot.ipxe", 8);  // any step is progress
  EXPECT_FALSE(t.stuck(400000 + 1000, 300000));
  t.record(500000, Step::local, "", 8);
  EXPECT_FALSE(t.stuck(10000000, 300000));  // at rest
  t.record(600000, Step::failed, "", 8);
  EXPECT_FALSE(t.stuck(10000000, 300000));
}

TEST(FleetTimeline, EventsAreBoundedStagesStillMove) {
  Timeline t;
  for (int i = 0; i < 10; ++i) t.record(1000 + i, Step::other, "x", 4);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.event(0).unix_ms, 1006);
  EXPECT_EQ(t.back().unix_ms, 1009);
  EXPECT_EQ(t.dropped(), 6u);
  Timeline none;
  none.record(1, Step::script, "", 0);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.stage(), Stage::script);
}

std::vector<std::string> details(const Timeline& t) {
  std::vector<std::string> out;
  t.for_each([&](const TimelineEvent& e) { out.push_back(e.detail); });
  return out;
}

TEST(FleetTimeline, AFullTimelineIsARingOldestFirst) {
  Timeline t;
  for (int i = 0; i < 7; ++i) t.record(1000 + i, Step::other, std::string(40, static_cast<char>('a' + i)), 3);
  const std::vector<std::string> want{std::string(40, 'e'), std::string(40, 'f'), std::string(40, 'g')};
  EXPECT_EQ(details(t), want);
  EXPECT_EQ(t.back().detail, want.back());
  EXPECT_EQ(t.dropped(), 4u);
}

TEST(FleetTimeline, AReloadedBoundKeepsTheNewestInOrder) {
  Timeline t;
  for (int i = 0; i < 5; ++i) t.record(1000 + i, Step::other, std::to_string(i), 3);  // ring: 2 3 4, wrapped
  t.record(2000, Step::other, "5", 5);                                                // raised: grows, oldest first
  t.record(2001, Step::other, "6", 5);
  EXPECT_EQ(details(t), (std::vector<std::string>{"2", "3", "4", "5", "6"}));
  t.record(2002, Step::other, "7", 5);  // full again: wraps
  t.record(2003, Step::other, "8", 2);  // lowered: the newest kept
  EXPECT_EQ(details(t), (std::vector<std::string>{"7", "8"}));
  EXPECT_EQ(t.dropped(), 7u);  // 2 by the first ring, 1 by "7", 3 by the lowered bound, 1 by "8"
}

TEST(FleetTimeline, StageNamesRoundTrip) {
  for (std::size_t i = 0; i < kStageCount; ++i) {
    const Stage s = static_cast<Stage>(i);
    EXPECT_EQ(parse_stage(to_string(s)), s);
  }
  EXPECT_EQ(parse_stage("bogus"), std::nullopt);
}

}  // namespace
}  // namespace ringboot::fleet
