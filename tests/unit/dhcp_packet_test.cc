#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dhcp/packet.h"
#include "support/dhcp_client_packet.h"

namespace ringboot::dhcp {
namespace {

ParseError parse(const std::vector<std::uint8_t>& d, Packet& p) { return parse_packet(Bytes(d), p).error; }

std::string text(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

TEST(DhcpPacket, ParsesDiscoverWithPxeOptions) {
  std::vector<std::uint8_t> uuid(17, 0xab);
  uuid[0] = 0;
  auto d = ClientPacket(MessageType::discover)
               .flags(kFlagBroadcast)
               .option_text(option::kVendorClass, "PXEClient:Arch:00007:UNDI:003016")
               .arch(7)
               .option(option::kClientNdi, {1, 3, 16})
               .option(option::kClientUuid, uuid)
               .option(option::kParameterRequestList, {1, 3, 66, 67})
               .option(option::kMaxMessageSize, {0x05, 0xc0})
               .bytes();
  Packet p;
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.op, kBootRequest);
  EXPECT_EQ(p.xid, 0x1234u);
  EXPECT_TRUE(p.broadcast_flag());
  EXPECT_EQ(p.mac().to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(p.message_type(), MessageType::discover);
  EXPECT_EQ(p.vendor_class(), "PXEClient:Arch:00007:UNDI:003016");
  EXPECT_EQ(p.client_arch(), 7);
  EXPECT_EQ(p.client_ndi().size(), 3u);
  EXPECT_EQ(p.uuid().size(), 17u);
  EXPECT_EQ(p.parameter_request_list().size(), 4u);
  EXPECT_EQ(p.max_message_size(), 1472);
  EXPECT_FALSE(p.is_ipxe());
  EXPECT_FALSE(p.requested_ip());
}

// The GUID as firmware sends it (EFI byte order) and as iPXE prints ${uuid}:
// the first three fields swapped, the rest as sent.
TEST(DhcpPacket, UuidTextAsIpxePrintsIt) {
  const std::vector<std::uint8_t> uuid{0,    0x44, 0x45, 0x4c, 0x4c, 0x11, 0x00, 0x22, 0x10,
                                       0x80, 0x33, 0xb8, 0xc0, 0x4f, 0x4e, 0x57, 0x31};
  Packet p;
  auto d = ClientPacket(MessageType::discover).option(option::kClientUuid, uuid).bytes();
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.uuid_text(), "4c4c4544-0011-1022-8033-b8c04f4e5731");
  std::vector<std::uint8_t> other_type = uuid;
  other_type[0] = 1;
  d = ClientPacket(MessageType::discover).option(option::kClientUuid, other_type).bytes();
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.uuid_text(), "");
  d = ClientPacket(MessageType::discover).option(option::kClientUuid, {0, 1, 2}).bytes();
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.uuid_text(), "");
  d = ClientPacket(MessageType::discover).bytes();
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.uuid_text(), "");
}

TEST(DhcpPacket, ArchListTakesFirst) {
  auto d = ClientPacket(MessageType::discover).option(option::kClientArch, {0, 9, 0, 7}).bytes();
  Packet p;
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.client_arch(), 9);
}

TEST(DhcpPacket, IpxeByUserClassOrEncapsulated) {
  Packet p;
  auto a = ClientPacket(MessageType::discover).option_text(option::kUserClass, "iPXE").bytes();
  ASSERT_EQ(parse(a, p), ParseError::none);
  EXPECT_TRUE(p.is_ipxe());
  EXPECT_EQ(p.user_class(), "iPXE");
  auto b = ClientPacket(MessageType::discover).option(option::kIpxeEncapsulated, {19, 1, 1, 21, 1, 1}).bytes();
  ASSERT_EQ(parse(b, p), ParseError::none);
  EXPECT_TRUE(p.is_ipxe());
  EXPECT_TRUE(p.has_ipxe_encapsulated());
  auto c = ClientPacket(MessageType::discover).option_text(option::kUserClass, "iPXE2").bytes();
  ASSERT_EQ(parse(c, p), ParseError::none);
  EXPECT_FALSE(p.is_ipxe());
}

TEST(DhcpPacket, TruncatedHeader) {
  auto d = ClientPacket(MessageType::discover).bytes();
  Packet p;
  for (std::size_t n : {0u, 1u, 100u, 235u}) {
    std::vector<std::uint8_t> cut(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(parse(cut, p), ParseError::truncated) << n;
  }
  std::vector<std::uint8_t> no_cookie(d.begin(), d.begin() + 238);
  EXPECT_EQ(parse(no_cookie, p), ParseError::truncated);
}

TEST(DhcpPacket, BadCookie) {
  Packet p;
  EXPECT_EQ(parse(ClientPacket(MessageType::discover).cookie(0x63825364).bytes(), p), ParseError::bad_cookie);
  auto d = ClientPacket(MessageType::discover).bytes();
  d.resize(236);
  d.resize(300, 0);  // zeros where the cookie should be
  EXPECT_EQ(parse(d, p), ParseError::bad_cookie);
}

TEST(DhcpPacket, HlenOver16) {
  Packet p;
  EXPECT_EQ(parse(ClientPacket(MessageType::discover).hlen(17).bytes(), p), ParseError::hlen);
  EXPECT_EQ(parse(ClientPacket(MessageType::discover).hlen(16).bytes(), p), ParseError::none);
}

TEST(DhcpPacket, BadOptionLength) {
  Packet p;
  // Length runs past the datagram.
  auto d = ClientPacket(MessageType::discover).no_end().bytes();
  d.resize(240 + 3);  // 53 1 1
  d.push_back(60);
  d.push_back(10);
  d.push_back('P');
  EXPECT_EQ(parse(d, p), ParseError::bad_option_length);
  // Code with no length byte.
  d.resize(240 + 3);
  d.push_back(60);
  EXPECT_EQ(parse(d, p), ParseError::bad_option_length);
  // Fixed-size options with the wrong size read as absent, not garbage.
  auto e = ClientPacket(MessageType::none)
               .option(option::kMessageType, {1, 1})
               .option(option::kRequestedIp, {10, 0, 0})
               .bytes();
  ASSERT_EQ(parse(e, p), ParseError::none);
  EXPECT_FALSE(p.message_type());
  EXPECT_FALSE(p.requested_ip());
}

TEST(DhcpPacket, NotRequest) {
  Packet p;
  EXPECT_EQ(parse(ClientPacket(MessageType::offer).op(kBootReply).bytes(), p), ParseError::not_request);
}

TEST(DhcpPacket, JunkAfterEndIgnoredAndMissingEndTolerated) {
  Packet p;
  auto d = ClientPacket(MessageType::discover).bytes();
  d.resize(240 + 4);  // 53 1 1 255
  for (int i = 0; i < 50; ++i) d.push_back(0xee);
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.message_type(), MessageType::discover);
  EXPECT_FALSE(p.has(0xee));
  auto e = ClientPacket(MessageType::request).no_end().bytes();
  e.resize(240 + 3);
  ASSERT_EQ(parse(e, p), ParseError::none);
  EXPECT_EQ(p.message_type(), MessageType::request);
}

TEST(DhcpPacket, Rfc3396RepeatedOptionsConcatenate) {
  Packet p;
  auto d = ClientPacket(MessageType::discover)
               .option_text(option::kVendorClass, "PXEClient:")
               .option(option::kPad, {})
               .option_text(option::kHostname, "x")
               .option_text(option::kVendorClass, "Arch:00000")
               .bytes();
  // option(kPad, {}) wrote "0 0": two pads.
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.vendor_class(), "PXEClient:Arch:00000");
  EXPECT_EQ(text(*p.option(option::kHostname)), "x");
}

TEST(DhcpPacket, Rfc2132OverloadFileAndSname) {
  Packet p;
  // Options continue in file (first), then sname (RFC 3396 order).
  std::vector<std::uint8_t> file = {60, 4, 'P', 'X', 'E', 'C', 255};
  std::vector<std::uint8_t> sname = {60, 5, 'l', 'i', 'e', 'n', 't', 93, 2, 0, 7, 255};
  auto d =
      ClientPacket(MessageType::discover).option(option::kOverload, {3}).file_bytes(file).sname_bytes(sname).bytes();
  ASSERT_EQ(parse(d, p), ParseError::none);
  EXPECT_EQ(p.vendor_class(), "PXEClient");
  EXPECT_EQ(p.client_arch(), 7);
  EXPECT_EQ(p.file(), "");
  EXPECT_EQ(p.sname(), "");
  // Overload 1: sname stays a string.
  std::vector<std::uint8_t> name = {'s', 'r', 'v'};
  auto e =
      ClientPacket(MessageType::discover).option(option::kOverload, {1}).file_bytes(file).sname_bytes(name).bytes();
  ASSERT_EQ(parse(e, p), ParseError::none);
  EXPECT_EQ(p.vendor_class(), "PXEC");
  EXPECT_EQ(p.sname(), "srv");
  // Bad overload value; bad TLV inside the overloaded field.
  EXPECT_EQ(parse(ClientPacket(MessageType::discover).option(option::kOverload, {4}).bytes(), p),
            ParseError::bad_overload);
  std::vector<std::uint8_t> bad = {60, 200, 'x'};
  EXPECT_EQ(parse(ClientPacket(MessageType::discover).option(option::kOverload, {2}).sname_bytes(bad).bytes(), p),
            ParseError::bad_option_length);
  // Without option 52, file is a plain string.
  auto f = ClientPacket(MessageType::discover).file_bytes({'a', '.', 'e', 'f', 'i'}).bytes();
  ASSERT_EQ(parse(f, p), ParseError::none);
  EXPECT_EQ(p.file(), "a.efi");
}

TEST(DhcpPacket, RandomBytesNeverCrash) {
  Packet p;
  std::uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1103515245u + 12345u;
    return static_cast<std::uint8_t>(seed >> 16);
  };
  auto base = ClientPacket(MessageType::discover).option_text(option::kVendorClass, "PXEClient").arch(0).bytes();
  for (int i = 0; i < 20000; ++i) {
    auto d = base;
    const int flips = 1 + next() % 8;
    for (int f = 0; f < flips; ++f) d[236 + next() % (d.size() - 236)] = next();
    d.resize(236 + next() % (d.size() - 235));
    (void)parse_packet(Bytes(d), p);
  }
  SUCCEED();
}

TEST(DhcpPacket, BuilderPadsTo300AndSplitsLongOptions) {
  Packet req;
  ASSERT_EQ(parse(ClientPacket(MessageType::discover).bytes(), req), ParseError::none);
  std::array<std::uint8_t, 1500> buf{};
  PacketBuilder b(buf, reply_size_max(req, buf.size()));
  b.header(kBootReply, req, Ipv4{}, Ipv4{0x0a000064}, Ipv4{0x0a000001}, "", "undionly.kpxe", 0);
  b.option_u8(option::kMessageType, static_cast<std::uint8_t>(MessageType::offer));
  std::string url(300, 'u');
  b.option_text(option::kBootfileName, url);
  auto out = b.finish();
  ASSERT_TRUE(out);
  EXPECT_GE(out->size(), 300u);
  // Round trip: a reply parses (as not_request) with the long option reassembled.
  Packet back;
  EXPECT_EQ(parse_packet(*out, back).error, ParseError::not_request);
  EXPECT_EQ(back.yiaddr, Ipv4{0x0a000064});
  EXPECT_EQ(back.file(), "undionly.kpxe");
  EXPECT_EQ(text(*back.option(option::kBootfileName)), url);
  EXPECT_EQ(back.mac(), req.mac());
  EXPECT_EQ(back.xid, req.xid);
}

TEST(DhcpPacket, BuilderRespectsSizeLimit) {
  Packet req;
  ASSERT_EQ(parse(ClientPacket(MessageType::discover).bytes(), req), ParseError::none);
  EXPECT_EQ(reply_size_max(req, 1472), 548u);
  std::array<std::uint8_t, 1500> buf{};
  PacketBuilder b(buf, reply_size_max(req, buf.size()));
  b.header(kBootReply, req, {}, {}, {}, "", "", 0);
  b.option_text(option::kBootfileName, std::string(400, 'x'));
  EXPECT_FALSE(b.finish());
  Packet big;
  ASSERT_EQ(parse(ClientPacket(MessageType::discover).option(option::kMaxMessageSize, {0x05, 0xdc}).bytes(), big),
            ParseError::none);
  EXPECT_EQ(reply_size_max(big, 1472), 1472u);
}

TEST(DhcpPacket, MacParse) {
  EXPECT_EQ(Mac::parse("52:54:00:AB:cd:ef")->to_string(), "52:54:00:ab:cd:ef");
  EXPECT_FALSE(Mac::parse("52:54:00:ab:cd"));
  EXPECT_FALSE(Mac::parse("52-54-00-ab-cd-ef"));
  EXPECT_FALSE(Mac::parse("52:54:00:ab:cd:eg"));
}

}  // namespace
}  // namespace ringboot::dhcp
