#include <gtest/gtest.h>

#include "app/config.h"

namespace ringboot {
namespace {

std::vector<ConfigError> load(std::string_view text, Settings* s) { return load_config_text(text, "t.toml", s); }

TEST(Config, ValidFileSetsValues) {
  Settings s;
  const auto errors =
      load("threads = 2\n[tftp]\nlisten = \"127.0.0.1:6969\"\nwindowsize_max = 8\n[http]\nlisten = \"off\"\n", &s);
  ASSERT_TRUE(errors.empty()) << errors[0].to_string();
  EXPECT_EQ(s.threads, 2u);
  ASSERT_EQ(s.tftp.listen.size(), 1u);
  EXPECT_EQ(s.tftp.listen[0].port, 6969);
  EXPECT_EQ(s.tftp.windowsize_max, 8);
  EXPECT_TRUE(s.http.listen.empty());
}

TEST(Config, ErrorsCarryFileAndLine) {
  Settings s;
  const auto errors = load("threads = 2\n[tftp]\nwindowsize_max = 0\nbogus = 1\n", &s);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].to_string(), "t.toml:3: tftp.windowsize_max: 0 is out of range 1..65535");
  EXPECT_EQ(errors[1].to_string(), "t.toml:4: tftp.bogus: unknown key");
}

TEST(Config, ClientReceiveBuffer) {
  Settings s;
  EXPECT_EQ(s.tftp.client_receive_buffer_bytes, 212992u);  // Linux's net.core.rmem_default
  ASSERT_TRUE(load("[tftp]\nclient_receive_buffer_bytes = 0\n", &s).empty());
  EXPECT_EQ(s.tftp.client_receive_buffer_bytes, 0u);
  const auto errors = load("[tftp]\nclient_receive_buffer_bytes = -1\n", &s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "t.toml:2: tftp.client_receive_buffer_bytes: -1 is out of range 0..1073741824");
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

constexpr std::string_view kFull = R"(root = "/srv/boot"
threads = 3
log_level = "warn"
[tftp]
listen = "127.0.0.1:6969"
windowsize_max = 16
rto_min_ms = 250
upload_dir = "/srv/up"
[http]
listen = "off"
metrics_listen = "127.0.0.1:9100"
[dhcp]
mode = "server"
interface = "eth0"
server_address = "10.0.0.1"
lease_file = "/tmp/leases"
conflict_check = "none"
[[dhcp.boot]]
name = "ipxe"
match = { ipxe = true }
file = "http://10.0.0.1/boot.ipxe"
[[dhcp.boot]]
match = { arch = [7, 9], mac = "52:54:00", subnet = "10.0.0.0/24", vendor_class = "PXEClient" }
file = "ipxe.efi"
next_server = "10.0.0.2"
[[dhcp.subnet]]
cidr = "10.0.0.0/24"
range = ["10.0.0.100", "10.0.0.200"]
router = "10.0.0.1"
dns = ["10.0.0.1", "1.1.1.1"]
domain = "example"
lease_seconds = 600
[[dhcp.host]]
mac = "52:54:00:12:34:56"
address = "10.0.0.50"
hostname = "node1"
)";

TEST(Config, DumpIsAcceptedAndReadsBackTheSame) {
  Settings s;
  const auto errors = load(kFull, &s);
  ASSERT_TRUE(errors.empty()) << errors[0].to_string();
  const std::string dump = dump_config(s);
  Settings again;
  const auto reread = load_config_text(dump, "dump.toml", &again);
  ASSERT_TRUE(reread.empty()) << reread[0].to_string() << "\n" << dump;
  EXPECT_EQ(dump_config(again), dump);
  EXPECT_EQ(again.tftp.windowsize_max, 16);
  EXPECT_EQ(again.tftp.rto_min, milliseconds(250));
  ASSERT_EQ(again.dhcp.boot.size(), 2u);
  EXPECT_EQ(again.dhcp.boot[0].name, "ipxe");
  EXPECT_EQ(again.dhcp.boot[1].name, "boot[1]");
  EXPECT_EQ(again.dhcp.boot[1].match.arch, (std::vector<std::uint16_t>{7, 9}));
  EXPECT_EQ(again.dhcp.boot[1].match.mac->to_string(), "52:54:00");
  EXPECT_EQ(again.dhcp.subnets[0].dns.size(), 2u);
  EXPECT_EQ(again.dhcp.hosts[0].hostname, "node1");
  EXPECT_TRUE(again.http.listen.empty());
}

TEST(Config, DumpOfDefaultsHasEveryKeyWithHelp) {
  const std::string dump = dump_config(Settings{});
  for (const char* line : {"\nthreads = 0\n", "\n[tftp]\n", "\nrto_min_ms = 100\n", "\n[http]\n",
                           "\nsend_timeout_ms = 60000\n", "\n[dhcp]\n", "\n# server_address =  (unset)\n"})
    EXPECT_NE(dump.find(line), std::string::npos) << line;
  EXPECT_NE(dump.find("# floor of the adaptive retransmit timer"), std::string::npos);
  Settings again;
  EXPECT_TRUE(load_config_text(dump, "dump.toml", &again).empty());
}

TEST(Config, SetFlagUsesTheSchema) {
  Settings s;
  EXPECT_TRUE(apply_setting("tftp.windowsize_max=16", &s).empty());
  EXPECT_EQ(s.tftp.windowsize_max, 16);
  EXPECT_TRUE(apply_setting("log_level=debug", &s).empty());  // a bare word is a string
  EXPECT_EQ(s.log_level, LogLevel::debug);
  EXPECT_TRUE(apply_setting("http.listen=\"off\"", &s).empty());
  EXPECT_TRUE(s.http.listen.empty());
  const auto range = apply_setting("tftp.windowsize_max=0", &s);
  ASSERT_EQ(range.size(), 1u);
  EXPECT_EQ(range[0].to_string(), "--set tftp.windowsize_max=0: tftp.windowsize_max: 0 is out of range 1..65535");
  EXPECT_EQ(s.tftp.windowsize_max, 16);  // a rejected value changes nothing
  const auto unknown = apply_setting("tftp.bogus=1", &s);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].reason.find("tftp.bogus: unknown key"), std::string::npos);
  EXPECT_EQ(apply_setting("windowsize", &s).size(), 1u);
}

TEST(Config, RestartKeysAreNamedOnReload) {
  Settings a;
  Settings b;
  b.tftp.windowsize_max = 8;  // SIGHUP applies it
  EXPECT_TRUE(restart_keys_changed(a, b).empty());
  b.threads = 4;
  b.http.listen.clear();
  EXPECT_EQ(restart_keys_changed(a, b), (std::vector<std::string>{"threads", "http.listen"}));
}

std::string listed(const std::vector<Endpoint>& endpoints) {
  std::string out;
  for (const Endpoint& e : endpoints) out += (out.empty() ? "" : ",") + e.to_string();
  return out;
}

// One address, a TOML list of either family, or "off"; dumped the way it was
// given and read back the same.
TEST(Config, ListenTakesOneAddressOrAList) {
  Settings s;
  const auto errors = load(
      "[tftp]\nlisten = [\"0.0.0.0:69\", \"[::]:69\"]\n[http]\nlisten = \"[::1]:8080\"\n"
      "metrics_listen = [\"127.0.0.1:9100\", \"[2001:DB8::1]:9100\"]\n[api]\nlisten = \"off\"\n",
      &s);
  ASSERT_TRUE(errors.empty()) << errors[0].to_string();
  EXPECT_EQ(listed(s.tftp.listen), "0.0.0.0:69,[::]:69");
  EXPECT_EQ(listed(s.http.listen), "[::1]:8080");
  EXPECT_EQ(listed(s.http.metrics_listen), "127.0.0.1:9100,[2001:db8::1]:9100");
  EXPECT_TRUE(s.api.listen.empty());
  const std::string dump = dump_config(s);
  EXPECT_NE(dump.find("\nlisten = [\"0.0.0.0:69\", \"[::]:69\"]\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\nlisten = \"[::1]:8080\"\n"), std::string::npos) << dump;
  Settings again;
  ASSERT_TRUE(load_config_text(dump, "dump.toml", &again).empty());
  EXPECT_EQ(again.tftp.listen, s.tftp.listen);
  EXPECT_EQ(again.http.metrics_listen, s.http.metrics_listen);
  // A string with commas is a list too, as the flags take it.
  EXPECT_TRUE(apply_setting("tftp.listen=\"127.0.0.1:69, [::1]:69\"", &s).empty());
  EXPECT_EQ(listed(s.tftp.listen), "127.0.0.1:69,[::1]:69");
}

TEST(Config, BadListenEntriesSayWhereAndWhy) {
  struct Case {
    const char* value;
    const char* error;
  };
  for (const Case& c : {
           Case{"\"::1:69\"", "t.toml:2: tftp.listen: \"::1:69\" is not ADDR:PORT (an IPv6 address needs brackets"},
           Case{"\"[::1]:99999\"", "t.toml:2: tftp.listen: \"[::1]:99999\" is not ADDR:PORT (the port is not"},
           Case{"[\n  \"0.0.0.0:69\",\n  \"[::]69\"\n]",
                "t.toml:4: tftp.listen: \"[::]69\" is not ADDR:PORT (no :PORT"},
           Case{"[\"[::]:69\", \"[::]:69\"]", "t.toml:2: tftp.listen: [::]:69 is listed twice"},
           Case{"[\"off\"]", "t.toml:2: tftp.listen: \"off\" stands alone"},
           Case{"[]", "t.toml:2: tftp.listen: must list 1..16 addresses"},
           Case{"[69]", "t.toml:2: tftp.listen: entries must be strings"},
           Case{"69", "t.toml:2: tftp.listen: must be a string"},
       }) {
    Settings s;
    const auto errors = load(std::string("[tftp]\nlisten = ") + c.value + "\n", &s);
    ASSERT_EQ(errors.size(), 1u) << c.value;
    EXPECT_EQ(errors[0].to_string().rfind(c.error, 0), 0u) << errors[0].to_string();
    EXPECT_EQ(listed(s.tftp.listen), "0.0.0.0:69") << "a bad value changes nothing";
  }
}

}  // namespace
}  // namespace ringboot
