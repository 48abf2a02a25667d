#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fleet/script.h"
#include "fleet/template.h"

namespace ringboot::fleet {
namespace {

Variables vars() {
  Variables v;
  v.mac = "52:54:00:12:34:56";
  v.mac_hyphens = "52-54-00-12-34-56";
  v.http_base = "http://10.0.0.1";
  v.done_url = "http://10.0.0.1/fleet/done/x/y?a=1&b=2";
  v.labels = {"rack=a1", "gpu"};
  v.label = {{"rack", "a1"}};
  return v;
}

TEST(FleetTemplate, RendersVariablesLabelsAndNoHtmlEscape) {
  const Rendered r =
      render_template("{{mac}} {{mac_hyphens}} {{done_url}} {{#labels}}[{{.}}]{{/labels}} {{label.rack}}", vars());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.text, "52:54:00:12:34:56 52-54-00-12-34-56 http://10.0.0.1/fleet/done/x/y?a=1&b=2 [rack=a1][gpu] a1");
}

TEST(FleetTemplate, CheckFindsWhatMstchSilentlyAccepts) {
  EXPECT_FALSE(check_template("plain {{mac}} {{{uuid}}} {{&ip}} {{! a comment }} {{#labels}}{{.}}{{/labels}}"));
  const auto unclosed = check_template("x{{#labels}}open");
  ASSERT_TRUE(unclosed);
  EXPECT_NE(unclosed->reason.find("{{#labels}} is not closed"), std::string::npos) << unclosed->reason;
  EXPECT_TRUE(check_template("close{{/labels}}"));
  EXPECT_TRUE(check_template("{{#labels}}{{/uuid}}"));
  const auto tag = check_template("ab{{mac");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->offset, 2u);
  const auto typo = check_template("{{macc}}");
  ASSERT_TRUE(typo);
  EXPECT_NE(typo->reason.find("unknown variable {{macc}}"), std::string::npos) << typo->reason;
  EXPECT_TRUE(check_template("{{>partial}}"));
  EXPECT_TRUE(check_template("{{=<% %>=}}"));
  EXPECT_TRUE(check_template("{{.}}"));  // only inside a section
  EXPECT_TRUE(check_template("{{}}"));
  EXPECT_TRUE(check_template("{{ }}"));
  EXPECT_TRUE(check_template("{{&}}"));
  // A label's key is a label: "label." followed by anything was taken as a name, tags and braces included.
  EXPECT_FALSE(check_template("{{label.rack}} {{{label.rack-a_1:x/y}}}"));
  EXPECT_TRUE(check_template("{{label.a b}}"));
  EXPECT_TRUE(check_template("{{{label.vack}} {{ }}ac}}}"));
}

TEST(FleetTemplate, WhatCheckAcceptsRenders) {
  // fuzz/template_fuzz found mstch throwing on "{{! }}" after check passed it.
  // and mstch throwing length_error on a triple tag with tags inside, taken as a label's name:
  EXPECT_TRUE(check_template("{{{mac}}}{{{label.vack}} {\x89label {{      }}\nsh\xff}}} shell"));
  for (const std::string t : {"{{! }}", "{{!  }}", "{{!}}", "{{# }}{{/ }}", "{{{ }}}"}) {
    const bool accepted = !check_template(t);
    EXPECT_FALSE(accepted) << t;
  }
  for (const std::string t : {"{{!x}}", "{{ mac }}", "{{#  labels }}{{/labels}}", "{{{ mac }}}", "{{& mac}}"}) {
    ASSERT_FALSE(check_template(t)) << t;
    EXPECT_TRUE(render_template(t, vars()).ok) << t;
  }
}

TEST(FleetTemplate, OutputOverTheBoundIsAnError) {
  Variables v = vars();
  v.labels.assign(2000, std::string(40, 'x'));  // 80,000 bytes rendered
  const Rendered r = render_template("{{#labels}}{{.}}{{/labels}}", v);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.text.empty());
  EXPECT_NE(r.error.find("65536"), std::string::npos) << r.error;
}

// A compiled template renders what mstch renders, by substitution when it is
// only text and variables, through mstch otherwise.
TEST(FleetTemplate, CompiledRendersAsMstch) {
  Variables v = vars();
  v.label.emplace("a.b", "dotted");
  const std::vector<std::pair<std::string, bool>> cases{
      {"#!ipxe\nkernel {{http_base}}/linux initrd=initrd0 ringboot.done={{done_url}}\nboot\n", true},
      {"{{mac}}{{mac_hyphens}}{{ mac_hex }}{{{uuid}}}{{& ip}}{{label.rack}}{{label.none}}", true},
      {"no tags at all", true},
      {"", true},
      {"{{label.a.b}}", false},     // mstch looks up label, then a, then b
      {"{{\tlabel.rack}}", false},  // mstch renders nothing for it: the probe sees that
      {"{{#labels}}[{{.}}]{{/labels}} {{mac}}", false},
      {"{{! a comment }}\n{{mac}}", false},
      {"{{labels}}", false},
  };
  for (const auto& [text, substitutes] : cases) {
    ASSERT_FALSE(check_template(text)) << text;
    const CompiledTemplate compiled(text);
    EXPECT_EQ(compiled.substitutes(), substitutes) << text;
    const Rendered want = render_template(text, v);
    const Rendered got = compiled.render(v);
    ASSERT_TRUE(want.ok && got.ok) << text;
    EXPECT_EQ(got.text, want.text) << text;
  }
  Variables big = vars();
  big.done_url.assign(70000, 'x');
  const Rendered over = CompiledTemplate("{{done_url}}").render(big);
  EXPECT_FALSE(over.ok);
  EXPECT_NE(over.error.find("65536"), std::string::npos) << over.error;
}

TEST(FleetScript, KernelProfileNamesEachInitrd) {
  Profile p;
  p.name = "debian";
  p.kernel = "{{http_base}}/linux";
  p.initrd = {"{{http_base}}/initrd.gz", "{{http_base}}/firmware.cpio.gz"};
  p.cmdline = "auto=true url={{http_base}}/preseed.cfg";
  EXPECT_EQ(script_template(p),
            "#!ipxe\n"
            "kernel {{http_base}}/linux initrd=initrd0 initrd=initrd1 auto=true url={{http_base}}/preseed.cfg\n"
            "initrd --name initrd0 {{http_base}}/initrd.gz\n"
            "initrd --name initrd1 {{http_base}}/firmware.cpio.gz\n"
            "boot\n");
  EXPECT_FALSE(check_profile(p));
}

TEST(FleetScript, ProfileErrorsNameTheKey) {
  Profile both;
  both.script = "#!ipxe\n";
  both.kernel = "k";
  EXPECT_EQ(check_profile(both)->key, "script");
  Profile none;
  EXPECT_EQ(check_profile(none)->key, "kernel");
  Profile bad_initrd;
  bad_initrd.kernel = "k";
  bad_initrd.initrd = {"{{#labels}}"};
  EXPECT_EQ(check_profile(bad_initrd)->key, "initrd");
  Profile two_lines;
  two_lines.kernel = "k";
  two_lines.cmdline = "a\nshell";
  EXPECT_EQ(check_profile(two_lines)->key, "cmdline");
  Profile script;
  script.script = "#!ipxe\n{{#uuid}}\n";
  const auto e = check_profile(script);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->key, "script");
}

TEST(FleetScript, LocalBootByPlatform) {
  const FleetSettings s;
  EXPECT_NE(local_script(s, "pcbios", "why").find("\nsanboot --no-describe --drive 0x80\n"), std::string::npos);
  EXPECT_NE(local_script(s, "efi", "why").find("\nexit 1\n"), std::string::npos);
  EXPECT_NE(local_script(s, "", "why").find("\nexit 1\n"), std::string::npos);
  FleetSettings custom;
  custom.local_boot_efi = "sanboot --no-describe --drive 0x81";
  EXPECT_EQ(local_script(custom, "efi", "why"),
            "#!ipxe\necho ringboot: why: booting from the local disk\nsanboot --no-describe --drive 0x81\n");
}

TEST(FleetScript, ChainAsksWithIpxesOwnFacts) {
  EXPECT_EQ(chain_script("http://10.0.0.1:8080"),
            "#!ipxe\nchain "
            "http://10.0.0.1:8080/ipxe?mac=${mac:hexhyp}&uuid=${uuid}&buildarch=${buildarch}&platform=${platform}\n");
}

}  // namespace
}  // namespace ringboot::fleet
