#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dhcp/lease.h"

namespace ringboot::dhcp {
namespace {

Ipv4 ip(std::string_view s) { return *Ipv4::parse(s); }
Mac mac_n(std::uint32_t n) {
  return Mac{{0x52, 0x54, 0x00, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
              static_cast<std::uint8_t>(n)}};
}

SubnetConfig subnet(std::string_view first = "10.0.0.100", std::string_view last = "10.0.0.103") {
  SubnetConfig s;
  s.cidr = *Cidr::parse("10.0.0.0/24");
  s.range_first = ip(first);
  s.range_last = ip(last);
  s.lease_seconds = 3600;
  return s;
}

constexpr std::int64_t kNow = 1'700'000'000;

TEST(DhcpLease, OffersLowestThenPrevious) {
  std::vector<SubnetConfig> subnets{subnet()};
  LeaseTable t(subnets, {}, 100, 30, 600);
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow), ip("10.0.0.100"));
  EXPECT_EQ(t.offer(mac_n(2), 0, std::nullopt, kNow), ip("10.0.0.101"));
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow), ip("10.0.0.100"));  // same client, same offer
  // Requested address honoured when free.
  EXPECT_EQ(t.offer(mac_n(3), 0, ip("10.0.0.103"), kNow), ip("10.0.0.103"));
  // Requested address held by someone else: lowest free instead.
  EXPECT_EQ(t.offer(mac_n(4), 0, ip("10.0.0.100"), kNow), ip("10.0.0.102"));
  // Previous address wins over a requested one.
  EXPECT_EQ(t.offer(mac_n(1), 0, ip("10.0.0.103"), kNow), ip("10.0.0.100"));
}

TEST(DhcpLease, BindAndNakRules) {
  std::vector<SubnetConfig> subnets{subnet()};
  LeaseTable t(subnets, {}, 100, 30, 600);
  auto a = t.offer(mac_n(1), 0, std::nullopt, kNow);
  auto l = t.bind(mac_n(1), *a, 0, kNow);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->state, LeaseState::bound);
  EXPECT_EQ(l->expires_unix, kNow + 3600);
  EXPECT_FALSE(t.bind(mac_n(2), *a, 0, kNow));                // someone else's
  EXPECT_FALSE(t.bind(mac_n(1), ip("10.0.0.101"), 0, kNow));  // holds another address
  EXPECT_FALSE(t.bind(mac_n(2), ip("10.0.1.5"), 0, kNow));    // wrong subnet
  EXPECT_FALSE(t.bind(mac_n(2), ip("10.0.0.5"), 0, kNow));    // outside the range
  EXPECT_TRUE(t.bind(mac_n(2), ip("10.0.0.102"), 0, kNow));   // init-reboot to a free address
  // Renewal extends.
  EXPECT_EQ(t.bind(mac_n(1), *a, 0, kNow + 100)->expires_unix, kNow + 100 + 3600);
}

TEST(DhcpLease, ReservationsByMac) {
  std::vector<SubnetConfig> subnets{subnet()};
  std::vector<HostConfig> hosts{{mac_n(9), ip("10.0.0.50"), "node9"}, {mac_n(8), ip("10.0.0.100"), ""}};
  LeaseTable t(subnets, hosts, 100, 30, 600);
  EXPECT_EQ(t.offer(mac_n(9), 0, std::nullopt, kNow), ip("10.0.0.50"));
  EXPECT_TRUE(t.bind(mac_n(9), ip("10.0.0.50"), 0, kNow));
  EXPECT_FALSE(t.bind(mac_n(9), ip("10.0.0.101"), 0, kNow));  // must use its reservation
  // 10.0.0.100 is in the range but reserved for mac 8: nobody else gets it.
  EXPECT_EQ(t.offer(mac_n(1), 0, ip("10.0.0.100"), kNow), ip("10.0.0.101"));
  EXPECT_FALSE(t.bind(mac_n(2), ip("10.0.0.100"), 0, kNow));
  EXPECT_EQ(t.offer(mac_n(8), 0, std::nullopt, kNow), ip("10.0.0.100"));
}

// A reserved client whose address is quarantined after its DECLINE is offered
// nothing: a pool address would be NAKed by bind() on every REQUEST.
TEST(DhcpLease, DeclinedReservationOffersNothingUntilQuarantineEnds) {
  std::vector<SubnetConfig> subnets{subnet()};
  std::vector<HostConfig> hosts{{mac_n(9), ip("10.0.0.50"), "node9"}};
  LeaseTable t(subnets, hosts, 100, 30, 600);
  ASSERT_EQ(t.offer(mac_n(9), 0, std::nullopt, kNow), ip("10.0.0.50"));
  ASSERT_TRUE(t.bind(mac_n(9), ip("10.0.0.50"), 0, kNow));
  ASSERT_TRUE(t.decline(mac_n(9), ip("10.0.0.50"), kNow + 1));
  EXPECT_EQ(t.offer(mac_n(9), 0, std::nullopt, kNow + 2), std::nullopt);
  EXPECT_EQ(t.offer(mac_n(9), 0, std::nullopt, kNow + 2 + 600), ip("10.0.0.50"));
}

TEST(DhcpLease, PoolExhaustionThenExpiryReclaims) {
  std::vector<SubnetConfig> subnets{subnet()};
  LeaseTable t(subnets, {}, 100, 30, 600);
  for (std::uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(t.offer(mac_n(i), 0, std::nullopt, kNow));
  EXPECT_FALSE(t.offer(mac_n(99), 0, std::nullopt, kNow));
  // Offers are short holds: after 30 s the pool is free again.
  EXPECT_TRUE(t.offer(mac_n(99), 0, std::nullopt, kNow + 31));
  // Bound leases hold for lease_seconds.
  LeaseTable u(subnets, {}, 100, 30, 600);
  for (std::uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(u.bind(mac_n(i), Ipv4{ip("10.0.0.100").value + i}, 0, kNow));
  EXPECT_FALSE(u.offer(mac_n(99), 0, std::nullopt, kNow + 3599));
  EXPECT_EQ(u.offer(mac_n(99), 0, std::nullopt, kNow + 3601), ip("10.0.0.100"));  // oldest expired
  EXPECT_EQ(u.sweep(kNow + 3601), 1u);
}

TEST(DhcpLease, LeasesMaxBounds) {
  std::vector<SubnetConfig> subnets{subnet("10.0.0.10", "10.0.0.250")};
  LeaseTable t(subnets, {}, 3, 30, 600);
  for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(t.offer(mac_n(i), 0, std::nullopt, kNow));
  EXPECT_FALSE(t.offer(mac_n(3), 0, std::nullopt, kNow));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_TRUE(t.offer(mac_n(3), 0, std::nullopt, kNow + 31));
  EXPECT_EQ(t.size(), 3u);
}

TEST(DhcpLease, DeclineQuarantines) {
  std::vector<SubnetConfig> subnets{subnet("10.0.0.100", "10.0.0.101")};
  LeaseTable t(subnets, {}, 100, 30, 600);
  auto a = *t.offer(mac_n(1), 0, std::nullopt, kNow);
  ASSERT_TRUE(t.bind(mac_n(1), a, 0, kNow));
  EXPECT_FALSE(t.decline(mac_n(2), a, kNow));  // not the holder
  auto d = t.decline(mac_n(1), a, kNow);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, LeaseState::declined);
  EXPECT_EQ(d->expires_unix, kNow + 600);
  // The client gets another address; nobody gets the declined one for 10 min.
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow), ip("10.0.0.101"));
  ASSERT_TRUE(t.bind(mac_n(1), ip("10.0.0.101"), 0, kNow));
  EXPECT_FALSE(t.offer(mac_n(2), 0, a, kNow + 1));
  EXPECT_FALSE(t.bind(mac_n(2), a, 0, kNow + 1));
  EXPECT_EQ(t.offer(mac_n(2), 0, std::nullopt, kNow + 601), a);
}

TEST(DhcpLease, ReleaseRemembersClient) {
  std::vector<SubnetConfig> subnets{subnet()};
  LeaseTable t(subnets, {}, 100, 30, 600);
  auto a = *t.offer(mac_n(1), 0, std::nullopt, kNow);
  ASSERT_TRUE(t.bind(mac_n(1), a, 0, kNow));
  EXPECT_FALSE(t.release(mac_n(2), a, kNow));
  auto r = t.release(mac_n(1), a, kNow + 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, LeaseState::released);
  EXPECT_EQ(t.offer(mac_n(2), 0, std::nullopt, kNow + 6), ip("10.0.0.101"));  // never-used first
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow + 7), a);                 // same address back
}

TEST(DhcpLease, JournalLineRoundTrip) {
  Lease l{*Mac::parse("52:54:00:12:34:56"), ip("10.0.0.100"), LeaseState::bound, 1700003600};
  EXPECT_EQ(to_journal_line(l), "bind 52:54:00:12:34:56 10.0.0.100 1700003600");
  EXPECT_EQ(parse_journal_line(to_journal_line(l) + "\n"), l);
  for (LeaseState s : {LeaseState::released, LeaseState::declined}) {
    l.state = s;
    EXPECT_EQ(parse_journal_line(to_journal_line(l)), l);
  }
  EXPECT_FALSE(parse_journal_line("bind 52:54:00:12:34:56 10.0.0.100"));
  EXPECT_FALSE(parse_journal_line("bind 52:54:00:12:34:56 10.0.0.100 17x"));
  EXPECT_FALSE(parse_journal_line("bind 52:54:00:12:34:56 10.0.0.100 1 extra"));
  EXPECT_FALSE(parse_journal_line("steal 52:54:00:12:34:56 10.0.0.100 1"));
  EXPECT_FALSE(parse_journal_line("bind 52:54:00:12:34 10.0.0.100 1"));
}

TEST(DhcpLease, ReplayRestoresTableAndSnapshotCompacts) {
  std::vector<SubnetConfig> subnets{subnet("10.0.0.100", "10.0.0.110")};
  LeaseTable t(subnets, {}, 100, 30, 600);
  std::string journal;
  auto append = [&](const Lease& l) { journal += to_journal_line(l) + "\n"; };
  for (std::uint32_t i = 0; i < 5; ++i) {
    auto a = *t.offer(mac_n(i), 0, std::nullopt, kNow);
    append(*t.bind(mac_n(i), a, 0, kNow));
  }
  append(*t.release(mac_n(1), ip("10.0.0.101"), kNow + 1));
  append(*t.decline(mac_n(2), ip("10.0.0.102"), kNow + 1));
  append(*t.bind(mac_n(0), ip("10.0.0.100"), 0, kNow + 2));  // renewal
  journal += "bind 52:54:00:00:00:09 10.0.";                 // torn last write
  LeaseTable r(subnets, {}, 100, 30, 600);
  auto stats = r.replay(journal);
  EXPECT_EQ(stats.applied, 8u);
  EXPECT_EQ(stats.malformed, 1u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    const Lease* a = t.find(Ipv4{ip("10.0.0.100").value + i});
    const Lease* b = r.find(Ipv4{ip("10.0.0.100").value + i});
    ASSERT_TRUE(a && b) << i;
    EXPECT_EQ(*a, *b) << i;
  }
  // After a restart the replayed table still refuses the bound/declined addresses to others.
  EXPECT_FALSE(r.bind(mac_n(7), ip("10.0.0.103"), 0, kNow + 3));
  EXPECT_FALSE(r.bind(mac_n(7), ip("10.0.0.102"), 0, kNow + 3));
  EXPECT_EQ(r.offer(mac_n(1), 0, std::nullopt, kNow + 3), ip("10.0.0.101"));
  // Snapshot: one line per address, replays to the same records.
  auto lines = t.snapshot_lines(kNow + 3);
  EXPECT_EQ(lines.size(), 5u);
  std::string snap;
  for (auto& l : lines) snap += l + "\n";
  LeaseTable s(subnets, {}, 100, 30, 600);
  EXPECT_EQ(s.replay(snap).applied, 5u);
  for (std::uint32_t i = 0; i < 5; ++i)
    EXPECT_EQ(*s.find(Ipv4{ip("10.0.0.100").value + i}), *t.find(Ipv4{ip("10.0.0.100").value + i}));
  // Addresses no longer in any subnet are ignored.
  EXPECT_EQ(s.replay("bind 52:54:00:00:00:01 192.168.0.1 1\n").ignored, 1u);
}

// Many clients doing random things: an address is never live for two clients.
TEST(DhcpLease, NeverTwoClientsSameAddressRandomised) {
  std::vector<SubnetConfig> subnets{subnet("10.0.0.10", "10.0.0.60")};
  std::vector<HostConfig> hosts{{mac_n(3), ip("10.0.0.20"), ""}, {mac_n(4), ip("10.0.0.5"), ""}};
  LeaseTable t(subnets, hosts, 40, 30, 600);
  std::mt19937 rng_engine(42);
  auto rng = [&] { return static_cast<std::uint32_t>(rng_engine()); };
  std::int64_t now = kNow;
  for (int step = 0; step < 200000; ++step) {
    now += rng() % 3;
    const Mac m = mac_n(rng() % 120);
    const Ipv4 any{ip("10.0.0.0").value + rng() % 70};
    switch (rng() % 6) {
      case 0:
        (void)t.offer(m, 0, rng() % 2 ? std::optional<Ipv4>(any) : std::nullopt, now);
        break;
      case 1: {
        auto a = t.offer(m, 0, std::nullopt, now);
        if (a) (void)t.bind(m, *a, 0, now);
        break;
      }
      case 2:
        (void)t.bind(m, any, 0, now);
        break;
      case 3:
        (void)t.release(m, any, now);
        break;
      case 4:
        (void)t.decline(m, any, now);
        break;
      case 5:
        if (rng() % 100 == 0)
          (void)t.sweep(now);
        else
          t.drop_offer(m);
        break;
    }
    if (step % 997 != 0) continue;
    // Invariant: each live, owned address maps to one client, and each client has at most one.
    std::map<std::uint32_t, Mac> owner;
    std::set<std::uint64_t> clients;
    for (std::uint32_t a = ip("10.0.0.0").value; a < ip("10.0.0.0").value + 256; ++a) {
      const Lease* l = t.find(Ipv4{a});
      if (l == nullptr || !t.live(*l, now) || l->state == LeaseState::declined) continue;
      ASSERT_EQ(l->address.value, a);
      ASSERT_TRUE(owner.emplace(a, l->mac).second);
      ASSERT_TRUE(clients.insert(l->mac.key()).second) << l->mac.to_string() << " holds two addresses";
      if (a == ip("10.0.0.20").value) {
        ASSERT_EQ(l->mac, mac_n(3));
      }
      ASSERT_LE(t.size(), 40u);
    }
  }
}

}  // namespace
}  // namespace ringboot::dhcp
