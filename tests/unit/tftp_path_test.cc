#include <gtest/gtest.h>

#include <string>

#include "tftp/path.h"

namespace ringboot::tftp {
namespace {

std::string ok(std::string_view in) {
  auto r = normalize_request_path(in);
  EXPECT_TRUE(std::holds_alternative<std::string>(r)) << "input '" << in << "'";
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string{};
}

PathError bad(std::string_view in) {
  auto r = normalize_request_path(in);
  EXPECT_TRUE(std::holds_alternative<PathError>(r)) << "input '" << in << "'";
  return std::holds_alternative<PathError>(r) ? std::get<PathError>(r) : PathError::empty;
}

TEST(TftpPath, KeepsPlainNames) {
  EXPECT_EQ(ok("pxelinux.0"), "pxelinux.0");
  EXPECT_EQ(ok("efi/x64/grubx64.efi"), "efi/x64/grubx64.efi");
  EXPECT_EQ(ok("..hidden"), "..hidden");
  EXPECT_EQ(ok("a..b/c."), "a..b/c.");
  EXPECT_EQ(ok("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(TftpPath, BackslashesBecomeSlashes) {
  EXPECT_EQ(ok("boot\\x64\\wdsnbp.com"), "boot/x64/wdsnbp.com");
  EXPECT_EQ(ok("\\boot\\bcd"), "boot/bcd");
}

TEST(TftpPath, LeadingSlashIsRelativeToRoot) {
  EXPECT_EQ(ok("/pxelinux.0"), "pxelinux.0");
  EXPECT_EQ(ok("///tftpboot/a"), "tftpboot/a");
}

TEST(TftpPath, CollapsesDoubleSlashAndDot) {
  EXPECT_EQ(ok("a//b"), "a/b");
  EXPECT_EQ(ok("./a/./b/."), "a/b");
  EXPECT_EQ(ok("a/b/"), "a/b");
}

TEST(TftpPath, RejectsEmpty) {
  EXPECT_EQ(bad(""), PathError::empty);
  EXPECT_EQ(bad("/"), PathError::empty);
  EXPECT_EQ(bad("./"), PathError::empty);
  EXPECT_EQ(bad("\\.\\"), PathError::empty);
}

TEST(TftpPath, RejectsDotDotAnywhere) {
  EXPECT_EQ(bad(".."), PathError::dot_dot);
  EXPECT_EQ(bad("../etc/passwd"), PathError::dot_dot);
  EXPECT_EQ(bad("/a/../../etc/shadow"), PathError::dot_dot);
  EXPECT_EQ(bad("a/b/.."), PathError::dot_dot);
  EXPECT_EQ(bad("a\\..\\b"), PathError::dot_dot);
  EXPECT_EQ(bad("a/./../b"), PathError::dot_dot);
}

TEST(TftpPath, RejectsNulAndControlCharacters) {
  EXPECT_EQ(bad(std::string_view("a\0b", 3)), PathError::nul_byte);
  EXPECT_EQ(bad("a\nb"), PathError::control_char);
  EXPECT_EQ(bad("a\x1b[31m"), PathError::control_char);
  EXPECT_EQ(bad("a\x7f"), PathError::control_char);
}

TEST(TftpPath, RejectsTooLong) {
  EXPECT_EQ(ok(std::string(kRequestPathMax, 'a')).size(), kRequestPathMax);
  EXPECT_EQ(bad(std::string(kRequestPathMax + 1, 'a')), PathError::too_long);
}

TEST(TftpPath, ErrorsHaveText) {
  for (auto e :
       {PathError::empty, PathError::too_long, PathError::nul_byte, PathError::control_char, PathError::dot_dot}) {
    EXPECT_FALSE(to_string(e).empty());
  }
}

}  // namespace
}  // namespace ringboot::tftp
