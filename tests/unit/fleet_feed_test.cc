// The engine's change feed: its bound, resume and reset, and which of the
// engine's inputs are changes (a decision, a stage change, an API change, a
// callback) and which are not (a repeated sighting of an unchanged machine,
// a refused callback).
#include <gtest/gtest.h>

#include "fleet/engine.h"
#include "fleet/feed.h"

namespace ringboot::fleet {
namespace {

Mac mac(std::string_view text) { return *Mac::parse_any(text); }

std::vector<FeedEntry> since(const ChangeFeed& f, std::uint64_t after) {
  std::vector<FeedEntry> out;
  f.since(after, out);
  return out;
}

TEST(ChangeFeed, SequencesCountUpFromTheBase) {
  ChangeFeed f(8, 1000);
  EXPECT_EQ(f.last(), 1000u);
  EXPECT_TRUE(f.holds(1000));  // nothing happened yet: a subscriber at the base is current
  EXPECT_EQ(f.push(mac("52:54:00:00:00:01")), 1001u);
  EXPECT_EQ(f.push(mac("52:54:00:00:00:02")), 1002u);
  const auto all = since(f, 1000);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].sequence, 1001u);
  EXPECT_EQ(all[0].mac, mac("52:54:00:00:00:01"));
  EXPECT_EQ(all[1].sequence, 1002u);
  ASSERT_EQ(since(f, 1001).size(), 1u);
  EXPECT_TRUE(since(f, 1002).empty());
}

TEST(ChangeFeed, KeepsOnlyCapacityAndSaysWhenAResumeIsNoLongerHeld) {
  ChangeFeed f(4, 0);
  for (int i = 0; i < 10; ++i) f.push(mac("52:54:00:00:00:01"));
  EXPECT_EQ(f.size(), 4u);
  EXPECT_EQ(f.last(), 10u);
  // 7..10 are held: a subscriber at 6 lost nothing, one at 5 lost 6.
  EXPECT_TRUE(f.holds(6));
  EXPECT_FALSE(f.holds(5));
  EXPECT_FALSE(f.holds(0));
  ASSERT_EQ(since(f, 6).size(), 4u);
  EXPECT_EQ(since(f, 6).front().sequence, 7u);
  EXPECT_TRUE(f.holds(10));
}

TEST(ChangeFeed, AnIdNotOfThisFeedIsNeverHeld) {
  ChangeFeed f(16, 5000);
  f.push(mac("52:54:00:00:00:01"));
  EXPECT_FALSE(f.holds(5002));  // ahead of it: from another run
  EXPECT_FALSE(f.holds(4999));  // before its base: from an earlier run
  EXPECT_FALSE(f.holds(~std::uint64_t{0}));
}

TEST(ChangeFeed, CapacityIsAtLeastOne) {
  ChangeFeed f(0, 0);
  f.push(mac("52:54:00:00:00:01"));
  f.push(mac("52:54:00:00:00:02"));
  EXPECT_EQ(f.size(), 1u);
  EXPECT_TRUE(f.holds(1));
  EXPECT_FALSE(f.holds(0));
}

FleetConfig config() {
  FleetConfig c;
  Profile p;
  p.name = "debian";
  p.kernel = "{{http_base}}/debian/linux";
  p.cmdline = "ringboot.done={{done_url}}";
  c.profiles = {p};
  Group g;
  g.name = "rack1";
  g.match.mac = MacPattern::parse("52:54:00");
  g.profile = "debian";
  c.groups = {g};
  return c;
}

DhcpSighting sighting(std::string_view m, std::string_view ip) {
  DhcpSighting s;
  s.mac = mac(m);
  s.ip = Ipv4::parse(ip);
  s.facts.arch = 7;
  s.file = "ipxe.efi";
  s.detail = "DISCOVER->OFFER";
  return s;
}

TEST(FleetFeed, DecisionsApiChangesAndCallbacksAreChangesARepeatedSightingIsNot) {
  Fleet f(config());
  f.configure_feed(64, 0);
  const std::int64_t now = 1700000000;
  f.observe_dhcp(sighting("52:54:00:00:00:01", "10.0.0.5"), now * 1000);
  EXPECT_EQ(f.feed().last(), 1u) << "a new machine";
  f.observe_dhcp(sighting("52:54:00:00:00:01", "10.0.0.5"), now * 1000 + 10);
  EXPECT_EQ(f.feed().last(), 1u) << "the same firmware DHCP again: same stage, same facts";
  f.observe_dhcp(sighting("52:54:00:00:00:01", "10.0.0.6"), now * 1000 + 20);
  EXPECT_EQ(f.feed().last(), 2u) << "a new address";

  BootFacts facts;
  facts.mac = mac("52:54:00:00:00:01");
  facts.http_base = "http://boot";
  Token random{};
  random.fill(3);
  const Decision d = f.boot(facts, now, random);
  ASSERT_TRUE(d.install());
  EXPECT_EQ(f.feed().last(), 3u) << "a decision";

  EXPECT_EQ(f.done(mac("52:54:00:00:00:01"), "00000000000000000000000000000000", now), DoneResult::wrong_token);
  EXPECT_EQ(f.feed().last(), 3u) << "a refused callback changes nothing";
  EXPECT_EQ(f.done(mac("52:54:00:00:00:01"), token_hex(random), now), DoneResult::accepted);
  EXPECT_EQ(f.feed().last(), 4u) << "done";

  EXPECT_EQ(f.declare(mac("52:54:00:00:00:01"), std::string("node1"), std::nullopt), ChangeResult::ok);
  EXPECT_EQ(f.reset(mac("52:54:00:00:00:01")), ChangeResult::ok);
  EXPECT_EQ(f.set_next_boot(mac("52:54:00:00:00:02"), NextBoot{"debian", true}, now), ChangeResult::ok);
  EXPECT_EQ(f.forget(mac("52:54:00:00:00:02")), ChangeResult::ok);
  EXPECT_EQ(f.feed().last(), 8u) << "declare, reset, next boot, forget";
  const auto all = since(f.feed(), 0);
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all.back().mac, mac("52:54:00:00:00:02"));
}

TEST(FleetFeed, AFetchIsAChangeOnlyWhenItMovesTheStage) {
  Fleet f(config());
  const std::int64_t now_ms = 1700000000000;
  f.observe_dhcp(sighting("52:54:00:00:00:01", "10.0.0.5"), now_ms);
  const std::uint64_t after_dhcp = f.feed().last();
  Fetch loader;
  loader.peer = *Ipv4::parse("10.0.0.5");
  loader.path = "ipxe.efi";
  loader.ok = true;
  f.fetched(loader, now_ms + 100);
  EXPECT_EQ(f.feed().last(), after_dhcp + 1) << "the loader: firmware_dhcp -> loader";
  Fetch other = loader;
  other.path = "/unrelated.txt";
  f.fetched(other, now_ms + 200);
  EXPECT_EQ(f.feed().last(), after_dhcp + 1) << "another file moves no stage";
}

}  // namespace
}  // namespace ringboot::fleet
