#include <gtest/gtest.h>

#include "base/mac.h"

namespace ringboot {
namespace {

TEST(Mac, ParseIsTheStrictColonForm) {
  EXPECT_EQ(Mac::parse("52:54:00:AB:cd:ef")->to_string(), "52:54:00:ab:cd:ef");
  EXPECT_FALSE(Mac::parse("52-54-00-ab-cd-ef"));
  EXPECT_FALSE(Mac::parse("525400abcdef"));
}

TEST(Mac, ParseAnyTakesColonsHyphensOrNothingInAnyCase) {
  const std::string want = "52:54:00:ab:cd:ef";
  EXPECT_EQ(Mac::parse_any("52:54:00:AB:cd:ef")->to_string(), want);
  EXPECT_EQ(Mac::parse_any("52-54-00-ab-CD-ef")->to_string(), want);
  EXPECT_EQ(Mac::parse_any("525400ABCDEF")->to_string(), want);
}

TEST(Mac, ToStringWithASeparator) {
  const Mac mac = *Mac::parse("52:54:00:ab:cd:ef");
  EXPECT_EQ(mac.to_string("-"), "52-54-00-ab-cd-ef");
  EXPECT_EQ(mac.to_string(""), "525400abcdef");
}

TEST(Mac, ParseAnyRefusesMixedOrShortOrJunk) {
  EXPECT_FALSE(Mac::parse_any("52-54-00:ab:cd:ef"));  // one separator throughout
  EXPECT_FALSE(Mac::parse_any("52:54:00:ab:cd"));
  EXPECT_FALSE(Mac::parse_any("52:54:00:ab:cd:eg"));
  EXPECT_FALSE(Mac::parse_any("52540abcdef"));
  EXPECT_FALSE(Mac::parse_any("+2540-abcdef"));
  EXPECT_FALSE(Mac::parse_any(""));
}

TEST(MacPattern, PrefixWithColonsOrHyphens) {
  const Mac mac = *Mac::parse("52:54:00:aa:bb:cc");
  EXPECT_TRUE(MacPattern::parse("52:54:00")->matches(mac));
  EXPECT_TRUE(MacPattern::parse("52-54-00")->matches(mac));
  EXPECT_TRUE(MacPattern::parse("52-54-00-AA-BB-CC")->matches(mac));
  EXPECT_FALSE(MacPattern::parse("52-54-01")->matches(mac));
  EXPECT_FALSE(MacPattern::parse("52-54:00"));
  EXPECT_FALSE(MacPattern::parse("52:54:00:"));
}

}  // namespace
}  // namespace ringboot
