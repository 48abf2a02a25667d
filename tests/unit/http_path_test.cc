#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"
#include "http/path.h"
#include "http/request.h"

namespace ringboot::http {
namespace {

TEST(HttpPath, NormalPaths) {
  EXPECT_EQ(resolve_target_path("/boot.ipxe"), "boot.ipxe");
  EXPECT_EQ(resolve_target_path("/ipxe/x86_64/snp.efi"), "ipxe/x86_64/snp.efi");
  EXPECT_EQ(resolve_target_path("//ipxe///./a.efi"), "ipxe/a.efi");
  EXPECT_EQ(resolve_target_path("/./a/./b"), "a/b");
  EXPECT_EQ(resolve_target_path("/a..b/.hidden/c..."), "a..b/.hidden/c...");
  EXPECT_EQ(resolve_target_path("//etc/passwd"), "etc/passwd");  // beneath the root, not /etc
}

TEST(HttpPath, EscapesRefused) {
  for (const std::string_view bad : {"/..", "/../etc/passwd", "/a/../../b", "/a/..", "..", "/a/b/../c"}) {
    EXPECT_FALSE(resolve_target_path(bad).has_value()) << bad;
  }
}

TEST(HttpPath, DirectoriesRefused) {
  for (const std::string_view dir : {"", "/", "//", "/./", "/a/"}) {
    EXPECT_FALSE(resolve_target_path(dir).has_value()) << dir;
  }
  // "/a/." resolves to "a"; the glue's statx then says is_directory -> 403.
  EXPECT_EQ(resolve_target_path("/a/."), "a");
}

TEST(HttpPath, BadBytesRefused) {
  EXPECT_FALSE(resolve_target_path(std::string("/a\0b", 4)).has_value());
  EXPECT_FALSE(resolve_target_path("/a\\..\\b").has_value());
  EXPECT_FALSE(resolve_target_path("/a\\b").has_value());
  EXPECT_FALSE(resolve_target_path("/a\nb").has_value());
  EXPECT_FALSE(resolve_target_path("/a\x7f").has_value());
}

TEST(HttpPath, LengthLimits) {
  EXPECT_TRUE(resolve_target_path("/" + std::string(kComponentBytesMax, 'a')).has_value());
  EXPECT_FALSE(resolve_target_path("/" + std::string(kComponentBytesMax + 1, 'a')).has_value());
  std::string deep;
  while (deep.size() <= kPathBytesMax) deep += "/abcdefg";
  EXPECT_FALSE(resolve_target_path(deep).has_value());
}

// The whole chain as the glue runs it: parse (percent-decode) then resolve.
std::optional<std::string> resolve_from_wire(std::string_view target) {
  RequestParser p;
  const std::string head = "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  const Feed f = p.feed(as_bytes(head));
  if (f.status != ParseStatus::ready) return std::string("<error ") + std::to_string(f.error_status) + ">";
  return resolve_target_path(p.request().path);
}

TEST(HttpPath, EncodedEscapesRefusedEndToEnd) {
  for (const std::string_view bad : {"/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd", "/a/%2e%2e/%2e%2e/x", "/%2F..",
                                     "/a%2F..%2F..%2Fb", "/.%2e/x", "/a%00.efi", "/a%5c..%5cb", "/%2e%2e"}) {
    EXPECT_FALSE(resolve_from_wire(bad).has_value()) << bad;
  }
  EXPECT_EQ(resolve_from_wire("/a%2Fb.efi"), "a/b.efi");
  EXPECT_EQ(resolve_from_wire("//etc/passwd"), "etc/passwd");
  EXPECT_EQ(resolve_from_wire("/bad%zz"), "<error 400>");
}

}  // namespace
}  // namespace ringboot::http
