#include <gtest/gtest.h>

#include "http/range.h"

namespace ringboot::http {
namespace {

using Kind = ByteRange::Kind;

void expect_partial(std::string_view header, std::uint64_t size, std::uint64_t offset, std::uint64_t length) {
  const ByteRange r = parse_range(header, size);
  EXPECT_EQ(r.kind, Kind::partial) << header;
  EXPECT_EQ(r.offset, offset) << header;
  EXPECT_EQ(r.length, length) << header;
}

TEST(HttpRange, FirstLast) {
  expect_partial("bytes=0-99", 1000, 0, 100);
  expect_partial("bytes=500-999", 1000, 500, 500);
  expect_partial("bytes=999-999", 1000, 999, 1);
  expect_partial("bytes=500-5000", 1000, 500, 500);  // last clamped
  expect_partial("BYTES = 1-2", 1000, 1, 2);
}

TEST(HttpRange, OpenEnded) {
  expect_partial("bytes=100-", 1000, 100, 900);
  expect_partial("bytes=0-", 1000, 0, 1000);
}

TEST(HttpRange, Suffix) {
  expect_partial("bytes=-100", 1000, 900, 100);
  expect_partial("bytes=-5000", 1000, 0, 1000);  // whole file
  expect_partial("bytes=-99999999999999999999999", 1000, 0, 1000);
}

TEST(HttpRange, Unsatisfiable) {
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=1000-2000", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-10", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=99999999999999999999999-", 1000).kind, Kind::unsatisfiable);
}

TEST(HttpRange, IgnoredServeFull) {
  for (const std::string_view h : {"bytes=5-2", "bytes=0-1,5-6", "bytes=0-1, 5-6", "items=0-1", "bytes=", "bytes=abc",
                                   "bytes=1-x", "bytes=-", "bytes 0-1", "bytes=--1", "bytes=+1-2", ""}) {
    EXPECT_EQ(parse_range(h, 1000).kind, Kind::full) << h;
  }
}

}  // namespace
}  // namespace ringboot::http
