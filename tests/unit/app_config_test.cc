#include <gtest/gtest.h>

#include "app/config.h"

namespace ringboot {
namespace {

std::vector<ConfigError> load(std::string_view text, Settings* s) { return load_config_text(text, "t.toml", s); }

TEST(Config, ValidFileSetsValues) {
  Settings s;
  const auto errors = load("threads = 2\n[tftp]\nlisten = \"127.0.0.1:6969\"\nwindowsize_max = 8\n[http]\nlisten = \"off\"\n", &s);
  ASSERT_TRUE(errors.empty()) << errors[0].to_string();
  EXPECT_EQ(s.threads, 2u);
  EXPECT_EQ(s.tftp.listen->port, 6969);
  EXPECT_EQ(s.tftp.windowsize_max, 8);
  EXPECT_FALSE(s.http.listen.has_value());
}

TEST(Config, ErrorsCarryFileAndLine) {
  Settings s;
  const auto errors = load("threads = 2\n[tftp]\nwindowsize_max = 0\nbogus = 1\n", &s);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].to_string(), "t.toml:3: tftp.windowsize_max = 0 is out of range 1..65535");
  EXPECT_EQ(errors[1].to_string(), "t.toml:4: unknown key tftp.bogus");
}

TEST(Config, ClientReceiveBuffer) {
  Settings s;
  EXPECT_EQ(s.tftp.client_receive_buffer_bytes, 212992u);  // Linux's net.core.rmem_default
  ASSERT_TRUE(load("[tftp]\nclient_receive_buffer_bytes = 0\n", &s).empty());
  EXPECT_EQ(s.tftp.client_receive_buffer_bytes, 0u);
  const auto errors = load("[tftp]\nclient_receive_buffer_bytes = -1\n", &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "t.toml:2: tftp.client_receive_buffer_bytes = -1 is out of range 0..1073741824");
}

TEST(Config, SyntaxErrorHasItsLine) {
  Settings s;
  const auto errors = load("threads = 2\n[tftp\n", &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
}

TEST(Config, NonAsciiIsRejectedWithItsLine) {
  Settings s;
  const auto errors = load("threads = 2\n# caf\xc3\xa9\n", &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
  EXPECT_NE(errors[0].reason.find("non-ASCII"), std::string::npos);
}

TEST(Config, BadListenIsAnError) {
  Settings s;
  const auto errors = load("[http]\nlisten = \"localhost\"\n", &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
}

}  // namespace
}  // namespace ringboot
