// The conflict check before an OFFER: config keys, which offers the lease
// table calls fresh, quarantine on a conflict, the engine's probe outcome,
// and the ICMP echo bytes the glue sends and parses.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "dhcp/config.h"
#include "dhcp/engine.h"
#include "dhcp/icmp_echo.h"
#include "dhcp/lease.h"
#include "support/dhcp_client_packet.h"

namespace ringboot::dhcp {
namespace {

Ipv4 ip(std::string_view s) { return *Ipv4::parse(s); }
constexpr std::int64_t kNow = 1'700'000'000;
Mac mac_n(std::uint8_t n) { return Mac{{0x52, 0x54, 0x00, 0, 0, n}}; }

struct Journal : JournalSink {
  std::vector<std::string> lines;
  void append(std::string_view line) override { lines.emplace_back(line); }
};

SubnetConfig subnet() {
  SubnetConfig s;
  s.cidr = *Cidr::parse("10.0.0.0/24");
  s.range_first = ip("10.0.0.100");
  s.range_last = ip("10.0.0.103");
  s.lease_seconds = 3600;
  return s;
}

TEST(DhcpConflictLease, FreshOnlyForAddressesTheClientNeverHeld) {
  std::vector<SubnetConfig> subnets{subnet()};
  std::vector<HostConfig> hosts{{mac_n(50), ip("10.0.0.50"), ""}};
  LeaseTable t(subnets, hosts, 100, 30, 600);
  bool fresh = false;
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow, &fresh), ip("10.0.0.100"));
  EXPECT_TRUE(fresh);  // a pool address
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow, &fresh), ip("10.0.0.100"));
  EXPECT_TRUE(fresh);  // only offered, never held: checked again
  EXPECT_EQ(t.offer(mac_n(50), 0, std::nullopt, kNow, &fresh), ip("10.0.0.50"));
  EXPECT_FALSE(fresh);  // a reservation
  ASSERT_TRUE(t.bind(mac_n(1), ip("10.0.0.100"), 0, kNow));
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow + 10, &fresh), ip("10.0.0.100"));
  EXPECT_FALSE(fresh);  // its own binding
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow + 7200, &fresh), ip("10.0.0.100"));
  EXPECT_FALSE(fresh);  // its own binding, expired but still its
  ASSERT_TRUE(t.release(mac_n(1), ip("10.0.0.100"), kNow + 20));
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow + 30, &fresh), ip("10.0.0.100"));
  EXPECT_FALSE(fresh);  // released: still remembered as its
  EXPECT_EQ(t.offer(mac_n(2), 0, ip("10.0.0.103"), kNow, &fresh), ip("10.0.0.103"));
  EXPECT_TRUE(fresh);  // requested, but not held here
  EXPECT_FALSE(t.offer(mac_n(2), 9, std::nullopt, kNow, &fresh));
  EXPECT_FALSE(fresh);
}

TEST(DhcpConflictLease, MarkConflictQuarantinesTheOfferedAddress) {
  std::vector<SubnetConfig> subnets{subnet()};
  LeaseTable t(subnets, {}, 100, 30, 600);
  ASSERT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow), ip("10.0.0.100"));
  auto q = t.mark_conflict(ip("10.0.0.100"), kNow);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->state, LeaseState::declined);
  EXPECT_EQ(q->expires_unix, kNow + 600);
  EXPECT_EQ(t.find(mac_n(1)), nullptr);                       // the client no longer holds it
  EXPECT_FALSE(t.mark_conflict(ip("10.0.0.100"), kNow + 1));  // already quarantined: nothing new to journal
  EXPECT_EQ(t.offer(mac_n(1), 0, std::nullopt, kNow + 1), ip("10.0.0.101"));
  EXPECT_EQ(t.offer(mac_n(2), 0, ip("10.0.0.100"), kNow + 1), ip("10.0.0.102"));  // nobody gets it while quarantined
  EXPECT_FALSE(t.bind(mac_n(2), ip("10.0.0.100"), 0, kNow + 1));
  // A free address nobody was offered can be quarantined too; a bound one cannot.
  EXPECT_TRUE(t.mark_conflict(ip("10.0.0.103"), kNow + 1));
  ASSERT_TRUE(t.bind(mac_n(1), ip("10.0.0.101"), 0, kNow + 1));
  EXPECT_FALSE(t.mark_conflict(ip("10.0.0.101"), kNow + 2));
  EXPECT_FALSE(t.mark_conflict(ip("10.9.9.9"), kNow + 2));  // outside every subnet
  // After the quarantine the address is free again.
  t.sweep(kNow + 601);
  EXPECT_EQ(t.find(ip("10.0.0.100")), nullptr);
  EXPECT_EQ(t.offer(mac_n(3), 0, std::nullopt, kNow + 601), ip("10.0.0.100"));
}

TEST(DhcpConflictLease, ReplayedQuarantineNeverTakesTheClientsBinding) {
  std::vector<SubnetConfig> subnets{subnet()};
  LeaseTable t(subnets, {}, 100, 30, 600);
  // Snapshot order is by slot: the binding may come before the quarantine of
  // the address the same MAC was offered first.
  const std::string journal = "bind 52:54:00:00:00:01 10.0.0.101 " + std::to_string(kNow + 3600) +
                              "\ndecline 52:54:00:00:00:01 10.0.0.100 " + std::to_string(kNow + 600) + "\n";
  EXPECT_EQ(t.replay(journal).applied, 2u);
  const Lease* bound = t.find(mac_n(1));
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ(bound->address, ip("10.0.0.101"));
  EXPECT_EQ(bound->state, LeaseState::bound);
  ASSERT_NE(t.find(ip("10.0.0.100")), nullptr);
  EXPECT_EQ(t.find(ip("10.0.0.100"))->state, LeaseState::declined);
}

DhcpConfig engine_config(ConflictCheck check) {
  DhcpConfig c;
  c.mode = Mode::server;
  c.interface = "eth0";
  c.server_address = ip("10.0.0.1");
  c.conflict_check = check;
  c.subnets = {subnet()};
  c.hosts = {{mac_n(50), ip("10.0.0.50"), ""}};
  return c;
}
Received on67() { return Received{Endpoint{Ipv4{}, kClientPort}, kServerPort, ip("10.0.0.1")}; }

TEST(DhcpConflictEngine, FreshOfferAsksForAProbeAndIsCountedWhenSent) {
  Engine e(engine_config(ConflictCheck::icmp));
  Journal j;
  const auto discover = ClientPacket(MessageType::discover, mac_n(1)).bytes();
  auto offer = e.handle(Bytes(discover), on67(), kNow, j);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->type, MessageType::offer);
  EXPECT_EQ(offer->probe, ip("10.0.0.100"));
  EXPECT_TRUE(e.last_decision().probing);
  EXPECT_NE(format_decision(e.last_decision()).find("held=conflict-check"), std::string::npos);
  EXPECT_EQ(e.counters().offer.get(), 0u);  // held, not sent yet
  e.count_probe(Engine::ProbeOutcome::clear);
  EXPECT_EQ(e.counters().offer.get(), 1u);
  EXPECT_EQ(e.counters().probes_clear.get(), 1u);
  e.count_probe(Engine::ProbeOutcome::skipped);
  e.count_probe(Engine::ProbeOutcome::failed);
  EXPECT_EQ(e.counters().offer.get(), 3u);
  EXPECT_EQ(e.counters().probes_skipped.get(), 1u);
  EXPECT_EQ(e.counters().probes_failed.get(), 1u);
  EXPECT_TRUE(j.lines.empty());
}

TEST(DhcpConflictEngine, ConflictQuarantinesJournalsAndTheRetryOffersAnother) {
  Engine e(engine_config(ConflictCheck::icmp));
  Journal j;
  const auto discover = ClientPacket(MessageType::discover, mac_n(1)).bytes();
  auto first = e.handle(Bytes(discover), on67(), kNow, j);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->probe, ip("10.0.0.100"));
  EXPECT_TRUE(e.conflict(ip("10.0.0.100"), kNow, j));
  ASSERT_EQ(j.lines.size(), 1u);
  EXPECT_EQ(j.lines[0], "decline 52:54:00:00:00:01 10.0.0.100 " + std::to_string(kNow + 600));
  EXPECT_EQ(e.counters().conflicts.get(), 1u);
  auto second = e.handle(Bytes(discover), on67(), kNow, j, /*retry=*/true);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->probe, ip("10.0.0.101"));
  EXPECT_EQ(e.counters().discover.get(), 1u);  // the retry is not a second DISCOVER
  EXPECT_EQ(e.counters().offer.get(), 0u);
  e.count_probe(Engine::ProbeOutcome::clear);
  EXPECT_EQ(e.counters().offer.get(), 1u);
  // The client takes the second offer.
  auto ack = e.handle(Bytes(ClientPacket(MessageType::request, mac_n(1))
                                .option_ip(option::kServerId, ip("10.0.0.1"))
                                .option_ip(option::kRequestedIp, ip("10.0.0.101"))
                                .bytes()),
                      on67(), kNow, j);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, MessageType::ack);
  EXPECT_EQ(ack->probe.value, 0u);
  // A REQUEST for the conflicted address is refused while it is quarantined.
  auto nak = e.handle(
      Bytes(ClientPacket(MessageType::request, mac_n(2)).option_ip(option::kRequestedIp, ip("10.0.0.100")).bytes()),
      on67(), kNow + 1, j);
  ASSERT_TRUE(nak);
  EXPECT_EQ(nak->type, MessageType::nak);
  // Its renewing DISCOVER (own binding) and a reservation are never probed.
  auto again = e.handle(Bytes(discover), on67(), kNow + 5, j);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->probe.value, 0u);
  EXPECT_EQ(e.counters().offer.get(), 2u);
  auto reserved = e.handle(Bytes(ClientPacket(MessageType::discover, mac_n(50)).bytes()), on67(), kNow, j);
  ASSERT_TRUE(reserved);
  EXPECT_EQ(parse_packet(reserved->bytes(), *std::make_unique<Packet>()).error, ParseError::not_request);
  EXPECT_EQ(reserved->probe.value, 0u);
}

TEST(DhcpConflictEngine, NoneNeverProbes) {
  Engine e(engine_config(ConflictCheck::none));
  Journal j;
  auto offer = e.handle(Bytes(ClientPacket(MessageType::discover, mac_n(1)).bytes()), on67(), kNow, j);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->probe.value, 0u);
  EXPECT_FALSE(e.last_decision().probing);
  EXPECT_EQ(e.counters().offer.get(), 1u);
}

TEST(DhcpConflictIcmp, EchoRequestHasAValidChecksumAndTheReplyParses) {
  std::array<std::uint8_t, kEchoRequestBytes> echo{};
  ASSERT_EQ(icmp_echo_request(echo, 0x5242, 7), kEchoRequestBytes);
  EXPECT_EQ(echo[0], 8);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < echo.size(); i += 2) sum += (std::uint32_t{echo[i]} << 8) | echo[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  // What the raw socket hands over: an IPv4 header (20 bytes) + the reply.
  std::vector<std::uint8_t> d(20, 0);
  d[0] = 0x45;
  d[9] = 1;
  d[12] = 10, d[13] = 0, d[14] = 0, d[15] = 100;
  d.insert(d.end(), echo.begin(), echo.end());
  d[20] = 0;  // echo reply
  auto r = icmp_parse_echo_reply(Bytes(d));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from, ip("10.0.0.100"));
  EXPECT_EQ(r->id, 0x5242);
  EXPECT_EQ(r->sequence, 7);
  d[20] = 8;  // an echo request is not a reply
  EXPECT_FALSE(icmp_parse_echo_reply(Bytes(d)));
  d[20] = 0;
  EXPECT_FALSE(icmp_parse_echo_reply(Bytes(d.data(), 27)));  // truncated
  d[0] = 0x46;                                               // header claims 24 bytes: ICMP part truncated
  EXPECT_FALSE(icmp_parse_echo_reply(Bytes(d.data(), 30)));
  d[0] = 0x65;
  EXPECT_FALSE(icmp_parse_echo_reply(Bytes(d)));  // not IPv4
}

}  // namespace
}  // namespace ringboot::dhcp
