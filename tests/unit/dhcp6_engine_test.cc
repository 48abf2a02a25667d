#include <gtest/gtest.h>

#include <string>

#include "dhcp6/engine.h"
#include "support/dhcp6_client_message.h"

namespace ringboot::dhcp6 {
namespace {

using test::Buffer;
using test::ClientMessage;

Ipv6 ip6(std::string_view s) { return *Ipv6::parse(s); }
constexpr std::int64_t kNow = 1'700'000'000;
const Buffer kDuidA = test::duid_ll({0x52, 0x54, 0x00, 0x00, 0x00, 0x0a});
const Buffer kDuidB = test::duid_ll({0x52, 0x54, 0x00, 0x00, 0x00, 0x0b});
const Buffer kDuidC = test::duid_ll({0x52, 0x54, 0x00, 0x00, 0x00, 0x0c});

dhcp::BootRule rule(std::size_t index, dhcp::BootMatch m, std::string file) {
  dhcp::BootRule r;
  r.index = index;
  r.name = "boot[" + std::to_string(index) + "]";
  r.match = std::move(m);
  r.file = std::move(file);
  return r;
}

Dhcp6Config config(Mode mode) {
  Dhcp6Config c;
  c.mode = mode;
  c.interface = "eth0";
  c.server_address = ip6("2001:db8::1");
  c.server_duid = Duid::of(test::duid_ll({0x02, 0, 0, 0, 0, 1}));
  dhcp::BootMatch ipxe;
  ipxe.ipxe = true;
  dhcp::BootMatch efi;
  efi.arch = {7, 9};
  dhcp::BootMatch http;
  http.arch = {16};
  c.boot = {rule(0, ipxe, "http://[2001:db8::1]/boot.ipxe"), rule(1, efi, "/ipxe.efi"),
            rule(2, http, "http://[2001:db8::1]/ipxe.efi")};
  SubnetConfig s;
  s.prefix = *Prefix::parse("2001:db8::/64");
  s.range_first = ip6("2001:db8::100");
  s.range_last = ip6("2001:db8::101");
  s.dns = {ip6("2001:db8::53")};
  SubnetConfig far;
  far.prefix = *Prefix::parse("2001:db8:5::/64");
  far.range_first = ip6("2001:db8:5::10");
  far.range_last = ip6("2001:db8:5::20");
  c.subnets = {s, far};
  return c;
}

struct Journal final : JournalSink {
  std::vector<std::string> lines;
  void append(std::string_view line) override { lines.emplace_back(line); }
  std::string text() const {
    std::string t;
    for (const std::string& l : lines) t += l + "\n";
    return t;
  }
};

struct Harness {
  Engine engine;
  Journal journal;
  Received rx{Endpoint{ip6("fe80::5054:ff:fe00:a"), kClientPort}};
  explicit Harness(const Dhcp6Config& c) : engine(c) {}
  std::optional<test::ServerMessage> send(const Buffer& b, std::int64_t now = kNow) {
    auto reply = engine.handle(b, rx, now, journal);
    if (!reply) return std::nullopt;
    return test::read_server_message(reply->bytes());
  }
  Buffer server_id() const {
    const auto v = engine.config().server_duid.view();
    return Buffer(v.begin(), v.end());
  }
};

std::string url_of(const test::ServerMessage& m) {
  const auto v = m.first(option::kBootfileUrl);
  return v ? std::string(v->begin(), v->end()) : "";
}

TEST(Dhcp6Engine, SolicitThenRequestBindsAnAddressWithTheBootUrl) {
  Harness h(config(Mode::server));
  ClientMessage solicit(1, 0x123456);
  solicit.client_id(kDuidA).ia_na(9).oro({59, 23}).arch(7).vendor_class(343, "PXEClient:Arch:00007:UNDI:003000");
  const auto adv = h.send(solicit.bytes);
  ASSERT_TRUE(adv && adv->ok);
  EXPECT_EQ(adv->type, 2);
  EXPECT_EQ(adv->xid, 0x123456u);
  EXPECT_EQ(*adv->first(option::kServerId), h.server_id());
  EXPECT_EQ(*adv->first(option::kClientId), kDuidA);
  const auto ia = test::read_ia_na(*adv->first(option::kIaNa));
  ASSERT_TRUE(ia && ia->address);
  EXPECT_EQ(ia->iaid, 9u);
  EXPECT_EQ(*ia->address, ip6("2001:db8::100"));
  EXPECT_EQ(ia->valid, 7200u);
  // A plain file name becomes a TFTP URL on the server's address.
  EXPECT_EQ(url_of(*adv), "tftp://[2001:db8::1]/ipxe.efi");
  EXPECT_EQ(*adv->first(option::kDnsServers), test::address_bytes(ip6("2001:db8::53")));
  EXPECT_FALSE(adv->first(option::kVendorClass));  // PXE: no HTTPClient echo
  ASSERT_NE(h.engine.find(ip6("2001:db8::100")), nullptr);
  EXPECT_EQ(h.engine.find(ip6("2001:db8::100"))->state, LeaseState::offered);
  EXPECT_EQ(h.engine.last_decision().rule->name, "boot[1]");

  ClientMessage request(3, 0x123457);
  request.client_id(kDuidA).server_id(h.server_id()).ia_na(9, {*ia->address}).oro({59}).arch(7);
  const auto reply = h.send(request.bytes);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, 7);
  EXPECT_EQ(test::read_ia_na(*reply->first(option::kIaNa))->address, ip6("2001:db8::100"));
  EXPECT_EQ(h.engine.find(ip6("2001:db8::100"))->state, LeaseState::bound);
  EXPECT_EQ(h.engine.counters().advertise.get(), 1u);
  EXPECT_EQ(h.engine.counters().reply.get(), 1u);

  // The same client soliciting again keeps its address.
  const auto again = h.send(solicit.bytes);
  EXPECT_EQ(test::read_ia_na(*again->first(option::kIaNa))->address, ip6("2001:db8::100"));
}

TEST(Dhcp6Engine, DropsWhatIsNotForIt) {
  Harness h(config(Mode::server));
  ClientMessage other(3, 1);
  other.client_id(kDuidA).server_id(kDuidB).ia_na(1);
  EXPECT_FALSE(h.send(other.bytes));
  EXPECT_EQ(h.engine.last_decision().drop_reason, "another server's id");
  ClientMessage anonymous(1, 1);
  anonymous.ia_na(1);
  EXPECT_FALSE(h.send(anonymous.bytes));
  ClientMessage solicit_with_server(1, 1);
  solicit_with_server.client_id(kDuidA).server_id(h.server_id()).ia_na(1);
  EXPECT_FALSE(h.send(solicit_with_server.bytes));
  EXPECT_EQ(h.engine.counters().dropped.get(), 3u);
  EXPECT_FALSE(h.send(Buffer{1, 0}));
  EXPECT_EQ(h.engine.counters().malformed_by_reason[static_cast<std::size_t>(ParseError::truncated)].get(), 1u);
}

TEST(Dhcp6Engine, RapidCommitBindsAtOnce) {
  Harness h(config(Mode::server));
  ClientMessage solicit(1, 7);
  solicit.client_id(kDuidA).ia_na(1).rapid_commit();
  const auto reply = h.send(solicit.bytes);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, 7);
  EXPECT_TRUE(reply->first(option::kRapidCommit));
  EXPECT_EQ(h.engine.find(ip6("2001:db8::100"))->state, LeaseState::bound);
  // A client that is no boot client gets no boot URL.
  EXPECT_FALSE(reply->first(option::kBootfileUrl));

  auto c = config(Mode::server);
  c.rapid_commit = false;
  Harness off(c);
  EXPECT_EQ(off.send(solicit.bytes)->type, 2);
}

TEST(Dhcp6Engine, IpxeGetsTheScriptAndHttpBootTheHttpClientClass) {
  Harness h(config(Mode::server));
  ClientMessage ipxe(1, 1);
  ipxe.client_id(kDuidA).ia_na(1).user_class("iPXE").arch(7).oro({59});
  EXPECT_EQ(url_of(*h.send(ipxe.bytes)), "http://[2001:db8::1]/boot.ipxe");
  EXPECT_TRUE(h.engine.last_decision().ipxe);

  ClientMessage http(1, 2);
  http.client_id(kDuidB).ia_na(1).arch(16).vendor_class(343, "HTTPClient:Arch:00016:UNDI:003000").oro({59});
  const auto adv = h.send(http.bytes);
  EXPECT_EQ(url_of(*adv), "http://[2001:db8::1]/ipxe.efi");
  const auto vendor = adv->first(option::kVendorClass);
  ASSERT_TRUE(vendor);
  Buffer want;
  test::put32(want, 343);
  test::put16(want, 10);
  const Buffer name = test::text("HTTPClient");
  want.insert(want.end(), name.begin(), name.end());
  EXPECT_EQ(*vendor, want);
}

TEST(Dhcp6Engine, ARulesParamsGoOutAsBootfileParameters) {
  auto c = config(Mode::server);
  c.boot[1].params = {"console=ttyS0", "ip=dhcp6"};
  Harness h(c);
  ClientMessage solicit(1, 1);
  solicit.client_id(kDuidA).ia_na(1).oro({59, 60}).arch(7);
  const auto adv = h.send(solicit.bytes);
  ASSERT_TRUE(adv);
  const auto params = adv->first(option::kBootfileParam);
  ASSERT_TRUE(params);
  const std::string want = std::string("\0\x0d", 2) + "console=ttyS0" + std::string("\0\x08", 2) + "ip=dhcp6";
  EXPECT_EQ(std::string(params->begin(), params->end()), want);  // RFC 5970 7.2: 16-bit length, text
  // A rule without params sends none.
  ClientMessage ipxe(1, 2);
  ipxe.client_id(kDuidB).ia_na(1).user_class("iPXE");
  EXPECT_FALSE(h.send(ipxe.bytes)->first(option::kBootfileParam));
}

TEST(Dhcp6Engine, DefaultRulesPointAtTheServer) {
  auto c = config(Mode::server);
  c.boot.clear();
  c.http_port = 8080;
  Harness h(c);
  ClientMessage ipxe(1, 1);
  ipxe.client_id(kDuidA).ia_na(1).user_class("iPXE").oro({59});
  EXPECT_EQ(url_of(*h.send(ipxe.bytes)), "http://[2001:db8::1]:8080/boot.ipxe");
  ClientMessage pxe(1, 2);
  pxe.client_id(kDuidB).ia_na(1).arch(7);
  EXPECT_EQ(url_of(*h.send(pxe.bytes)), "tftp://[2001:db8::1]/ipxe.efi");
}

TEST(Dhcp6Engine, ExhaustsThePoolAndTheTableBound) {
  Harness h(config(Mode::server));
  for (const Buffer& duid : {kDuidA, kDuidB}) {
    ClientMessage s(1, 1);
    s.client_id(duid).ia_na(1).rapid_commit();
    ASSERT_TRUE(test::read_ia_na(*h.send(s.bytes)->first(option::kIaNa))->address);
  }
  ClientMessage third(1, 1);
  third.client_id(kDuidC).ia_na(1);
  const auto adv = h.send(third.bytes);
  const auto ia = test::read_ia_na(*adv->first(option::kIaNa));
  EXPECT_FALSE(ia->address);
  EXPECT_EQ(ia->status, static_cast<std::uint16_t>(Status::no_addrs_avail));
  EXPECT_EQ(h.engine.counters().pool_exhausted.get(), 1u);

  auto c = config(Mode::server);
  c.leases_max = 1;
  Harness bounded(c);
  ClientMessage a(1, 1);
  a.client_id(kDuidA).ia_na(1);
  EXPECT_TRUE(test::read_ia_na(*bounded.send(a.bytes)->first(option::kIaNa))->address);
  ClientMessage b(1, 1);
  b.client_id(kDuidB).ia_na(1);
  EXPECT_FALSE(test::read_ia_na(*bounded.send(b.bytes)->first(option::kIaNa))->address);
  EXPECT_EQ(bounded.engine.lease_count(), 1u);
  // The offer expires; the sweep frees its place.
  bounded.engine.tick(kNow + 31);
  EXPECT_EQ(bounded.engine.lease_count(), 0u);
  EXPECT_TRUE(test::read_ia_na(*bounded.send(b.bytes, kNow + 31)->first(option::kIaNa))->address);
}

TEST(Dhcp6Engine, RenewReleaseDecline) {
  Harness h(config(Mode::server));
  ClientMessage s(1, 1);
  s.client_id(kDuidA).ia_na(1).rapid_commit();
  const Ipv6 mine = *test::read_ia_na(*h.send(s.bytes)->first(option::kIaNa))->address;

  ClientMessage renew(5, 2);
  renew.client_id(kDuidA).server_id(h.server_id()).ia_na(1, {mine});
  EXPECT_EQ(test::read_ia_na(*h.send(renew.bytes, kNow + 3000)->first(option::kIaNa))->address, mine);
  EXPECT_EQ(h.engine.find(mine)->expires_unix, kNow + 3000 + 7200);

  ClientMessage stranger(5, 3);
  stranger.client_id(kDuidB).server_id(h.server_id()).ia_na(1, {mine});
  EXPECT_EQ(test::read_ia_na(*h.send(stranger.bytes)->first(option::kIaNa))->status,
            static_cast<std::uint16_t>(Status::no_binding));
  ClientMessage rebind(6, 3);
  rebind.client_id(kDuidB).ia_na(1, {mine});
  EXPECT_FALSE(h.send(rebind.bytes));

  ClientMessage release(8, 4);
  release.client_id(kDuidA).server_id(h.server_id()).ia_na(1, {mine});
  EXPECT_EQ(h.send(release.bytes)->type, 7);
  EXPECT_EQ(h.engine.find(mine), nullptr);

  // B takes it, declines it: quarantined, nobody gets it until the hold ends.
  ClientMessage sb(1, 5);
  sb.client_id(kDuidB).ia_na(1, {mine}).rapid_commit();
  EXPECT_EQ(test::read_ia_na(*h.send(sb.bytes)->first(option::kIaNa))->address, mine);
  ClientMessage decline(9, 6);
  decline.client_id(kDuidB).server_id(h.server_id()).ia_na(1, {mine});
  h.send(decline.bytes);
  EXPECT_EQ(h.engine.find(mine)->state, LeaseState::declined);
  ClientMessage sc(1, 7);
  sc.client_id(kDuidC).ia_na(1, {mine});
  EXPECT_NE(test::read_ia_na(*h.send(sc.bytes)->first(option::kIaNa))->address, mine);
  h.engine.tick(kNow + 601);
  EXPECT_EQ(h.engine.find(mine), nullptr);
}

TEST(Dhcp6Engine, JournalsEveryBindingChangeButNoOffer) {
  Harness h(config(Mode::server));
  ClientMessage solicit(1, 1);
  solicit.client_id(kDuidA).ia_na(7);
  const Ipv6 mine = *test::read_ia_na(*h.send(solicit.bytes)->first(option::kIaNa))->address;
  EXPECT_TRUE(h.journal.lines.empty());  // an Advertise promises nothing
  ClientMessage request(3, 2);
  request.client_id(kDuidA).server_id(h.server_id()).ia_na(7, {mine});
  h.send(request.bytes);
  ClientMessage renew(5, 3);
  renew.client_id(kDuidA).server_id(h.server_id()).ia_na(7, {mine});
  h.send(renew.bytes, kNow + 100);
  ClientMessage release(8, 4);
  release.client_id(kDuidA).server_id(h.server_id()).ia_na(7, {mine});
  h.send(release.bytes, kNow + 200);
  ClientMessage sb(1, 5);
  sb.client_id(kDuidB).ia_na(1, {mine}).rapid_commit();
  h.send(sb.bytes, kNow + 300);
  ClientMessage decline(9, 6);
  decline.client_id(kDuidB).server_id(h.server_id()).ia_na(1, {mine});
  h.send(decline.bytes, kNow + 400);
  const std::string a = Duid::of(kDuidA).to_string();
  const std::string b = Duid::of(kDuidB).to_string();
  const std::vector<std::string> want{
      "bind6 2001:db8::100 " + a + " 7 " + std::to_string(kNow + 7200),
      "bind6 2001:db8::100 " + a + " 7 " + std::to_string(kNow + 100 + 7200),
      "release6 2001:db8::100 " + a + " 7 " + std::to_string(kNow + 100 + 7200),
      "bind6 2001:db8::100 " + b + " 1 " + std::to_string(kNow + 300 + 7200),
      "decline6 2001:db8::100 - 0 " + std::to_string(kNow + 400 + 600),
  };
  EXPECT_EQ(h.journal.lines, want);
  EXPECT_EQ(h.engine.counters().journal_lines.get(), want.size());
}

TEST(Dhcp6Engine, ReplayedBindingsRenewAfterARestart) {
  Harness before(config(Mode::server));
  ClientMessage sa(1, 1);
  sa.client_id(kDuidA).ia_na(1).rapid_commit();
  const Ipv6 a = *test::read_ia_na(*before.send(sa.bytes)->first(option::kIaNa))->address;
  ClientMessage sb(1, 2);
  sb.client_id(kDuidB).ia_na(1).rapid_commit();
  const Ipv6 b = *test::read_ia_na(*before.send(sb.bytes)->first(option::kIaNa))->address;
  ClientMessage decline(9, 3);
  decline.client_id(kDuidB).server_id(before.server_id()).ia_na(1, {b});
  before.send(decline.bytes);

  // A new engine (a restart) from the journal, torn last line included.
  Harness after(config(Mode::server));
  const ReplayStats stats = after.engine.replay(before.journal.text() + "bind6 2001:db8::10");
  EXPECT_EQ(stats.applied, 3u);
  EXPECT_EQ(stats.malformed, 1u);
  ASSERT_NE(after.engine.find(a), nullptr);
  EXPECT_EQ(after.engine.find(a)->state, LeaseState::bound);
  EXPECT_EQ(after.engine.find(b)->state, LeaseState::declined);
  ClientMessage renew(5, 4);
  renew.client_id(kDuidA).server_id(after.server_id()).ia_na(1, {a});
  const auto ia = test::read_ia_na(*after.send(renew.bytes, kNow + 60)->first(option::kIaNa));
  ASSERT_TRUE(ia->address);  // not NoBinding: the binding survived
  EXPECT_EQ(*ia->address, a);
  // Both addresses are taken: a third client finds the pool exhausted.
  ClientMessage sc(1, 5);
  sc.client_id(kDuidC).ia_na(1);
  EXPECT_FALSE(test::read_ia_na(*after.send(sc.bytes, kNow + 60)->first(option::kIaNa))->address);

  // The snapshot replays to the same table; expired records go at the next sweep.
  Harness again(config(Mode::server));
  std::string snapshot;
  for (const std::string& line : after.engine.snapshot_lines()) snapshot += line + "\n";
  EXPECT_EQ(again.engine.replay(snapshot).applied, 2u);
  EXPECT_EQ(again.engine.find(a)->expires_unix, kNow + 60 + 7200);
  again.engine.tick(kNow + 60 + 7200);
  EXPECT_EQ(again.engine.lease_count(), 0u);
}

TEST(Dhcp6Engine, JournalLinesRoundTripAndBadOnesAreRefused) {
  const std::string duid = Duid::of(kDuidA).to_string();
  const std::string bind = "bind6 2001:db8::100 " + duid + " 7 1700007200";
  const auto r = parse_journal_line(bind + "\r");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->verb, JournalRecord::Verb::bind);
  EXPECT_EQ(r->address, ip6("2001:db8::100"));
  EXPECT_EQ(r->iaid, 7u);
  EXPECT_EQ(r->expires_unix, 1'700'007'200);
  EXPECT_EQ(to_journal_line(*r), bind);
  for (const std::string& bad : std::vector<std::string>{
           "bind6 2001:db8::100 " + duid + " 7",                   // torn
           "bind6 2001:db8::100 " + duid + " 7 1700007200 extra",  // too many fields
           "bind 2001:db8::100 " + duid + " 7 1700007200",         // a v4 verb
           "bind6 10.0.0.1 " + duid + " 7 1700007200",             // not IPv6
           std::string("bind6 2001:db8::100 - 7 1700007200"),      // a binding without its owner
           "decline6 2001:db8::100 " + duid + " 0 1700007200",     // a quarantine with one
           "bind6 2001:db8::100 " + duid + " -7 1700007200",       // not a number
           "bind6  2001:db8::100 " + duid + " 7 1700007200",       // an empty field
       })
    EXPECT_FALSE(parse_journal_line(bad)) << bad;

  auto c = config(Mode::server);
  c.leases_max = 1;
  Harness h(c);
  const std::string other = Duid::of(kDuidB).to_string();
  const ReplayStats stats = h.engine.replay(bind + "\nbind6 2001:db9::1 " + duid + " 1 1700007200\n" +
                                            "bind6 2001:db8::101 " + other + " 1 1700007200\n");
  EXPECT_EQ(stats.applied, 1u);
  EXPECT_EQ(stats.ignored, 2u);  // outside every subnet; over leases_max
  EXPECT_EQ(h.engine.lease_count(), 1u);
}

TEST(Dhcp6Engine, AnExpiredAddressTakenByAnotherIsNoLongerTheFirstClientsBinding) {
  auto c = config(Mode::server);
  c.subnets[0].range_last = c.subnets[0].range_first;  // one address
  Harness h(c);
  ClientMessage a(1, 1);
  a.client_id(kDuidA).ia_na(1);
  const Ipv6 only = *test::read_ia_na(*h.send(a.bytes)->first(option::kIaNa))->address;
  // A's offer expires (no sweep yet); B gets the address.
  ClientMessage b(1, 2);
  b.client_id(kDuidB).ia_na(1).rapid_commit();
  EXPECT_EQ(test::read_ia_na(*h.send(b.bytes, kNow + 31)->first(option::kIaNa))->address, only);
  ClientMessage renew(5, 3);
  renew.client_id(kDuidA).server_id(h.server_id()).ia_na(1, {only});
  EXPECT_EQ(test::read_ia_na(*h.send(renew.bytes, kNow + 32)->first(option::kIaNa))->status,
            static_cast<std::uint16_t>(Status::no_binding));
  EXPECT_EQ(h.engine.find(only)->state, LeaseState::bound);
  EXPECT_EQ(h.engine.find(only)->expires_unix, kNow + 31 + 7200);  // B's lease, untouched by A
}

TEST(Dhcp6Engine, ReservationsByMacAndByDuid) {
  auto c = config(Mode::server);
  HostConfig by_mac;
  by_mac.mac = *Mac::parse("52:54:00:00:00:0a");
  by_mac.address = ip6("2001:db8::50");
  HostConfig by_duid;
  by_duid.duid = Duid::of(kDuidB);
  by_duid.address = ip6("2001:db8::51");
  c.hosts = {by_mac, by_duid};
  ASSERT_EQ(validate(c), "");
  Harness h(c);
  ClientMessage a(1, 1);
  a.client_id(kDuidA).ia_na(1);
  EXPECT_EQ(test::read_ia_na(*h.send(a.bytes)->first(option::kIaNa))->address, ip6("2001:db8::50"));
  ClientMessage b(1, 1);
  b.client_id(kDuidB).ia_na(1);
  EXPECT_EQ(test::read_ia_na(*h.send(b.bytes)->first(option::kIaNa))->address, ip6("2001:db8::51"));
  // Someone else asking for a reserved address does not get it.
  ClientMessage other(1, 1);
  other.client_id(kDuidC).ia_na(1, {ip6("2001:db8::50")});
  EXPECT_EQ(test::read_ia_na(*h.send(other.bytes)->first(option::kIaNa))->address, ip6("2001:db8::100"));
}

TEST(Dhcp6Engine, RelayedClientsGetTheirLinksSubnetThroughARelayReply) {
  Harness h(config(Mode::server));
  h.rx.from = Endpoint{ip6("2001:db8:5::1"), kServerPort};
  ClientMessage s(1, 0x42);
  s.client_id(Buffer{0, 2, 0, 0, 0, 9, 1}).ia_na(3).arch(7);
  const Buffer relayed = test::relay_forward(s.bytes, 0, ip6("2001:db8:5::1"), ip6("fe80::1"), "port7",
                                             Buffer{0x52, 0x54, 0x00, 0x55, 0x55, 0x55});
  const auto reply = h.engine.handle(relayed, h.rx, kNow, h.journal);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->to, h.rx.from);
  const auto outer = reply->bytes();
  ASSERT_EQ(outer[0], 13);
  const auto options = test::options_of(outer.subspan(34));
  EXPECT_EQ(options->find(18)->second, test::text("port7"));
  const auto inner = test::read_server_message(options->find(9)->second);
  EXPECT_EQ(inner.type, 2);
  EXPECT_EQ(inner.xid, 0x42u);
  EXPECT_EQ(test::read_ia_na(*inner.first(option::kIaNa))->address, ip6("2001:db8:5::10"));
  EXPECT_EQ(h.engine.last_decision().mac->to_string(), "52:54:00:55:55:55");
  EXPECT_TRUE(h.engine.last_decision().relayed);
  EXPECT_EQ(h.engine.counters().relayed.get(), 1u);

  // A link with no subnet: no answer.
  const Buffer unknown = test::relay_forward(s.bytes, 0, ip6("2001:db8:9::1"), ip6("fe80::1"));
  EXPECT_FALSE(h.engine.handle(unknown, h.rx, kNow, h.journal));
  EXPECT_EQ(h.engine.last_decision().drop_reason, "no subnet for the client's link");
}

TEST(Dhcp6Engine, ConfirmSaysWhetherTheAddressesAreOnLink) {
  Harness h(config(Mode::server));
  ClientMessage on(4, 1);
  on.client_id(kDuidA).ia_na(1, {ip6("2001:db8::abc")});
  const auto yes = h.send(on.bytes);
  EXPECT_EQ((*yes->first(option::kStatusCode))[1], static_cast<std::uint8_t>(Status::success));
  ClientMessage off(4, 1);
  off.client_id(kDuidA).ia_na(1, {ip6("2001:db8:77::1")});
  EXPECT_EQ((*h.send(off.bytes)->first(option::kStatusCode))[1], static_cast<std::uint8_t>(Status::not_on_link));
  ClientMessage empty(4, 1);
  empty.client_id(kDuidA).ia_na(1);
  EXPECT_FALSE(h.send(empty.bytes));
}

TEST(Dhcp6Engine, StatelessHandsOutBootOptionsOnly) {
  Harness h(config(Mode::stateless));
  ClientMessage info(11, 9);
  info.client_id(kDuidA).user_class("iPXE").oro({59, 23});
  const auto reply = h.send(info.bytes);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, 7);
  EXPECT_EQ(url_of(*reply), "http://[2001:db8::1]/boot.ipxe");
  EXPECT_FALSE(reply->first(option::kIaNa));

  ClientMessage pxe(1, 10);
  pxe.client_id(kDuidB).ia_na(1).arch(7).oro({59});
  const auto adv = h.send(pxe.bytes);
  ASSERT_TRUE(adv);
  EXPECT_EQ(adv->type, 2);
  EXPECT_EQ(url_of(*adv), "tftp://[2001:db8::1]/ipxe.efi");
  EXPECT_EQ(test::read_ia_na(*adv->first(option::kIaNa))->status, static_cast<std::uint16_t>(Status::no_addrs_avail));
  EXPECT_EQ(h.engine.lease_count(), 0u);

  ClientMessage plain(1, 11);
  plain.client_id(kDuidC).ia_na(1);
  EXPECT_FALSE(h.send(plain.bytes));  // the address server's business
}

TEST(Dhcp6Engine, ValidateNamesWhatIsWrong) {
  auto c = config(Mode::server);
  EXPECT_EQ(validate(c), "");
  c.subnets[0].range_last = ip6("2001:db9::1");
  EXPECT_NE(validate(c).find("range is not inside 2001:db8::/64"), std::string::npos);
  c = config(Mode::server);
  c.subnets[0].range_first = ip6("2001:db8::200");
  EXPECT_NE(validate(c).find("after its last"), std::string::npos);
  c = config(Mode::server);
  c.server_address = Ipv6{};
  EXPECT_NE(validate(c).find("server_address"), std::string::npos);
  c = config(Mode::server);
  HostConfig far;
  far.mac = *Mac::parse("52:54:00:00:00:01");
  far.address = ip6("2001:db8:99::1");
  c.hosts = {far};
  EXPECT_NE(validate(c).find("outside every subnet"), std::string::npos);
  EXPECT_FALSE(Prefix::parse("2001:db8::1/64"));  // host bits
  EXPECT_FALSE(Prefix::parse("2001:db8::/129"));
  EXPECT_FALSE(Prefix::parse("2001:db8::"));
  EXPECT_TRUE(Prefix::parse("2001:db8::/48"));
  EXPECT_TRUE(Prefix::parse("::/0"));
}

TEST(Dhcp6Engine, DecisionLineEscapesClientText) {
  Harness h(config(Mode::server));
  ClientMessage s(1, 1);
  s.client_id(kDuidA).ia_na(1).arch(7).vendor_class(343, "PXE\nClient\x1b[31m");
  ASSERT_TRUE(h.send(s.bytes));
  const std::string line = format_decision(h.engine.last_decision());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_NE(line.find("SOLICIT->ADVERTISE mac=52:54:00:00:00:0a duid=00:03:00:01:52:54:00:00:00:0a arch=7"),
            std::string::npos);
  EXPECT_NE(line.find("url=tftp://[2001:db8::1]/ipxe.efi address=2001:db8::100 relayed=false"), std::string::npos);
}

}  // namespace
}  // namespace ringboot::dhcp6
