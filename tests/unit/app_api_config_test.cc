// [api]: the keys, the tokens file read after the config (errors by its
// line, a warning when others may read it), and the API's port.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/config.h"
#include "app/metrics_page.h"

namespace ringboot {
namespace {

struct TokensFile {
  explicit TokensFile(std::string_view text, std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                                            std::filesystem::perms::owner_write) {
    path = std::filesystem::temp_directory_path() /
           ("ringboot-api-tokens-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::ofstream(path) << text;
    std::filesystem::permissions(path, perms);
  }
  ~TokensFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
  static inline int counter = 0;
};

TEST(ApiConfig, DefaultsAndKeys) {
  Settings s;
  ASSERT_EQ(s.api.listen.size(), 1u);
  EXPECT_EQ(s.api.listen[0].to_string(), "127.0.0.1:8081");
  EXPECT_FALSE(s.api.enabled()) << "no tokens file: the API does not listen";
  ASSERT_TRUE(load_config_text("[api]\nlisten = \"127.0.0.1:9000\"\ntokens_file = \"/etc/t\"\nbody_bytes_max = 1024\n",
                               "t.toml", &s)
                  .empty());
  ASSERT_EQ(s.api.listen.size(), 1u);
  EXPECT_EQ(s.api.listen[0].port, 9000);
  EXPECT_EQ(s.api.tokens_file, "/etc/t");
  EXPECT_EQ(s.api.body_bytes_max, 1024u);
  EXPECT_TRUE(s.api.enabled());
  ASSERT_TRUE(load_config_text("[api]\nlisten = \"off\"\n", "t.toml", &s).empty());
  EXPECT_FALSE(s.api.enabled());
  const auto errors = load_config_text("[api]\nbody_bytes_max = 1\n", "t.toml", &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "t.toml:2: api.body_bytes_max: 1 is out of range 64..16777216");
}

TEST(ApiConfig, TokensAreReadWithErrorsByLine) {
  TokensFile good("# ops\nadmin adminadminadmin0123456789 ops\nread readreadreadread0123456789\n");
  Settings s;
  s.api.tokens_file = good.path.string();
  std::vector<std::string> warnings;
  ASSERT_TRUE(load_api_tokens(&s, &warnings).empty());
  ASSERT_EQ(s.api.tokens.size(), 2u);
  EXPECT_EQ(s.api.tokens[0].name, "ops");
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_EQ(dump_config(s).find("adminadmin"), std::string::npos) << "the dump names the file, never a token";

  TokensFile bad("admin adminadminadmin0123456789\nsuperuser adminadminadmin0123456780\n");
  s.api.tokens_file = bad.path.string();
  const auto errors = load_api_tokens(&s, &warnings);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), bad.path.string() + ":2: the role must be read or admin");
  EXPECT_TRUE(s.api.tokens.empty());

  s.api.tokens_file = "/nonexistent/ringboot-tokens";
  ASSERT_EQ(load_api_tokens(&s, &warnings).size(), 1u);
  s.api.tokens_file.clear();
  EXPECT_TRUE(load_api_tokens(&s, &warnings).empty()) << "no file, nothing to read";
}

TEST(ApiConfig, AFileOthersMayReadIsAWarning) {
  using std::filesystem::perms;
  TokensFile open("admin adminadminadmin0123456789\n",
                  perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
  Settings s;
  s.api.tokens_file = open.path.string();
  std::vector<std::string> warnings;
  ASSERT_TRUE(load_api_tokens(&s, &warnings).empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("readable by others (mode 0644)"), std::string::npos) << warnings[0];
  EXPECT_EQ(s.api.tokens.size(), 1u) << "allowed, with the warning";
  TokensFile group("admin adminadminadmin0123456789\n", perms::owner_read | perms::group_read);
  s.api.tokens_file = group.path.string();
  warnings.clear();
  ASSERT_TRUE(load_api_tokens(&s, &warnings).empty());
  EXPECT_TRUE(warnings.empty()) << "0440 for the --user's group is the way";
}

TEST(ApiConfig, TheApiKeepsItsOwnPort) {
  TokensFile t("admin adminadminadmin0123456789\n");
  Settings s;
  s.api.tokens_file = t.path.string();
  std::vector<std::string> warnings;
  s.http.listen = {*Endpoint::parse("[::]:80"), *Endpoint::parse("0.0.0.0:8081")};
  auto errors = load_api_tokens(&s, &warnings);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("shares its port with http.listen"), std::string::npos);
  s.http.listen = {*Endpoint::parse("0.0.0.0:80")};
  s.http.metrics_listen = {*Endpoint::parse("127.0.0.1:8081")};
  errors = load_api_tokens(&s, &warnings);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("http.metrics_listen"), std::string::npos);
  s.http.metrics_listen = {*Endpoint::parse("127.0.0.1:9100")};
  EXPECT_TRUE(load_api_tokens(&s, &warnings).empty());
  // IPv6: the wildcard of the same family shares the port; the other family's does not (IPV6_V6ONLY).
  s.api.listen = {*Endpoint::parse("127.0.0.1:8081"), *Endpoint::parse("[::1]:8081")};
  s.http.listen = {*Endpoint::parse("[::]:8081")};
  ASSERT_EQ(load_api_tokens(&s, &warnings).size(), 1u);
  s.api.listen = {*Endpoint::parse("127.0.0.1:8081")};
  EXPECT_TRUE(load_api_tokens(&s, &warnings).empty());
}

TEST(ApiConfig, TokensFileChangesApplyOnReload) {
  Settings a;
  Settings b;
  b.api.tokens_file = "/etc/ringboot/api-tokens";
  b.api.body_bytes_max = 1024;
  EXPECT_TRUE(restart_keys_changed(a, b).empty());
  b.api.listen = {*Endpoint::parse("127.0.0.1:9000")};
  EXPECT_EQ(restart_keys_changed(a, b), std::vector<std::string>{"api.listen"});
}

TEST(ApiMetrics, FamiliesWhenTheApiListensOrTheFleetIsOn) {
  std::vector<std::unique_ptr<WorkerStats>> w;
  w.push_back(std::make_unique<WorkerStats>());
  w[0]->api.record(api::Endpoint::machines, 200);
  EXPECT_EQ(render_metrics(w).find("ringboot_api_"), std::string::npos);
  const std::string page = render_metrics(w, nullptr, 0, true);
  EXPECT_NE(page.find("\nringboot_api_responses_total{endpoint=\"machines\",class=\"2xx\"} 1\n"), std::string::npos)
      << page;
}

}  // namespace
}  // namespace ringboot
