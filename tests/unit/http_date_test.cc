#include <gtest/gtest.h>

#include "http/date.h"

namespace ringboot::http {
namespace {

TEST(HttpDate, KnownValues) {
  EXPECT_EQ(format_imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_imf_fixdate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(format_imf_fixdate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_imf_fixdate(1709251199), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(format_imf_fixdate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_imf_fixdate(4102444800), "Fri, 01 Jan 2100 00:00:00 GMT");
}

TEST(HttpDate, Rfc3339) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(784111777), "1994-11-06T08:49:37Z");
  EXPECT_EQ(format_rfc3339(1709251199), "2024-02-29T23:59:59Z");
}

TEST(HttpDate, RoundTrip) {
  for (std::int64_t t = -86400LL * 400; t < 86400LL * 365 * 200; t += 86400LL * 7 + 3607) {
    const std::string s = format_imf_fixdate(t);
    ASSERT_EQ(s.size(), 29u) << s;
    EXPECT_EQ(parse_imf_fixdate(s), t) << s;
  }
}

TEST(HttpDate, ParseRejects) {
  EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  for (const std::string_view bad : {
           "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850: not accepted
           "Sun Nov  6 08:49:37 1994",        // asctime: not accepted
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 31 Feb 1994 08:49:37 GMT",
           "Sun, 06 Foo 1994 08:49:37 GMT",
           "Xyz, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:49:37 GMT",
           "Sun, 06 Nov 1994 08:60:37 GMT",
           "Sun, 06 Nov 19x4 08:49:37 GMT",
           "",
       }) {
    EXPECT_FALSE(parse_imf_fixdate(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ringboot::http
