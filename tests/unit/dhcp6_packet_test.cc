#include <gtest/gtest.h>

#include "dhcp6/packet.h"
#include "support/dhcp6_client_message.h"

namespace ringboot::dhcp6 {
namespace {

using test::Buffer;
using test::ClientMessage;

Ipv6 ip6(std::string_view s) { return *Ipv6::parse(s); }
const Buffer kDuid = test::duid_ll({0x52, 0x54, 0x00, 0x12, 0x34, 0x56});

TEST(Dhcp6Packet, ParsesAnEdk2Solicit) {
  ClientMessage c(1, 0xabcdef);
  c.client_id(kDuid)
      .ia_na(0x11223344)
      .oro({59, 60, 23})
      .elapsed(300)
      .arch(7)
      .option(62, {1, 3, 0})
      .vendor_class(343, "PXEClient:Arch:00007:UNDI:003000");
  Message m;
  ASSERT_EQ(parse_message(c.bytes, m), ParseError::none);
  EXPECT_EQ(m.type, MessageType::solicit);
  EXPECT_EQ(m.xid, 0xabcdefu);
  EXPECT_EQ(m.client_id.to_string(), "00:03:00:01:52:54:00:12:34:56");
  ASSERT_TRUE(m.mac());
  EXPECT_EQ(m.mac()->to_string(), "52:54:00:12:34:56");
  EXPECT_TRUE(m.has_ia_na);
  EXPECT_EQ(m.iaid, 0x11223344u);
  EXPECT_TRUE(m.asked(59));
  EXPECT_TRUE(m.asked(23));
  EXPECT_FALSE(m.asked(24));
  EXPECT_EQ(m.elapsed, 300);
  EXPECT_EQ(m.arch, 7);
  ASSERT_TRUE(m.nii);
  EXPECT_EQ((*m.nii)[1], 3);
  EXPECT_EQ(m.vendor_enterprise, 343u);
  EXPECT_EQ(m.vendor_class(), "PXEClient:Arch:00007:UNDI:003000");
  EXPECT_FALSE(m.is_ipxe());
  EXPECT_FALSE(m.relayed());
}

TEST(Dhcp6Packet, TellsIpxeByItsUserClass) {
  ClientMessage c(11, 1);
  c.client_id(kDuid).user_class("iPXE").oro({59});
  Message m;
  ASSERT_EQ(parse_message(c.bytes, m), ParseError::none);
  EXPECT_EQ(m.type, MessageType::information_request);
  EXPECT_TRUE(m.is_ipxe());
}

TEST(Dhcp6Packet, KeepsTheRequestedAddressesOfTheFirstIaNa) {
  ClientMessage c(3, 2);
  c.client_id(kDuid).ia_na(7, {ip6("2001:db8::100"), ip6("2001:db8::101")}).ia_na(8, {ip6("2001:db8::200")});
  Message m;
  ASSERT_EQ(parse_message(c.bytes, m), ParseError::none);
  EXPECT_EQ(m.iaid, 7u);
  ASSERT_EQ(m.ia_address_count, 2);
  EXPECT_EQ(m.ia_addresses[1], ip6("2001:db8::101"));
}

TEST(Dhcp6Packet, RejectsMalformedLengths) {
  Message m;
  EXPECT_EQ(parse_message(Buffer{1, 0, 0}, m), ParseError::truncated);
  EXPECT_EQ(parse_message(Buffer(kDatagramBytesMax + 1, 0), m), ParseError::too_large);

  ClientMessage past(1, 1);
  past.client_id(kDuid);
  past.bytes.push_back(0);
  past.bytes.push_back(8);
  past.bytes.push_back(0);
  past.bytes.push_back(9);  // elapsed time claiming 9 bytes, none there
  EXPECT_EQ(parse_message(past.bytes, m), ParseError::bad_option_length);

  ClientMessage odd_oro(1, 1);
  odd_oro.client_id(kDuid).option(6, {0, 59, 0});
  EXPECT_EQ(parse_message(odd_oro.bytes, m), ParseError::bad_option_length);

  ClientMessage elapsed(1, 1);
  elapsed.client_id(kDuid).option(8, {1});
  EXPECT_EQ(parse_message(elapsed.bytes, m), ParseError::bad_option_length);

  ClientMessage short_ia(1, 1);
  short_ia.client_id(kDuid).option(3, {0, 0, 0, 1, 0, 0});
  EXPECT_EQ(parse_message(short_ia.bytes, m), ParseError::bad_option_length);

  ClientMessage short_addr(1, 1);
  Buffer ia{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  test::put_option(ia, 5, Buffer(10, 0));
  short_addr.client_id(kDuid).option(3, ia);
  EXPECT_EQ(parse_message(short_addr.bytes, m), ParseError::bad_option_length);

  ClientMessage long_duid(1, 1);
  long_duid.client_id(Buffer(kDuidBytesMax + 1, 1));
  EXPECT_EQ(parse_message(long_duid.bytes, m), ParseError::bad_option_length);

  ClientMessage rapid(1, 1);
  rapid.client_id(kDuid).option(14, {1});
  EXPECT_EQ(parse_message(rapid.bytes, m), ParseError::bad_option_length);
}

TEST(Dhcp6Packet, RefusesServerMessages) {
  Message m;
  for (int type : {2, 7, 10, 13, 0, 14, 200}) {
    ClientMessage c(static_cast<std::uint8_t>(type), 1);
    c.client_id(kDuid);
    EXPECT_EQ(parse_message(c.bytes, m), ParseError::not_client_message) << type;
  }
}

TEST(Dhcp6Packet, UnwrapsRelaysKeepingEachHop) {
  ClientMessage c(1, 5);
  c.client_id(Buffer{0, 2, 0, 0, 0, 9, 1, 2, 3})  // DUID-EN: no MAC in it
      .ia_na(1);
  const Buffer inner = test::relay_forward(c.bytes, 0, ip6("2001:db8:5::1"), ip6("fe80::5054:ff:fe12:3456"), "eth5",
                                           Buffer{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc});
  const Buffer outer = test::relay_forward(inner, 1, ip6("2001:db8:ff::1"), ip6("2001:db8:ff::2"), "uplink");
  Message m;
  ASSERT_EQ(parse_message(outer, m), ParseError::none);
  EXPECT_EQ(m.type, MessageType::solicit);
  ASSERT_EQ(m.relay_count, 2);
  EXPECT_EQ(m.relays[0].hop_count, 1);
  EXPECT_EQ(m.relays[0].link_address, ip6("2001:db8:ff::1"));
  EXPECT_EQ(std::string(m.relays[0].interface_id_view().begin(), m.relays[0].interface_id_view().end()), "uplink");
  EXPECT_EQ(m.relays[1].link_address, ip6("2001:db8:5::1"));
  EXPECT_EQ(m.relays[1].peer_address, ip6("fe80::5054:ff:fe12:3456"));
  ASSERT_TRUE(m.mac());  // from the innermost relay's option 79
  EXPECT_EQ(m.mac()->to_string(), "52:54:00:aa:bb:cc");
}

TEST(Dhcp6Packet, NamesAClientWithoutAMacDuidByItsEui64LinkLocal) {
  EXPECT_EQ(mac_from_eui64(ip6("fe80::5054:ff:fe41:4f26"))->to_string(), "52:54:00:41:4f:26");
  EXPECT_FALSE(mac_from_eui64(ip6("fe80::1")));
  EXPECT_FALSE(mac_from_eui64(ip6("fe80::a1b2:c3d4:e5f6:789")));     // stable privacy
  EXPECT_FALSE(mac_from_eui64(ip6("2001:db8::5054:ff:fe41:4f26")));  // not link-local
  ClientMessage c(1, 5);
  c.client_id(Buffer{0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});  // DUID-UUID, as EDK2 sends
  Message m;
  ASSERT_EQ(parse_message(c.bytes, m), ParseError::none);
  EXPECT_FALSE(m.mac());
  EXPECT_EQ(client_mac(m, ip6("fe80::5054:ff:fe41:4f26"))->to_string(), "52:54:00:41:4f:26");
  const Buffer relayed = test::relay_forward(c.bytes, 0, ip6("2001:db8:5::1"), ip6("fe80::5054:ff:feaa:bbcc"));
  ASSERT_EQ(parse_message(relayed, m), ParseError::none);
  EXPECT_EQ(client_mac(m, ip6("2001:db8:5::1"))->to_string(), "52:54:00:aa:bb:cc");
}

TEST(Dhcp6Packet, BoundsRelayNesting) {
  ClientMessage c(1, 5);
  c.client_id(kDuid);
  Buffer b = c.bytes;
  for (std::size_t i = 0; i < kRelayDepthMax; ++i) b = test::relay_forward(b, 0, ip6("2001:db8::1"), ip6("fe80::1"));
  Message m;
  EXPECT_EQ(parse_message(b, m), ParseError::none);
  EXPECT_EQ(m.relay_count, kRelayDepthMax);
  b = test::relay_forward(b, 0, ip6("2001:db8::1"), ip6("fe80::1"));
  EXPECT_EQ(parse_message(b, m), ParseError::relay_too_deep);

  Buffer no_message{12, 0};
  no_message.resize(34, 0);
  EXPECT_EQ(parse_message(no_message, m), ParseError::no_relay_message);
  Buffer short_relay{12, 0, 1, 2};
  EXPECT_EQ(parse_message(short_relay, m), ParseError::truncated);
}

TEST(Dhcp6Packet, DuidTextRoundTripsAndNamesItsMac) {
  const auto d = Duid::parse("00:01:00:01:2a:bc:de:f0:52:54:00:00:00:01");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_string(), "00:01:00:01:2a:bc:de:f0:52:54:00:00:00:01");
  ASSERT_TRUE(d->mac());  // DUID-LLT
  EXPECT_EQ(d->mac()->to_string(), "52:54:00:00:00:01");
  EXPECT_FALSE(Duid::parse("00:02:00:00:00:09")->mac());  // DUID-EN
  EXPECT_FALSE(Duid::parse(""));
  EXPECT_FALSE(Duid::parse("0"));
  EXPECT_FALSE(Duid::parse("00:"));
  EXPECT_FALSE(Duid::parse("00-01"));
  EXPECT_FALSE(Duid::parse("zz"));
}

TEST(Dhcp6Packet, BuilderWrapsTheReplyInEachRelayLevel) {
  ClientMessage c(1, 0x010203);
  c.client_id(kDuid);
  const Buffer relayed = test::relay_forward(c.bytes, 0, ip6("2001:db8:5::1"), ip6("fe80::1"), "eth5");
  Message m;
  ASSERT_EQ(parse_message(relayed, m), ParseError::none);
  std::array<std::uint8_t, 512> buffer{};
  MessageBuilder b(buffer);
  b.header(MessageType::advertise, m.xid, m);
  b.option(option::kClientId, m.client_id.view());
  const std::size_t ia = b.begin(option::kIaNa);
  b.u32(1);
  b.u32(0);
  b.u32(0);
  b.status(Status::no_addrs_avail, "none");
  b.end(ia);
  const auto out = b.finish();
  ASSERT_TRUE(out);
  ASSERT_GE(out->size(), 34u);
  EXPECT_EQ((*out)[0], 13);  // Relay-Reply
  const auto options = test::options_of(out->subspan(34));
  ASSERT_TRUE(options);
  ASSERT_EQ(options->count(18), 1u);
  EXPECT_EQ(options->find(18)->second, test::text("eth5"));
  ASSERT_EQ(options->count(9), 1u);
  const auto reply = test::read_server_message(options->find(9)->second);
  ASSERT_TRUE(reply.ok);
  EXPECT_EQ(reply.type, 2);
  EXPECT_EQ(reply.xid, 0x010203u);
  const auto ia_na = test::read_ia_na(*reply.first(3));
  ASSERT_TRUE(ia_na);
  EXPECT_EQ(ia_na->status, 2);

  std::array<std::uint8_t, 8> small{};
  MessageBuilder tiny(small);
  tiny.header(MessageType::reply, 1, m);
  EXPECT_FALSE(tiny.finish());
}

}  // namespace
}  // namespace ringboot::dhcp6
