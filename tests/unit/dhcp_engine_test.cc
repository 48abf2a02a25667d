#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dhcp/engine.h"
#include "support/dhcp_client_packet.h"

namespace ringboot::dhcp {
namespace {

Ipv4 ip(std::string_view s) { return *Ipv4::parse(s); }
constexpr std::int64_t kNow = 1'700'000'000;
const Mac kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

struct Journal : JournalSink {
  std::vector<std::string> lines;
  void append(std::string_view line) override { lines.emplace_back(line); }
};

BootRule rule(std::size_t index, BootMatch m, std::string file) {
  BootRule r;
  r.index = index;
  r.name = "boot[" + std::to_string(index) + "]";
  r.match = std::move(m);
  r.file = std::move(file);
  return r;
}

DhcpConfig base_config(Mode mode) {
  DhcpConfig c;
  c.mode = mode;
  c.interface = "eth0";
  c.server_address = ip("10.0.0.1");
  BootMatch ipxe;
  ipxe.ipxe = true;
  BootMatch bios;
  bios.arch = {0};
  BootMatch efi;
  efi.arch = {7, 9};
  BootMatch http;
  http.arch = {16};
  c.boot = {rule(0, ipxe, "http://10.0.0.1/boot.ipxe"), rule(1, bios, "undionly.kpxe"), rule(2, efi, "ipxe.efi"),
            rule(3, http, "http://10.0.0.1/ipxe.efi")};
  SubnetConfig s;
  s.cidr = *Cidr::parse("10.0.0.0/24");
  s.range_first = ip("10.0.0.100");
  s.range_last = ip("10.0.0.102");
  s.router = ip("10.0.0.1");
  s.dns = {ip("10.0.0.1"), ip("10.0.0.2")};
  s.domain = "example";
  s.lease_seconds = 3600;
  SubnetConfig relayed;
  relayed.cidr = *Cidr::parse("10.9.0.0/24");
  relayed.range_first = ip("10.9.0.10");
  relayed.range_last = ip("10.9.0.20");
  c.subnets = {s, relayed};
  c.hosts = {{*Mac::parse("52:54:00:00:00:50"), ip("10.0.0.50"), "node50"}};
  return c;
}

Received on67() { return Received{Endpoint{Ipv4{}, kClientPort}, kServerPort, ip("10.0.0.1")}; }

std::unique_ptr<Packet> parse_reply(const Reply& r) {
  auto p = std::make_unique<Packet>();
  EXPECT_EQ(parse_packet(r.bytes(), *p).error, ParseError::not_request);
  return p;
}

std::string text(std::optional<Bytes> b) {
  if (!b) return "<absent>";
  return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

std::vector<std::uint8_t> uuid() {
  std::vector<std::uint8_t> u(17, 0x11);
  u[0] = 0;
  return u;
}

ClientPacket pxe_discover(std::uint16_t arch) {
  ClientPacket c(MessageType::discover, kMac);
  c.flags(kFlagBroadcast)
      .option_text(option::kVendorClass, "PXEClient:Arch:0000" + std::to_string(arch) + ":UNDI:002001")
      .arch(arch)
      .option(option::kClientNdi, {1, 2, 1})
      .option(option::kClientUuid, uuid());
  return c;
}

// ---- proxy ----

TEST(DhcpProxy, BiosDiscoverGetsOfferWithOption43) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto d = pxe_discover(0).bytes();
  auto r = e.handle(Bytes(d), on67(), kNow, j);
  ASSERT_TRUE(r) << e.last_decision().drop_reason;
  EXPECT_EQ(r->type, MessageType::offer);
  EXPECT_TRUE(r->broadcast);
  EXPECT_EQ(r->to, (Endpoint{ip("255.255.255.255"), 68}));
  EXPECT_GE(r->size, 300u);
  auto p = parse_reply(*r);
  EXPECT_EQ(p->op, kBootReply);
  EXPECT_EQ(p->yiaddr, Ipv4{});
  EXPECT_EQ(p->siaddr, ip("10.0.0.1"));
  EXPECT_EQ(p->file(), "undionly.kpxe");
  EXPECT_EQ(p->message_type(), MessageType::offer);
  EXPECT_EQ(p->server_id(), ip("10.0.0.1"));
  EXPECT_EQ(p->vendor_class(), "PXEClient");
  EXPECT_EQ(std::vector<std::uint8_t>(p->uuid().begin(), p->uuid().end()), uuid());
  EXPECT_EQ(std::vector<std::uint8_t>(p->vendor_specific().begin(), p->vendor_specific().end()),
            (std::vector<std::uint8_t>{6, 1, 8, 255}));
  EXPECT_EQ(text(p->option(option::kTftpServerName)), "10.0.0.1");
  EXPECT_EQ(text(p->option(option::kBootfileName)), "undionly.kpxe");
  EXPECT_FALSE(p->has(option::kLeaseTime));
  EXPECT_EQ(p->xid, 0x1234u);
  EXPECT_EQ(p->mac(), kMac);
  EXPECT_EQ(e.last_decision().rule->index, 1u);
  EXPECT_EQ(e.counters().offer.get(), 1u);
  EXPECT_EQ(e.counters().arch[static_cast<std::size_t>(ArchClass::bios)].get(), 1u);
  EXPECT_NE(format_decision(e.last_decision()).find("file=undionly.kpxe"), std::string::npos);
}

TEST(DhcpProxy, UefiOfferHasNo43AndNo97WhenNotSent) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto d = ClientPacket(MessageType::discover, kMac)
               .option_text(option::kVendorClass, "PXEClient:Arch:00007:UNDI:003016")
               .arch(7)
               .bytes();
  auto r = e.handle(Bytes(d), on67(), kNow, j);
  ASSERT_TRUE(r);
  auto p = parse_reply(*r);
  EXPECT_FALSE(p->has(option::kVendorSpecific));
  EXPECT_FALSE(p->has(option::kClientUuid));
  EXPECT_EQ(p->file(), "ipxe.efi");
}

TEST(DhcpProxy, ClientStringsInTheDecisionAreEscaped) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto d = ClientPacket(MessageType::discover, kMac)
               .option_text(option::kVendorClass, "PXEClient:Arch:00007\nforged line")
               .option_text(option::kHostname, "node\"1\\")
               .option_text(option::kUserClass, "a\x1b")
               .arch(7)
               .bytes();
  ASSERT_TRUE(e.handle(Bytes(d), on67(), kNow, j));
  const std::string text = format_decision(e.last_decision());
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_NE(text.find(R"(vendor_class="PXEClient:Arch:00007\nforged line")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(hostname="node\"1\\")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(user_class="a\x1b")"), std::string::npos) << text;
}

// The whole line, field by field, as the log and the fleet's timeline spell it.
TEST(DhcpFormat, DecisionLineHasEveryFieldInOrder) {
  BootRule rule;
  rule.name = "uefi \"x64\"";
  Decision d;
  d.received = MessageType::request;
  d.sent = MessageType::ack;
  d.mac = Mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
  d.arch = 7;
  d.ipxe = true;
  d.rule = &rule;
  d.file = "ipxe.efi";
  d.address = ip("10.0.0.100");
  d.probing = true;
  d.drop_reason = "a reason";
  d.hostname = "node1";
  d.vendor_class = "PXEClient:Arch:00007";
  d.user_class = "iPXE";
  EXPECT_EQ(format_decision(d),
            R"(REQUEST->ACK mac=52:54:00:12:34:56 arch=7 client=ipxe rule=uefi \"x64\" file=ipxe.efi )"
            R"(address=10.0.0.100 held=conflict-check dropped="a reason" hostname="node1" )"
            R"(vendor_class="PXEClient:Arch:00007" user_class="iPXE")");
  Decision bare;
  bare.received = MessageType::discover;
  EXPECT_EQ(format_decision(bare), "DISCOVER->none mac=00:00:00:00:00:00 arch=- client=firmware rule=- file=-");
}

TEST(DhcpProxy, IgnoresNonPxeAndPort67Request) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto plain = ClientPacket(MessageType::discover, kMac).arch(7).bytes();
  EXPECT_FALSE(e.handle(Bytes(plain), on67(), kNow, j));
  auto req = ClientPacket(MessageType::request, kMac)
                 .option_text(option::kVendorClass, "PXEClient:Arch:00007")
                 .arch(7)
                 .option_ip(option::kServerId, ip("10.0.0.254"))
                 .option_ip(option::kRequestedIp, ip("10.0.0.77"))
                 .bytes();
  EXPECT_FALSE(e.handle(Bytes(req), on67(), kNow, j));
  EXPECT_EQ(e.last_decision().drop_reason, "REQUEST for the address server");
}

TEST(DhcpProxy, Port4011RequestAckedToSender) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto req = ClientPacket(MessageType::request, kMac)
                 .ciaddr(ip("10.0.0.77"))
                 .option_text(option::kVendorClass, "PXEClient:Arch:00007:UNDI:003016")
                 .arch(7)
                 .option(option::kClientUuid, uuid())
                 .option(option::kVendorSpecific, {71, 4, 0x80, 0x00, 0x00, 0x00, 255})
                 .bytes();
  Received rx{Endpoint{ip("10.0.0.77"), 4011}, kPxePort, ip("10.0.0.1")};
  auto r = e.handle(Bytes(req), rx, kNow, j);
  ASSERT_TRUE(r) << e.last_decision().drop_reason;
  EXPECT_EQ(r->type, MessageType::ack);
  EXPECT_FALSE(r->broadcast);
  EXPECT_EQ(r->to, (Endpoint{ip("10.0.0.77"), 4011}));
  auto p = parse_reply(*r);
  EXPECT_EQ(p->message_type(), MessageType::ack);
  EXPECT_EQ(p->ciaddr, ip("10.0.0.77"));
  EXPECT_EQ(p->yiaddr, Ipv4{});
  EXPECT_EQ(p->siaddr, ip("10.0.0.1"));
  EXPECT_EQ(p->file(), "ipxe.efi");
  EXPECT_EQ(p->vendor_class(), "PXEClient");
  EXPECT_EQ(p->uuid().size(), 17u);
  // The machine's address, for the fleet: the ciaddr the request came from.
  EXPECT_EQ(e.last_decision().address, ip("10.0.0.77"));
  // 43.71 boot item echoed; no 43.6 for UEFI.
  EXPECT_EQ(std::vector<std::uint8_t>(p->vendor_specific().begin(), p->vendor_specific().end()),
            (std::vector<std::uint8_t>{71, 4, 0x80, 0, 0, 0, 255}));
  // A DISCOVER on 4011 is not answered.
  auto d = pxe_discover(7).bytes();
  EXPECT_FALSE(e.handle(Bytes(d), rx, kNow, j));
  // A ciaddr the request did not come from is answered (to the sender) but names no address.
  Received other{Endpoint{ip("10.0.0.78"), 68}, kPxePort, ip("10.0.0.1")};
  ASSERT_TRUE(e.handle(Bytes(req), other, kNow, j));
  EXPECT_EQ(e.last_decision().address, Ipv4{});
}

TEST(DhcpProxy, HttpClientGetsUrlAndHttpClientVendorClass) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto d = ClientPacket(MessageType::discover, kMac)
               .option_text(option::kVendorClass, "HTTPClient:Arch:00016:UNDI:003001")
               .arch(16)
               .bytes();
  auto r = e.handle(Bytes(d), on67(), kNow, j);
  ASSERT_TRUE(r);
  auto p = parse_reply(*r);
  EXPECT_EQ(p->vendor_class(), "HTTPClient");
  EXPECT_EQ(p->file(), "http://10.0.0.1/ipxe.efi");
  EXPECT_FALSE(p->has(option::kVendorSpecific));
  EXPECT_FALSE(p->has(option::kTftpServerName));
}

TEST(DhcpProxy, IpxeGetsScriptAndRelayGetsReply) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto d = pxe_discover(7).option(option::kIpxeEncapsulated, {19, 1, 1}).giaddr(ip("10.9.0.1")).bytes();
  auto r = e.handle(Bytes(d), on67(), kNow, j);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->to, (Endpoint{ip("10.9.0.1"), 67}));
  EXPECT_FALSE(r->broadcast);
  EXPECT_EQ(parse_reply(*r)->file(), "http://10.0.0.1/boot.ipxe");
  EXPECT_TRUE(e.last_decision().ipxe);
}

TEST(DhcpProxy, MalformedAndSelfAndRepliesAreCountedAndDropped) {
  Engine e(base_config(Mode::proxy));
  Journal j;
  auto bad = pxe_discover(0).hlen(17).bytes();
  EXPECT_FALSE(e.handle(Bytes(bad), on67(), kNow, j));
  auto reply = pxe_discover(0).op(kBootReply).bytes();
  EXPECT_FALSE(e.handle(Bytes(reply), on67(), kNow, j));
  std::vector<std::uint8_t> tiny(10, 0);
  EXPECT_FALSE(e.handle(Bytes(tiny), on67(), kNow, j));
  std::uint64_t malformed = 0;
  for (const Counter& c : e.counters().malformed_by_reason) malformed += c.get();
  EXPECT_EQ(malformed, 3u);
  EXPECT_EQ(e.counters().malformed_by_reason[static_cast<std::size_t>(ParseError::hlen)].get(), 1u);
  EXPECT_EQ(e.counters().malformed_by_reason[static_cast<std::size_t>(ParseError::not_request)].get(), 1u);
  EXPECT_EQ(e.counters().malformed_by_reason[static_cast<std::size_t>(ParseError::truncated)].get(), 1u);
  auto d = pxe_discover(0).bytes();
  Received self{Endpoint{ip("10.0.0.1"), 68}, kServerPort, ip("10.0.0.1")};
  EXPECT_FALSE(e.handle(Bytes(d), self, kNow, j));
  EXPECT_EQ(e.counters().from_self.get(), 1u);
}

// ---- server ----

struct Dora {
  Engine engine;
  Journal journal;
  explicit Dora(DhcpConfig c = base_config(Mode::server)) : engine(std::move(c)) {}

  std::optional<Reply> send(const std::vector<std::uint8_t>& d, Received rx = on67(), std::int64_t now = kNow) {
    return engine.handle(Bytes(d), rx, now, journal);
  }
};

TEST(DhcpServer, DoraWithBootOptions) {
  Dora s;
  auto offer = s.send(ClientPacket(MessageType::discover, kMac)
                          .arch(7)
                          .option_text(option::kVendorClass, "PXEClient:Arch:00007")
                          .bytes());
  ASSERT_TRUE(offer) << s.engine.last_decision().drop_reason;
  auto o = parse_reply(*offer);
  EXPECT_EQ(o->message_type(), MessageType::offer);
  EXPECT_EQ(o->yiaddr, ip("10.0.0.100"));
  EXPECT_EQ(o->siaddr, ip("10.0.0.1"));
  EXPECT_EQ(o->file(), "ipxe.efi");
  EXPECT_EQ(o->server_id(), ip("10.0.0.1"));
  EXPECT_EQ(text(o->option(option::kSubnetMask)),
            text(std::optional<Bytes>(Bytes(std::vector<std::uint8_t>{255, 255, 255, 0}))));
  EXPECT_EQ(o->option(option::kRouter)->size(), 4u);
  EXPECT_EQ(o->option(option::kDns)->size(), 8u);
  EXPECT_EQ(text(o->option(option::kDomainName)), "example");
  EXPECT_EQ(o->option(option::kLeaseTime)->size(), 4u);
  EXPECT_EQ(text(o->option(option::kBootfileName)), "ipxe.efi");
  EXPECT_FALSE(o->has(option::kIpxeEncapsulated));
  EXPECT_TRUE(offer->broadcast);
  EXPECT_TRUE(s.journal.lines.empty());  // offers are not journaled

  auto ack = s.send(ClientPacket(MessageType::request, kMac)
                        .arch(7)
                        .option_ip(option::kServerId, ip("10.0.0.1"))
                        .option_ip(option::kRequestedIp, ip("10.0.0.100"))
                        .bytes());
  ASSERT_TRUE(ack);
  auto a = parse_reply(*ack);
  EXPECT_EQ(a->message_type(), MessageType::ack);
  EXPECT_EQ(a->yiaddr, ip("10.0.0.100"));
  ASSERT_EQ(s.journal.lines.size(), 1u);
  EXPECT_EQ(s.journal.lines[0], "bind 52:54:00:12:34:56 10.0.0.100 " + std::to_string(kNow + 3600));
  EXPECT_EQ(s.engine.counters().ack.get(), 1u);

  // Renewal: unicast from ciaddr, ACK back to ciaddr:68.
  auto renew = s.send(ClientPacket(MessageType::request, kMac).ciaddr(ip("10.0.0.100")).bytes(),
                      Received{Endpoint{ip("10.0.0.100"), 68}, 67, ip("10.0.0.1")}, kNow + 1800);
  ASSERT_TRUE(renew);
  EXPECT_EQ(renew->type, MessageType::ack);
  EXPECT_EQ(renew->to, (Endpoint{ip("10.0.0.100"), 68}));
  EXPECT_FALSE(renew->broadcast);
  EXPECT_EQ(s.journal.lines.size(), 2u);

  // Release, then the lease line says so.
  EXPECT_FALSE(s.send(ClientPacket(MessageType::release, kMac)
                          .ciaddr(ip("10.0.0.100"))
                          .option_ip(option::kServerId, ip("10.0.0.1"))
                          .bytes()));
  ASSERT_EQ(s.journal.lines.size(), 3u);
  EXPECT_EQ(s.journal.lines[2].rfind("release 52:54:00:12:34:56 10.0.0.100", 0), 0u);
  s.engine.tick(kNow + 2000);
  EXPECT_EQ(s.engine.counters().leases_in_use.get(), 0);
}

TEST(DhcpServer, NakForWrongAddress) {
  Dora s;
  ASSERT_TRUE(s.send(ClientPacket(MessageType::discover, kMac).bytes()));
  auto nak = s.send(ClientPacket(MessageType::request, kMac)
                        .option_ip(option::kServerId, ip("10.0.0.1"))
                        .option_ip(option::kRequestedIp, ip("10.0.0.101"))
                        .bytes());
  ASSERT_TRUE(nak);
  EXPECT_EQ(nak->type, MessageType::nak);
  EXPECT_TRUE(nak->broadcast);
  auto n = parse_reply(*nak);
  EXPECT_EQ(n->yiaddr, Ipv4{});
  EXPECT_EQ(n->server_id(), ip("10.0.0.1"));
  EXPECT_TRUE(s.journal.lines.empty());
  // INIT-REBOOT into another network: NAK.
  auto other = s.send(ClientPacket(MessageType::request, Mac{{2, 0, 0, 0, 0, 1}})
                          .option_ip(option::kRequestedIp, ip("192.168.1.5"))
                          .bytes());
  ASSERT_TRUE(other);
  EXPECT_EQ(other->type, MessageType::nak);
}

TEST(DhcpServer, RequestForAnotherServerDropsOffer) {
  Dora s;
  ASSERT_TRUE(s.send(ClientPacket(MessageType::discover, kMac).bytes()));
  EXPECT_NE(s.engine.leases().find(kMac), nullptr);
  EXPECT_FALSE(s.send(ClientPacket(MessageType::request, kMac)
                          .option_ip(option::kServerId, ip("10.0.0.254"))
                          .option_ip(option::kRequestedIp, ip("10.0.0.10"))
                          .bytes()));
  EXPECT_EQ(s.engine.leases().find(kMac), nullptr);
}

TEST(DhcpServer, ReservationAndHostname) {
  Dora s;
  const Mac host = *Mac::parse("52:54:00:00:00:50");
  auto offer = s.send(ClientPacket(MessageType::discover, host).bytes());
  ASSERT_TRUE(offer);
  auto o = parse_reply(*offer);
  EXPECT_EQ(o->yiaddr, ip("10.0.0.50"));
  EXPECT_EQ(text(o->option(option::kHostname)), "node50");
}

TEST(DhcpServer, PoolExhaustionCounted) {
  Dora s;
  for (std::uint8_t i = 0; i < 3; ++i)
    ASSERT_TRUE(s.send(ClientPacket(MessageType::discover, Mac{{2, 0, 0, 0, 0, i}}).bytes()));
  EXPECT_FALSE(s.send(ClientPacket(MessageType::discover, Mac{{2, 0, 0, 0, 0, 9}}).bytes()));
  EXPECT_EQ(s.engine.counters().pool_exhausted.get(), 1u);
  EXPECT_TRUE(s.send(ClientPacket(MessageType::discover, Mac{{2, 0, 0, 0, 0, 9}}).bytes(), on67(), kNow + 31));
}

TEST(DhcpServer, DeclineJournaledAndQuarantined) {
  Dora s;
  ASSERT_TRUE(s.send(ClientPacket(MessageType::discover, kMac).bytes()));
  ASSERT_TRUE(s.send(ClientPacket(MessageType::request, kMac)
                         .option_ip(option::kServerId, ip("10.0.0.1"))
                         .option_ip(option::kRequestedIp, ip("10.0.0.100"))
                         .bytes()));
  EXPECT_FALSE(s.send(ClientPacket(MessageType::decline, kMac)
                          .option_ip(option::kServerId, ip("10.0.0.1"))
                          .option_ip(option::kRequestedIp, ip("10.0.0.100"))
                          .bytes()));
  ASSERT_EQ(s.journal.lines.size(), 2u);
  EXPECT_EQ(s.journal.lines[1].rfind("decline 52:54:00:12:34:56 10.0.0.100", 0), 0u);
  auto again = s.send(ClientPacket(MessageType::discover, kMac).bytes());
  ASSERT_TRUE(again);
  EXPECT_EQ(parse_reply(*again)->yiaddr, ip("10.0.0.101"));
}

TEST(DhcpServer, RelayedPicksSubnetByGiaddr) {
  Dora s;
  auto offer = s.send(ClientPacket(MessageType::discover, kMac).giaddr(ip("10.9.0.1")).bytes());
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->to, (Endpoint{ip("10.9.0.1"), 67}));
  EXPECT_FALSE(offer->broadcast);
  auto o = parse_reply(*offer);
  EXPECT_EQ(o->yiaddr, ip("10.9.0.10"));
  EXPECT_EQ(o->giaddr, ip("10.9.0.1"));
  // Unknown relay network: dropped.
  EXPECT_FALSE(s.send(ClientPacket(MessageType::discover, kMac).giaddr(ip("172.16.0.1")).bytes()));
}

TEST(DhcpServer, InformGetsOptionsWithoutLease) {
  Dora s;
  auto ack = s.send(ClientPacket(MessageType::inform, kMac).ciaddr(ip("10.0.0.7")).bytes(),
                    Received{Endpoint{ip("10.0.0.7"), 68}, 67, ip("10.0.0.1")});
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, MessageType::ack);
  EXPECT_EQ(ack->to, (Endpoint{ip("10.0.0.7"), 68}));
  auto a = parse_reply(*ack);
  EXPECT_EQ(a->yiaddr, Ipv4{});
  EXPECT_EQ(a->ciaddr, ip("10.0.0.7"));
  EXPECT_FALSE(a->has(option::kLeaseTime));
  EXPECT_TRUE(a->has(option::kRouter));
  EXPECT_TRUE(s.journal.lines.empty());
}

TEST(DhcpServer, IpxeGetsNoPxeDhcpAndScript) {
  Dora s;
  auto offer =
      s.send(ClientPacket(MessageType::discover, kMac).arch(7).option_text(option::kUserClass, "iPXE").bytes());
  ASSERT_TRUE(offer);
  auto o = parse_reply(*offer);
  EXPECT_EQ(text(o->option(option::kBootfileName)), "http://10.0.0.1/boot.ipxe");
  auto enc = o->option(option::kIpxeEncapsulated);
  ASSERT_TRUE(enc);
  EXPECT_EQ(std::vector<std::uint8_t>(enc->begin(), enc->end()), (std::vector<std::uint8_t>{176, 1, 1}));
}

TEST(DhcpServer, HttpBootEchoesHttpClient) {
  Dora s;
  auto offer = s.send(ClientPacket(MessageType::discover, kMac)
                          .arch(16)
                          .option_text(option::kVendorClass, "HTTPClient:Arch:00016")
                          .bytes());
  ASSERT_TRUE(offer);
  auto o = parse_reply(*offer);
  EXPECT_EQ(o->vendor_class(), "HTTPClient");
  EXPECT_EQ(text(o->option(option::kBootfileName)), "http://10.0.0.1/ipxe.efi");
}

TEST(DhcpServer, ManyClientsNeverShareAnAddress) {
  DhcpConfig c = base_config(Mode::server);
  c.subnets[0].range_last = ip("10.0.0.250");
  Dora s(c);
  std::map<std::uint32_t, std::uint32_t> owner;
  std::uint32_t seed = 7;
  auto rnd = [&] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  std::int64_t now = kNow;
  for (int step = 0; step < 20000; ++step) {
    now += rnd() % 2;
    const std::uint32_t id = rnd() % 300;
    const Mac m{{2, 0, 0, 0, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)}};
    auto offer = s.send(ClientPacket(MessageType::discover, m, id).bytes(), on67(), now);
    if (!offer) continue;
    const Ipv4 a = parse_reply(*offer)->yiaddr;
    auto ack = s.send(ClientPacket(MessageType::request, m, id)
                          .option_ip(option::kServerId, ip("10.0.0.1"))
                          .option_ip(option::kRequestedIp, a)
                          .bytes(),
                      on67(), now);
    ASSERT_TRUE(ack);
    if (ack->type != MessageType::ack) continue;
    const Lease* l = s.engine.leases().find(a);
    ASSERT_NE(l, nullptr);
    ASSERT_EQ(l->mac, m);
    if (rnd() % 10 == 0) (void)s.send(ClientPacket(MessageType::release, m, id).ciaddr(a).bytes(), on67(), now);
  }
  // Replaying the journal gives the same live owner for every address.
  LeaseTable replayed(c.subnets, c.hosts, c.leases_max, 30, 600);
  std::string text_journal;
  for (auto& l : s.journal.lines) text_journal += l + "\n";
  EXPECT_EQ(replayed.replay(text_journal).malformed, 0u);
  for (std::uint32_t a = ip("10.0.0.100").value; a <= ip("10.0.0.250").value; ++a) {
    const Lease* x = s.engine.leases().find(Ipv4{a});
    if (x == nullptr || x->state != LeaseState::bound) continue;
    const Lease* y = replayed.find(Ipv4{a});
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(*x, *y);
  }
}

TEST(DhcpEngine, OffModeAnswersNothing) {
  Engine e(base_config(Mode::off));
  Journal j;
  auto d = pxe_discover(0).bytes();
  EXPECT_FALSE(e.handle(Bytes(d), on67(), kNow, j));
}

TEST(DhcpEngine, DefaultRulesFromInterfaceAddress) {
  DhcpConfig c = base_config(Mode::proxy);
  c.boot.clear();
  c.server_address.reset();
  Engine e(c);
  Journal j;
  auto d = pxe_discover(7).option_text(option::kUserClass, "iPXE").bytes();
  auto r = e.handle(Bytes(d), Received{Endpoint{Ipv4{}, 68}, 67, ip("10.0.0.9")}, kNow, j);
  ASSERT_TRUE(r);
  auto p = parse_reply(*r);
  EXPECT_EQ(p->server_id(), ip("10.0.0.9"));
  EXPECT_EQ(p->file(), "http://10.0.0.9/boot.ipxe");
}

// ---- metrics ----

// The sample `name` in the ringboot_dhcp_* families rendered from c, or -1.
long long exported(const DhcpCounters& c, const std::string& name) {
  MetricsWriter out;
  const DhcpCounters* workers[] = {&c};
  metric_table().write(out, workers);
  const std::string& t = out.text();
  const std::size_t at = t.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(t.substr(at + name.size() + 2));
}

TEST(DhcpMetrics, EveryCounterIsExported) {
  EXPECT_EQ(metric_table().first_unread_byte(), sizeof(DhcpCounters)) << "a DhcpCounters field has no family";
}

TEST(DhcpMetrics, JournalSelfAndMalformedReachThePage) {
  Dora s;
  ASSERT_TRUE(s.send(ClientPacket(MessageType::discover, kMac).bytes()));
  ASSERT_TRUE(s.send(ClientPacket(MessageType::request, kMac)
                         .option_ip(option::kServerId, ip("10.0.0.1"))
                         .option_ip(option::kRequestedIp, ip("10.0.0.100"))
                         .bytes()));
  EXPECT_FALSE(s.send(ClientPacket(MessageType::release, kMac)
                          .ciaddr(ip("10.0.0.100"))
                          .option_ip(option::kServerId, ip("10.0.0.1"))
                          .bytes(),
                      Received{Endpoint{ip("10.0.0.100"), 68}, 67, ip("10.0.0.1")}));
  EXPECT_FALSE(s.send(ClientPacket(MessageType::discover, kMac).bytes(),
                      Received{Endpoint{ip("10.0.0.1"), 68}, 67, ip("10.0.0.1")}));
  EXPECT_FALSE(s.send(std::vector<std::uint8_t>(10, 0)));
  const DhcpCounters& c = s.engine.counters();
  ASSERT_GE(s.journal.lines.size(), 2u);  // the bind and the release
  EXPECT_EQ(exported(c, "ringboot_dhcp_journal_lines_total"), static_cast<long long>(s.journal.lines.size()));
  EXPECT_EQ(exported(c, "ringboot_dhcp_from_self_total"), 1);
  EXPECT_EQ(exported(c, "ringboot_dhcp_dropped_total"), 1);  // the one from ourselves
  EXPECT_EQ(exported(c, "ringboot_dhcp_malformed_total{reason=\"truncated\"}"), 1);
  EXPECT_EQ(exported(c, "ringboot_dhcp_messages_received_total{type=\"release\"}"), 1);
}

}  // namespace
}  // namespace ringboot::dhcp
