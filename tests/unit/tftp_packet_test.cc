#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "tftp/packet.h"

namespace ringboot::tftp {
namespace {

Bytes raw(std::string_view s) { return as_bytes(s); }
std::string str(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

using namespace std::string_view_literals;

Request expect_request(std::string_view wire) {
  auto r = parse_request(raw(wire));
  EXPECT_TRUE(std::holds_alternative<Request>(r))
      << (std::holds_alternative<ParseError>(r) ? std::get<ParseError>(r).text() : "");
  return std::holds_alternative<Request>(r) ? std::get<Request>(r) : Request{};
}

ParseReason expect_error(std::string_view wire) {
  auto r = parse_request(raw(wire));
  EXPECT_TRUE(std::holds_alternative<ParseError>(r));
  return std::holds_alternative<ParseError>(r) ? std::get<ParseError>(r).reason : ParseReason::truncated;
}

TEST(TftpPacket, ParsesPlainRrq) {
  Request r = expect_request("\0\1pxelinux.0\0octet\0"sv);
  EXPECT_EQ(r.op, Opcode::rrq);
  EXPECT_EQ(r.filename, "pxelinux.0");
  EXPECT_EQ(r.mode, Mode::octet);
  EXPECT_TRUE(r.options.empty());
}

TEST(TftpPacket, ParsesWrqAndNetasciiCaseInsensitive) {
  Request r = expect_request("\0\2f\0NetASCII\0"sv);
  EXPECT_EQ(r.op, Opcode::wrq);
  EXPECT_EQ(r.mode, Mode::netascii);
  EXPECT_EQ(expect_request("\0\1f\0OCTET\0"sv).mode, Mode::octet);
}

TEST(TftpPacket, OptionsKeepOrderAndLowercaseNames) {
  Request r = expect_request("\0\1ipxe.efi\0octet\0TSize\0000\0BLKSIZE\0001468\0windowsize\0004\0"sv);
  ASSERT_EQ(r.options.size(), 3u);
  EXPECT_EQ(r.options[0], (Option{"tsize", "0"}));
  EXPECT_EQ(r.options[1], (Option{"blksize", "1468"}));
  EXPECT_EQ(r.options[2], (Option{"windowsize", "4"}));
}

TEST(TftpPacket, ToleratesMissingFinalNulAfterOptions) {
  Request r = expect_request("\0\1f\0octet\0blksize\0001432"sv);
  ASSERT_EQ(r.options.size(), 1u);
  EXPECT_EQ(r.options[0], (Option{"blksize", "1432"}));
}

TEST(TftpPacket, ToleratesTrailingJunkAndPadding) {
  Request padded = expect_request("\0\1f\0octet\0tsize\0000\0\0\0\0"sv);
  ASSERT_EQ(padded.options.size(), 1u);
  Request dangling_name = expect_request("\0\1f\0octet\0tsize\0000\0junk"sv);
  // "junk" has no NUL: it is not even a name, so it is skipped.
  ASSERT_EQ(dangling_name.options.size(), 1u);
  Request name_without_value = expect_request("\0\1f\0octet\0tsize\0000\0junk\0"sv);
  ASSERT_EQ(name_without_value.options.size(), 1u);
  Request name_only = expect_request("\0\1f\0octet\0blksize\0"sv);
  EXPECT_TRUE(name_only.options.empty());
}

TEST(TftpPacket, BoundsHugeOptionLists) {
  std::string wire("\0\1f\0octet\0"sv);
  for (int i = 0; i < 1000; ++i) wire += "opt" + std::to_string(i) + std::string("\0v\0"sv);
  Request r = expect_request(wire);
  EXPECT_EQ(r.options.size(), kRequestOptionsMax);
}

TEST(TftpPacket, RejectsMalformedRequests) {
  EXPECT_EQ(expect_error(""sv), ParseReason::truncated);
  EXPECT_EQ(expect_error("\0"sv), ParseReason::truncated);
  EXPECT_EQ(expect_error("\0\1"sv), ParseReason::truncated);
  EXPECT_EQ(expect_error("\0\7f\0octet\0"sv), ParseReason::unknown_opcode);
  EXPECT_EQ(expect_error("\0\0f\0octet\0"sv), ParseReason::unknown_opcode);
  EXPECT_EQ(expect_error("\xff\xff"sv), ParseReason::unknown_opcode);
  EXPECT_EQ(expect_error("\0\3\0\1data"sv), ParseReason::unexpected_opcode);
  EXPECT_EQ(expect_error("\0\4\0\1"sv), ParseReason::unexpected_opcode);
  EXPECT_EQ(expect_error("\0\1file-without-nul"sv), ParseReason::missing_nul);
  EXPECT_EQ(expect_error("\0\1f\0"sv), ParseReason::truncated);
  EXPECT_EQ(expect_error("\0\1f\0octet"sv), ParseReason::missing_nul);
  EXPECT_EQ(expect_error("\0\1f\0mail\0"sv), ParseReason::bad_mode);
  EXPECT_EQ(expect_error("\0\1f\0\0"sv), ParseReason::bad_mode);
  EXPECT_EQ(expect_error("\0\1f\0octets\0"sv), ParseReason::bad_mode);
}

TEST(TftpPacket, ParseErrorHasText) {
  for (auto r : {ParseReason::truncated, ParseReason::unknown_opcode, ParseReason::unexpected_opcode,
                 ParseReason::missing_nul, ParseReason::bad_mode}) {
    EXPECT_FALSE(to_string(r).empty());
  }
}

TEST(TftpPacket, ParsesSessionPackets) {
  auto ack = parse_packet(raw("\0\4\xff\xfe"sv));
  ASSERT_TRUE(std::holds_alternative<Ack>(ack));
  EXPECT_EQ(std::get<Ack>(ack).block, 0xfffe);

  auto padded_ack = parse_packet(raw("\0\4\0\1\0\0\0\0"sv));
  ASSERT_TRUE(std::holds_alternative<Ack>(padded_ack));

  auto data = parse_packet(raw("\0\3\0\7abc"sv));
  ASSERT_TRUE(std::holds_alternative<Data>(data));
  EXPECT_EQ(std::get<Data>(data).block, 7);
  EXPECT_EQ(str(std::get<Data>(data).payload), "abc");

  auto err = parse_packet(raw("\0\5\0\10User aborted the transfer\0"sv));
  ASSERT_TRUE(std::holds_alternative<ErrorPacket>(err));
  EXPECT_EQ(std::get<ErrorPacket>(err).code, ErrorCode::option_refused);
  EXPECT_EQ(std::get<ErrorPacket>(err).message, "User aborted the transfer");

  auto err_no_nul = parse_packet(raw("\0\5\0\0abort"sv));
  ASSERT_TRUE(std::holds_alternative<ErrorPacket>(err_no_nul));
  EXPECT_EQ(std::get<ErrorPacket>(err_no_nul).message, "abort");
}

TEST(TftpPacket, RejectsMalformedSessionPackets) {
  auto reason = [](std::string_view wire) {
    auto p = parse_packet(raw(wire));
    EXPECT_TRUE(std::holds_alternative<ParseError>(p));
    return std::holds_alternative<ParseError>(p) ? std::get<ParseError>(p).reason : ParseReason::bad_mode;
  };
  EXPECT_EQ(reason(""sv), ParseReason::truncated);
  EXPECT_EQ(reason("\0\4\0"sv), ParseReason::truncated);
  EXPECT_EQ(reason("\0\3\0"sv), ParseReason::truncated);
  EXPECT_EQ(reason("\0\5\0"sv), ParseReason::truncated);
  EXPECT_EQ(reason("\0\11\0\1"sv), ParseReason::unknown_opcode);
  EXPECT_EQ(reason("\0\1f\0octet\0"sv), ParseReason::unexpected_opcode);
  EXPECT_EQ(reason("\0\6blksize\0008\0"sv), ParseReason::unexpected_opcode);
}

TEST(TftpPacket, BuildsErrorAckOackAndDataHeader) {
  std::array<std::uint8_t, 64> buf{};
  EXPECT_EQ(str(build_error(ErrorCode::file_not_found, "nope", buf)), "\0\5\0\1nope\0"sv);
  EXPECT_EQ(str(build_ack(0x1234, buf)), "\0\4\x12\x34"sv);
  const Option opts[] = {{"blksize", "1468"}, {"tsize", "42"}};
  EXPECT_EQ(str(build_oack(opts, buf)), "\0\6blksize\0001468\0tsize\00042\0"sv);
  EXPECT_EQ(build_data_header(0xabcd), (std::array<std::uint8_t, 4>{0, 3, 0xab, 0xcd}));
}

TEST(TftpPacket, BuilderReportsOverflowAsEmpty) {
  std::array<std::uint8_t, 6> small{};
  EXPECT_TRUE(build_error(ErrorCode::undefined, "much too long", small).empty());
  std::array<std::uint8_t, 3> tiny{};
  EXPECT_TRUE(build_ack(1, tiny).empty());
}

TEST(TftpPacket, RoundTripsBuiltPackets) {
  std::array<std::uint8_t, 64> buf{};
  auto err = parse_packet(build_error(ErrorCode::unknown_tid, "who?", buf));
  ASSERT_TRUE(std::holds_alternative<ErrorPacket>(err));
  EXPECT_EQ(std::get<ErrorPacket>(err).code, ErrorCode::unknown_tid);
  auto ack = parse_packet(build_ack(65535, buf));
  ASSERT_TRUE(std::holds_alternative<Ack>(ack));
  EXPECT_EQ(std::get<Ack>(ack).block, 65535);
}

}  // namespace
}  // namespace ringboot::tftp
