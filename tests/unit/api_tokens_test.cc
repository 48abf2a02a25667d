// The [api] tokens_file: ROLE TOKEN [NAME] lines, errors by line, lookups.
#include <gtest/gtest.h>

#include "api/tokens.h"

namespace ringboot::api {
namespace {

constexpr std::string_view kAdmin = "adminadminadmin0123456789";
constexpr std::string_view kRead = "readreadreadread0123456789";

TEST(ApiTokens, LinesRolesNamesAndComments) {
  const ParsedTokens p = parse_tokens(
      "# ringboot API tokens\n"
      "\n"
      "admin adminadminadmin0123456789 ops@example\r\n"
      "  read\treadreadreadread0123456789   \n"
      "read c2VjcmV0c2VjcmV0c2VjcmV0== grafana\n");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0].line << ": " << p.errors[0].reason;
  ASSERT_EQ(p.tokens.size(), 3u);
  EXPECT_EQ(p.tokens[0].role, Role::admin);
  EXPECT_EQ(p.tokens[0].secret, kAdmin);
  EXPECT_EQ(p.tokens[0].who(), "ops@example");
  EXPECT_EQ(p.tokens[1].role, Role::read);
  EXPECT_EQ(p.tokens[1].who(), "read:read...") << "no name: the role and 4 characters, never the token";
  EXPECT_EQ(p.tokens[2].secret, "c2VjcmV0c2VjcmV0c2VjcmV0==");
}

TEST(ApiTokens, EachBadLineIsAnErrorWithItsLine) {
  const ParsedTokens p = parse_tokens(
      "root adminadminadmin0123456789\n"            // 1: role
      "admin short\n"                               // 2: length
      "admin adminadminadmin01234567\"89\n"         // 3: a character outside b64token
      "admin adminadminadmin0123456789 a b\n"       // 4: four fields
      "admin\n"                                     // 5: one field
      "read readreadreadread0123456789 bad!name\n"  // 6: name
      "admin adminadminadmin0123456789 ops\n"       // 7: good
      "read adminadminadmin0123456789 other\n"      // 8: the same token again
      "read readreadreadread0123456789 ops\n");     // 9: the same name again
  ASSERT_EQ(p.tokens.size(), 1u);
  std::vector<std::uint32_t> lines;
  for (const TokenFileError& e : p.errors) lines.push_back(e.line);
  EXPECT_EQ(lines, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 8, 9}));
  EXPECT_NE(p.errors[0].reason.find("read or admin"), std::string::npos);
  EXPECT_EQ(p.errors[0].reason.find("adminadmin"), std::string::npos) << "an error never repeats a token";
  EXPECT_NE(p.errors[1].reason.find("16..256"), std::string::npos) << p.errors[1].reason;
  EXPECT_NE(p.errors[6].reason.find("earlier line"), std::string::npos);
}

TEST(ApiTokens, AFileWithoutATokenIsAnError) {
  const ParsedTokens p = parse_tokens("# nothing yet\n\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 0u);
  EXPECT_NE(p.errors[0].reason.find("no token"), std::string::npos);
}

TEST(ApiTokens, FindIsExact) {
  const ParsedTokens p = parse_tokens("admin adminadminadmin0123456789\nread readreadreadread0123456789\n");
  const TokenTable table(p.tokens);
  ASSERT_NE(table.find(kAdmin), nullptr);
  EXPECT_EQ(table.find(kAdmin)->role, Role::admin);
  EXPECT_EQ(table.find(kRead)->role, Role::read);
  EXPECT_EQ(table.find(kAdmin.substr(0, kAdmin.size() - 1)), nullptr) << "a prefix is not the token";
  EXPECT_EQ(table.find(std::string(kAdmin) + "x"), nullptr) << "nor is a longer string";
  EXPECT_EQ(table.find(""), nullptr);
  EXPECT_EQ(table.find("adminadminadmin0123456788"), nullptr);
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
}

}  // namespace
}  // namespace ringboot::api
