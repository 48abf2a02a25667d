#include <gtest/gtest.h>

#include "fleet/engine.h"
#include "fleet/grub.h"

namespace ringboot::fleet {
namespace {

Mac mac(std::string_view text) { return *Mac::parse_any(text); }

TEST(GrubName, MacNameInAnyDirectory) {
  const auto n = parse_grub_name("grub/grub.cfg-01-52-54-00-12-34-56");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, GrubNameKind::mac);
  EXPECT_EQ(*n->mac, mac("52:54:00:12:34:56"));
  EXPECT_EQ(n->dir, "grub/");
  const auto http = parse_grub_name("/debian-installer/amd64/grub/grub.cfg-01-52-54-00-ab-cd-ef");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->kind, GrubNameKind::mac);
  EXPECT_EQ(*http->mac, mac("52:54:00:ab:cd:ef"));
  EXPECT_EQ(http->dir, "debian-installer/amd64/grub/");
  const auto top = parse_grub_name("grub.cfg-01-52-54-00-12-34-56");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->dir, "");
}

TEST(GrubName, OnlyTheFormGrubSends) {
  // GRUB prints the MAC in lower case, with hyphens; anything else is a static file's name.
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-01-52-54-00-AB-CD-EF"));
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-01-52:54:00:12:34:56"));
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-01-52-54-00-12-34"));
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-01-52-54-00-12-34-567"));
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-c0a80a05"));  // the address in upper case only
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-C0A80A05F"));
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg-"));
  EXPECT_FALSE(parse_grub_name("grub/grub.cfg.bak"));
  EXPECT_FALSE(parse_grub_name("grub/x86_64-efi/normal.mod"));
  EXPECT_FALSE(parse_grub_name("linux"));
}

TEST(GrubName, AddressNamesShortenedToSubnets) {
  const auto full = parse_grub_name("grub/grub.cfg-C0A80A05");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->kind, GrubNameKind::ip);
  EXPECT_EQ(*full->ip, *Ipv4::parse("192.168.10.5"));
  // GRUB's next names, one digit shorter each: a subnet, never one machine.
  for (std::string_view shorter : {"C0A80A0", "C0A80A", "C0A80", "C0A8", "C0A", "C0", "C"}) {
    const auto n = parse_grub_name(std::string("grub/grub.cfg-") + std::string(shorter));
    ASSERT_TRUE(n) << shorter;
    EXPECT_EQ(n->kind, GrubNameKind::ip_prefix) << shorter;
    EXPECT_FALSE(n->ip) << shorter;
  }
}

TEST(GrubName, GenericNameAndTheSignedImagesPlatformName) {
  const auto g = parse_grub_name("grub/grub.cfg");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->kind, GrubNameKind::generic);
  // Debian's signed grubnetx64.efi asks $prefix/x86_64-efi/grub.cfg first.
  const auto platform = parse_grub_name("/grub/x86_64-efi/grub.cfg");
  ASSERT_TRUE(platform);
  EXPECT_EQ(platform->kind, GrubNameKind::generic);
  EXPECT_EQ(platform->dir, "grub/x86_64-efi/");
  EXPECT_EQ(grub_mac_name("grub/", mac("52:54:00:12:34:56")), "grub/grub.cfg-01-52-54-00-12-34-56");
}

TEST(GrubConfig, ChainAsksForThePerMacNameFromNetDefaultMac) {
  const std::string c = grub_chain_config();
  EXPECT_NE(c.find("\"$net_default_mac\""), std::string::npos) << c;
  EXPECT_NE(c.find("configfile \"$prefix/grub.cfg-01-$m1-$m2-$m3-$m4-$m5-$m6\""), std::string::npos) << c;
  EXPECT_NE(c.find("\nexit\n"), std::string::npos) << c;
}

TEST(GrubConfig, PathsAsGrubDevices) {
  EXPECT_EQ(grub_path("http://10.0.0.1:8080/debian/linux"), "(http,10.0.0.1:8080)/debian/linux");
  EXPECT_EQ(grub_path("http://boot.example/linux"), "(http,boot.example)/linux");
  EXPECT_EQ(grub_path("tftp://10.0.0.1/debian/linux"), "(tftp,10.0.0.1)/debian/linux");
  EXPECT_EQ(grub_path("/debian/linux"), "/debian/linux");
  EXPECT_EQ(grub_path("debian/linux"), "/debian/linux");
  EXPECT_EQ(grub_path("http://10.0.0.1"), "(http,10.0.0.1)/");
  EXPECT_FALSE(grub_path("https://10.0.0.1/linux"));  // GRUB has no TLS
  EXPECT_FALSE(grub_path("tftp://10.0.0.1:6969/linux"));
  EXPECT_FALSE(grub_path("http:///linux"));
}

TEST(GrubConfig, QuotesForGrubsParser) {
  EXPECT_EQ(grub_quote("console=ttyS0"), "'console=ttyS0'");
  EXPECT_EQ(grub_quote("a'b"), "'a'\\''b'");
  EXPECT_EQ(grub_quote("$x;y"), "'$x;y'");
}

TEST(GrubConfig, InstallConfigFromParts) {
  const GrubRendered r = grub_install_config(
      "khttp://10.0.0.1:8080/linux\nc console=ttyS0  x=$y;z\ni/initrd.gz\nitftp://10.0.0.1/fw.cpio\n", "debian");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config,
            "# ringboot: rendered for this machine\nset timeout=0\necho 'ringboot: install debian'\n"
            "linux '(http,10.0.0.1:8080)/linux' 'console=ttyS0' 'x=$y;z'\n"
            "initrd '/initrd.gz' '(tftp,10.0.0.1)/fw.cpio'\nboot\n");
  const std::vector<GrubFile> files = grub_files(r.config);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(files[0].kernel);
  EXPECT_EQ(files[0].path, "/linux");
  EXPECT_FALSE(files[1].kernel);
  EXPECT_EQ(files[1].path, "/initrd.gz");
  EXPECT_EQ(files[2].path, "/fw.cpio");
}

TEST(GrubConfig, InstallConfigRefusesWhatGrubCannotFetch) {
  EXPECT_FALSE(grub_install_config("khttps://10.0.0.1/linux\nc\n", "p").ok);
  EXPECT_FALSE(grub_install_config("k\nc\n", "p").ok);
  EXPECT_FALSE(grub_install_config("ka b\nc\n", "p").ok);
  const GrubRendered bad_initrd = grub_install_config("k/linux\nc\nihttps://x/initrd\n", "p");
  EXPECT_FALSE(bad_initrd.ok);
  EXPECT_NE(bad_initrd.error.find("initrd"), std::string::npos) << bad_initrd.error;
}

// --- the engine with Loader::grub ------------------------------------------

struct Harness {
  std::int64_t now = 1700000000;
  std::uint8_t next_random = 1;
  Decision boot(Fleet& f, std::string_view m, Loader loader) {
    now += 60;
    Token t{};
    t.fill(next_random++);
    BootFacts facts;
    facts.mac = Mac::parse_any(m);
    facts.ip = Ipv4::parse("10.0.0.50");
    facts.http_base = "http://10.0.0.1:8080";
    facts.loader = loader;
    return f.boot(facts, now, t);
  }
};

FleetConfig config(bool once = true) {
  FleetConfig c;
  c.settings.install_attempts_max = 2;
  Profile p;
  p.name = "debian";
  p.kernel = "{{http_base}}/debian/linux";
  p.initrd = {"{{http_base}}/debian/initrd.gz"};
  p.cmdline = "auto=true ringboot.done={{done_url}}";
  Profile script;
  script.name = "custom";
  script.script = "#!ipxe\nchain http://x/y\n";
  c.profiles = {p, script};
  Group g;
  g.name = "rack1";
  g.match.mac = MacPattern::parse("52:54:00");
  g.profile = "debian";
  g.once = once;
  c.groups = {g};
  return c;
}

TEST(GrubEngine, OneProfileRendersForIpxeAndGrub) {
  Fleet f(config(false));
  Harness h;
  const Decision ipxe = h.boot(f, "52:54:00:00:00:01", Loader::ipxe);
  ASSERT_TRUE(ipxe.install()) << ipxe.script;
  EXPECT_NE(ipxe.script.find("kernel http://10.0.0.1:8080/debian/linux"), std::string::npos) << ipxe.script;
  const Decision grub = h.boot(f, "52:54:00:00:00:02", Loader::grub);
  ASSERT_TRUE(grub.install()) << grub.script;
  EXPECT_EQ(grub.profile, "debian");
  EXPECT_EQ(grub.state, State::installing);
  EXPECT_NE(grub.script.find("linux '(http,10.0.0.1:8080)/debian/linux' 'auto=true' "
                             "'ringboot.done=http://10.0.0.1:8080/api/v1/machines/52-54-00-00-00-02/done?token="),
            std::string::npos)
      << grub.script;
  EXPECT_NE(grub.script.find("initrd '(http,10.0.0.1:8080)/debian/initrd.gz'\nboot\n"), std::string::npos)
      << grub.script;
  EXPECT_EQ(grub.script.find("initrd=initrd0"), std::string::npos) << grub.script;  // iPXE's only
  // The kernel and the initrd are the machine's boot files, as paths.
  const Machine* m = f.machine(mac("52:54:00:00:00:02"));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->boot_files.kernel, "/debian/linux");
  ASSERT_EQ(m->boot_files.initrds.size(), 1u);
  EXPECT_EQ(m->boot_files.initrds[0], "/debian/initrd.gz");
  EXPECT_EQ(f.counters().boots_install, 2u);
}

TEST(GrubEngine, DoneThenLocalBootExits) {
  Fleet f(config(true));
  Harness h;
  const Decision first = h.boot(f, "52:54:00:00:00:03", Loader::grub);
  ASSERT_TRUE(first.install());
  const auto at = first.script.find("/done?token=");
  ASSERT_NE(at, std::string::npos) << first.script;
  EXPECT_EQ(f.done(mac("52:54:00:00:00:03"), first.script.substr(at + 12, 32), h.now), DoneResult::accepted);
  const Decision after = h.boot(f, "52:54:00:00:00:03", Loader::grub);
  EXPECT_EQ(after.reason, Reason::done);
  EXPECT_EQ(after.script, "# ringboot: local boot\necho 'ringboot: installed: booting from the local disk'\nexit\n");
  // An unassigned machine boots local too.
  const Decision other = h.boot(f, "02:00:00:00:00:01", Loader::grub);
  EXPECT_EQ(other.reason, Reason::unassigned);
  EXPECT_NE(other.script.find("\nexit\n"), std::string::npos) << other.script;
}

TEST(GrubEngine, FailedMachineIsHeld) {
  Fleet f(config(true));
  Harness h;
  ASSERT_TRUE(h.boot(f, "52:54:00:00:00:04", Loader::grub).install());
  ASSERT_TRUE(h.boot(f, "52:54:00:00:00:04", Loader::grub).install());
  const Decision failed = h.boot(f, "52:54:00:00:00:04", Loader::grub);
  EXPECT_EQ(failed.reason, Reason::failed);
  EXPECT_EQ(failed.state, State::failed);
  EXPECT_NE(failed.script.find("while true; do sleep 3600; done"), std::string::npos) << failed.script;
  EXPECT_EQ(failed.script.find("exit"), std::string::npos) << failed.script;
  // The iPXE answer of the same machine is still [fleet]'s failed boot (local by default).
  const Decision ipxe = h.boot(f, "52:54:00:00:00:04", Loader::ipxe);
  EXPECT_EQ(ipxe.reason, Reason::failed);
  EXPECT_NE(ipxe.script.find("#!ipxe"), std::string::npos) << ipxe.script;
}

TEST(GrubEngine, ScriptProfileHasNoGrubRendering) {
  FleetConfig c = config(true);
  c.groups[0].profile = "custom";
  Fleet f(std::move(c));
  Harness h;
  const Decision d = h.boot(f, "52:54:00:00:00:05", Loader::grub);
  EXPECT_EQ(d.reason, Reason::render_error);
  EXPECT_NE(d.error.find("no GRUB rendering"), std::string::npos) << d.error;
  EXPECT_NE(d.script.find("\nexit\n"), std::string::npos) << d.script;
  EXPECT_EQ(f.counters().render_errors, 1u);
}

TEST(GrubEngine, HttpsKernelIsARenderErrorForGrubOnly) {
  FleetConfig c = config(false);
  c.profiles[0].kernel = "https://boot.example/linux";
  Fleet f(std::move(c));
  Harness h;
  EXPECT_TRUE(h.boot(f, "52:54:00:00:00:06", Loader::ipxe).install());
  const Decision d = h.boot(f, "52:54:00:00:00:07", Loader::grub);
  EXPECT_EQ(d.reason, Reason::render_error);
  EXPECT_NE(d.error.find("https://boot.example/linux"), std::string::npos) << d.error;
}

}  // namespace
}  // namespace ringboot::fleet
