#include <gtest/gtest.h>

#include <string>

#include "tftp/netascii.h"

namespace ringboot::tftp {
namespace {

using namespace std::string_view_literals;

std::string encode(std::string_view in) {
  auto out = netascii_encode(as_bytes(in));
  EXPECT_EQ(out.size(), netascii_encoded_size(as_bytes(in)));
  return std::string(out.begin(), out.end());
}

TEST(TftpNetascii, TranslatesLineEnds) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("abc"), "abc");
  EXPECT_EQ(encode("a\nb\n"), "a\r\nb\r\n");
  EXPECT_EQ(encode("a\rb"), "a\r\0b"sv);
  EXPECT_EQ(encode("\r\n"), "\r\0\r\n"sv);
  EXPECT_EQ(encode("\n\n"), "\r\n\r\n");
}

TEST(TftpNetascii, PassesOtherBytes) { EXPECT_EQ(encode("\0\x01\xff\t"sv), "\0\x01\xff\t"sv); }

}  // namespace
}  // namespace ringboot::tftp
