#include <gtest/gtest.h>

#include "http/query.h"

namespace ringboot::http {
namespace {

TEST(HttpQuery, FindsDecodedValues) {
  const std::string_view t = "/ipxe?mac=52-54-00-12-34-56&uuid=%7Babc%7D&buildarch=x86_64&platform=efi&q=a+b";
  EXPECT_EQ(query_value(t, "mac"), "52-54-00-12-34-56");
  EXPECT_EQ(query_value(t, "uuid"), "{abc}");
  EXPECT_EQ(query_value(t, "platform"), "efi");
  EXPECT_EQ(query_value(t, "q"), "a b");
  EXPECT_FALSE(query_value(t, "ma"));  // names are whole
  EXPECT_FALSE(query_value(t, "serial"));
}

TEST(HttpQuery, EdgeForms) {
  EXPECT_FALSE(query_value("/ipxe", "mac"));
  EXPECT_EQ(query_value("/ipxe?mac", "mac"), "");
  EXPECT_EQ(query_value("/ipxe?mac=", "mac"), "");
  EXPECT_EQ(query_value("/ipxe?&&mac=1&mac=2", "mac"), "1");  // the first wins
  EXPECT_EQ(query_value("/ipxe?mac=1#frag&x=2", "mac"), "1");
  EXPECT_FALSE(query_value("/ipxe?mac=1#x=2", "x"));
  EXPECT_FALSE(query_value("/ipxe?mac=%zz", "mac"));
  EXPECT_FALSE(query_value("/ipxe?mac=%4", "mac"));
  EXPECT_EQ(query_value("/ipxe?mac=%0a", "mac"), "\n");  // decoded: the caller judges the bytes
}

}  // namespace
}  // namespace ringboot::http

namespace ringboot::http {
namespace {

TEST(HttpQuery, RedactsEveryValueOfTheName) {
  EXPECT_EQ(redact_query_value("/api/v1/machines/52-54-00-12-34-56/done?token=0123abcd", "token"),
            "/api/v1/machines/52-54-00-12-34-56/done?token=<redacted>");
  EXPECT_EQ(redact_query_value("/x?a=1&token=s&b=2&token=t", "token"), "/x?a=1&token=<redacted>&b=2&token=<redacted>");
  EXPECT_EQ(redact_query_value("/x?tokens=1&token", "token"), "/x?tokens=1&token");
  EXPECT_EQ(redact_query_value("/no/query", "token"), "/no/query");
}

}  // namespace
}  // namespace ringboot::http
