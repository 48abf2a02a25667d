// The page's login sessions, pure: expiry by a fake clock, the bound and
// its eviction (oldest first), logout, and the Cookie header.
#include <gtest/gtest.h>

#include "api/sessions.h"

namespace ringboot::api {
namespace {

SessionRandom bytes(std::uint8_t fill) {
  SessionRandom r{};
  r.fill(fill);
  return r;
}

TEST(SessionTable, AnIdIsSixtyFourHexDigitsOfItsRandomBytes) {
  SessionTable t(4, 100);
  SessionRandom r{};
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<std::uint8_t>(i * 8 + 1);
  const std::string id = t.create(r, 1000);
  ASSERT_EQ(id.size(), 64u);
  EXPECT_EQ(id.substr(0, 6), "010911");
  EXPECT_TRUE(t.valid(id, 1000));
  EXPECT_FALSE(t.valid(id.substr(0, 63), 1000));
  EXPECT_FALSE(t.valid("", 1000));
}

TEST(SessionTable, ExpiresAfterItsLifetime) {
  SessionTable t(4, 100);
  const std::string id = t.create(bytes(1), 1000);
  EXPECT_TRUE(t.valid(id, 1099));
  EXPECT_FALSE(t.valid(id, 1100));
  EXPECT_FALSE(t.valid(id, 999)) << "a clock stepped back before its creation";
  // Expired sessions are swept at the next creation.
  t.create(bytes(2), 1200);
  EXPECT_EQ(t.size(), 1u);
}

TEST(SessionTable, TheOldestIsEvictedAtTheBound) {
  SessionTable t(2, 1000);
  const std::string a = t.create(bytes(1), 10);
  const std::string b = t.create(bytes(2), 11);
  const std::string c = t.create(bytes(3), 12);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.valid(a, 12));
  EXPECT_TRUE(t.valid(b, 12));
  EXPECT_TRUE(t.valid(c, 12));
}

TEST(SessionTable, EndAndConfigure) {
  SessionTable t(8, 1000);
  const std::string a = t.create(bytes(1), 10);
  const std::string b = t.create(bytes(2), 11);
  const std::string c = t.create(bytes(3), 12);
  EXPECT_TRUE(t.end(b));
  EXPECT_FALSE(t.end(b));
  EXPECT_FALSE(t.valid(b, 12));
  t.configure(1, 50);  // smaller: the oldest go
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.valid(a, 12));
  EXPECT_TRUE(t.valid(c, 12));
  EXPECT_FALSE(t.valid(c, 62)) << "the new lifetime holds for a live session too";
  EXPECT_EQ(t.lifetime_seconds(), 50);
}

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_value("ringboot_session=abc", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("a=1; ringboot_session=abc; b=2", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("a=1;ringboot_session=\"abc\"", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("xringboot_session=abc", kSessionCookie), std::nullopt);
  EXPECT_EQ(cookie_value("ringboot_session", kSessionCookie), std::nullopt);
  EXPECT_EQ(cookie_value("", kSessionCookie), std::nullopt);
  EXPECT_EQ(cookie_value("ringboot_session=", kSessionCookie), "");
}

}  // namespace
}  // namespace ringboot::api
