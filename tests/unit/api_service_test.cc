// The admin API and the installer callbacks as request -> response: every
// status, both MAC forms, the roles, the bodies, the audit lines.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/counters.h"
#include "api/service.h"
#include "api/table.h"
#include "api/views.h"

namespace ringboot::api {
namespace {

using nlohmann::json;

constexpr std::string_view kAdmin = "Bearer adminadminadmin0123456789";
constexpr std::string_view kRead = "Bearer readreadreadread0123456789";
constexpr std::int64_t kNow = 1700000000;

// The engine behind a FleetAccess as SharedFleet does it, with a store that
// can be told to fail.
class FakeFleet : public FleetAccess {
 public:
  explicit FakeFleet(fleet::FleetConfig config) : engine(std::move(config)) {}
  void read(const std::function<void(const fleet::Fleet&)>& f) const override { f(engine); }
  bool change(const std::function<void(fleet::Fleet&)>& f) override {
    ++changes;
    f(engine);
    return durable;
  }
  fleet::Fleet engine;
  bool durable = true;
  int changes = 0;
};

fleet::FleetConfig config() {
  fleet::FleetConfig c;
  fleet::Profile debian;
  debian.name = "debian12";
  debian.kernel = "{{http_base}}/debian12/linux";
  debian.cmdline = "auto=true ringboot.done={{done_url}}";
  fleet::Profile rescue;
  rescue.name = "rescue";
  rescue.script = "#!ipxe\nshell\n";
  c.profiles = {debian, rescue};
  fleet::Group rack;
  rack.name = "rack1";
  rack.match.mac = MacPattern::parse("52:54:00");
  rack.profile = "debian12";
  c.groups = {rack};
  fleet::MachineConfig declared;
  declared.mac = *Mac::parse("52:54:00:00:00:99");
  declared.hostname = "node99";
  declared.labels = {"rack=a1"};
  c.machines = {declared};
  return c;
}

TokenTable tokens() {
  return TokenTable(parse_tokens("admin adminadminadmin0123456789 ops\nread readreadreadread0123456789\n").tokens);
}

struct Api : ::testing::Test {
  FakeFleet fleet{config()};
  TokenTable table = tokens();

  Response call(std::string_view method, std::string_view target, std::string_view body = {},
                std::optional<std::string_view> auth = kAdmin) {
    const std::string path(target.substr(0, target.find('?')));
    Request r{method, target, path, auth, body};
    return handle(fleet, table, r, kNow);
  }
  json json_of(const Response& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  std::string error_of(const Response& r) { return json_of(r).value("error", std::string("<none>")); }
  // An install boot of `mac`, returning the token its done_url carries.
  std::string install(std::string_view mac, std::uint8_t fill = 7) {
    fleet::BootFacts facts;
    facts.mac = Mac::parse_any(mac);
    facts.buildarch = "x86_64";
    facts.platform = "efi";
    facts.http_base = "http://boot";
    fleet::Token random{};
    random.fill(fill);
    const fleet::Decision d = fleet.engine.boot(facts, kNow, random);
    EXPECT_TRUE(d.install()) << d.script;
    return fleet::token_hex(random);
  }
  Response post_callback(std::string_view target, std::string_view body = {},
                         std::optional<std::string_view> auth = std::nullopt, std::string_view method = "POST",
                         std::int64_t now = kNow + 5) {
    const std::string path(target.substr(0, target.find('?')));
    Request r{method, target, path, auth, body};
    return callback(fleet, r, 512, now);
  }
};

TEST_F(Api, WithoutAValidTokenEverythingIs401) {
  for (const auto& auth : std::vector<std::optional<std::string_view>>{
           std::nullopt, "Basic YWRtaW46YWRtaW4=", "Bearer ", "Bearer adminadminadmin012345678",
           "Bearer adminadminadmin0123456789x"}) {
    for (const std::string_view target : {"/api/v1/machines", "/api/v1/nowhere", "/"}) {
      const Response r = call("GET", target, {}, auth);
      EXPECT_EQ(r.status, 401) << target << " " << auth.value_or("(none)");
      EXPECT_TRUE(r.authenticate);
      EXPECT_TRUE(json_of(r).contains("error"));
    }
  }
  EXPECT_EQ(call("GET", "/api/v1/machines", {}, "bearer adminadminadmin0123456789").status, 200)
      << "the scheme is case-insensitive";
  EXPECT_EQ(error_of(call("GET", "/api/v1/machines", {}, std::nullopt)), "no token: send Authorization: Bearer TOKEN");
  EXPECT_EQ(error_of(call("GET", "/api/v1/machines", {}, "Bearer wrongwrongwrongwrong")), "unknown token");
  EXPECT_EQ(fleet.changes, 0);
}

TEST_F(Api, UnknownRoutesAre404AndWrongMethods405WithAllow) {
  for (const std::string_view target :
       {"/api/v1/", "/api/v1/machine", "/api/v1/machines/", "/api/v1/machines/52:54:00:00:00:01/next_boot",
        "/api/v2/machines", "/metrics", "/api/v1/machines/52:54:00:00:00:01/done"}) {
    const Response r = call("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_TRUE(json_of(r).contains("error")) << target;
  }
  struct Case {
    std::string_view method, target, allow;
  };
  for (const Case& c : {Case{"POST", "/api/v1/machines", "GET"},
                        Case{"PATCH", "/api/v1/machines/52:54:00:00:00:01", "GET, PUT, DELETE"},
                        Case{"PU", "/api/v1/machines/52:54:00:00:00:01", "GET, PUT, DELETE"},
                        Case{"GET", "/api/v1/machines/52:54:00:00:00:01/next-boot", "PUT"},
                        Case{"GET", "/api/v1/machines/52:54:00:00:00:01/reset", "POST"},
                        Case{"PUT", "/api/v1/next-boot", "POST"}, Case{"HEAD", "/api/v1/profiles", "GET"}}) {
    const Response r = call(c.method, c.target);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.target;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.target;
  }
  EXPECT_EQ(fleet.changes, 0);
}

TEST_F(Api, AReadTokenReadsButChangesNothing) {
  EXPECT_EQ(call("GET", "/api/v1/machines", {}, kRead).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/profiles", {}, kRead).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/machines/52:54:00:00:00:99", {}, kRead).status, 200);
  const std::string next = R"({"profile": "debian12"})";
  for (const auto& [method, target] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"PUT", "/api/v1/machines/52:54:00:00:00:99/next-boot"},
           {"PUT", "/api/v1/machines/52:54:00:00:00:99"},
           {"DELETE", "/api/v1/machines/52:54:00:00:00:99"},
           {"POST", "/api/v1/machines/52:54:00:00:00:99/reset"},
           {"POST", "/api/v1/next-boot"}}) {
    const Response r = call(method, target, next, kRead);
    EXPECT_EQ(r.status, 403) << method << " " << target;
    EXPECT_NE(error_of(r).find("admin token"), std::string::npos) << error_of(r);
    EXPECT_TRUE(r.audit.empty());
  }
  EXPECT_EQ(fleet.changes, 0) << "a refused write never reaches the engine";
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:00:00:99"))->next, std::nullopt);
}

TEST_F(Api, MalformedBodiesAre400WithTheReason) {
  const std::string_view target = "/api/v1/machines/52-54-00-00-00-01/next-boot";
  EXPECT_NE(error_of(call("PUT", target, "")).find("malformed JSON"), std::string::npos);
  const Response truncated = call("PUT", target, R"({"profile": "debian12")");
  EXPECT_EQ(truncated.status, 400);
  EXPECT_NE(error_of(truncated).find("malformed JSON: parse error"), std::string::npos) << error_of(truncated);
  EXPECT_EQ(error_of(call("PUT", target, R"(["debian12"])")), "the body must be a JSON object");
  EXPECT_NE(error_of(call("PUT", target, R"({"profile": "debian12", "onec": true})")).find("unknown field \"onec\""),
            std::string::npos);
  EXPECT_NE(error_of(call("PUT", target, R"({"profile": 12})")).find("\"profile\" must be a string"),
            std::string::npos);
  EXPECT_NE(error_of(call("PUT", target, R"({"profile": "debian12", "once": "yes"})")).find("\"once\""),
            std::string::npos);
  EXPECT_EQ(call("PUT", target, "{\"profile\": \"debian12\xff\"}").status, 400) << "not UTF-8";
  // A number past a double: nlohmann throws out_of_range, not parse_error (fuzz/api_fuzz).
  const Response overflow = call("PUT", target, R"({"profile": "debian12", "once": 1E400})");
  EXPECT_EQ(overflow.status, 400);
  EXPECT_NE(error_of(overflow).find("malformed JSON: number overflow"), std::string::npos) << error_of(overflow);
  const Response bad_mac = call("PUT", "/api/v1/machines/52-54-00-00-00/next-boot", R"({"profile": "debian12"})");
  EXPECT_EQ(bad_mac.status, 400);
  EXPECT_NE(error_of(bad_mac).find("is not a MAC"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/machines/52-54-00:00:00:01").status, 400) << "one separator throughout";
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:00:00:01")), nullptr) << "nothing was created";
}

TEST_F(Api, NextBootCreatesAndBothMacFormsNameOneMachine) {
  EXPECT_EQ(call("GET", "/api/v1/machines/52:54:00:12:34:56").status, 404) << "not seen yet";
  EXPECT_EQ(error_of(call("GET", "/api/v1/machines/52:54:00:12:34:56")), "no machine 52:54:00:12:34:56");
  const Response created =
      call("PUT", "/api/v1/machines/52-54-00-12-34-56/next-boot", R"({"profile": "rescue", "once": false})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.endpoint, Endpoint::next_boot);
  for (const std::string_view form : {"52:54:00:12:34:56", "52-54-00-12-34-56", "52:54:00:12:34:56",
                                      "52-54-00-12-34-56", "525400123456", "52:54:00:12:34:56"}) {
    const Response r = call("GET", fmt::format("/api/v1/machines/{}", form));
    ASSERT_EQ(r.status, 200) << form;
    const json m = json_of(r);
    EXPECT_EQ(m["mac"], "52:54:00:12:34:56");
    EXPECT_EQ(m["profile"], "rescue");
    EXPECT_EQ(m["once"], false);
    EXPECT_EQ(m["profile_source"], "api");
    EXPECT_EQ(m["state"], "install");
    EXPECT_EQ(m["install_attempts"], 0);
    EXPECT_EQ(m["group"]["name"], "rack1");
    EXPECT_EQ(m["group"]["profile"], "debian12");
    EXPECT_TRUE(m["events"].is_array());
    for (const char* key : {"uuid", "hostname", "labels", "buildarch", "platform", "ip", "ip6", "dhcp", "first_seen",
                            "last_seen", "install_profile"})
      EXPECT_TRUE(m.contains(key)) << key;
    EXPECT_TRUE(m["dhcp"].contains("arch") && m["dhcp"].contains("relay") && m["dhcp"].contains("hostname"));
  }
  EXPECT_EQ(call("GET", "/api/v1/machines/52:54:00:AB:CD:EF").status, 404);
  const Response upper = call("PUT", "/api/v1/machines/52-54-00-12-34-56/next-boot", R"({"profile": "local"})");
  EXPECT_EQ(upper.status, 200) << "it exists now";
  const json m = json_of(upper);
  EXPECT_EQ(m["profile"], "local");
  EXPECT_EQ(m["state"], "local");
  EXPECT_EQ(m["once"], true) << "once defaults to true";
}

TEST_F(Api, UnknownProfilesAndGroupsAre422) {
  const Response one = call("PUT", "/api/v1/machines/52:54:00:12:34:56/next-boot", R"({"profile": "debian13"})");
  EXPECT_EQ(one.status, 422);
  EXPECT_NE(error_of(one).find("no [[profile]]"), std::string::npos);
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:12:34:56")), nullptr) << "nothing created";
  const Response bulk =
      call("POST", "/api/v1/next-boot", R"({"selector": {"labels": ["rack=a1"]}, "profile": "debian13"})");
  EXPECT_EQ(bulk.status, 422);
  const Response group = call("POST", "/api/v1/next-boot", R"({"selector": {"group": "rack9"}, "profile": "rescue"})");
  EXPECT_EQ(group.status, 422);
  EXPECT_EQ(error_of(group), "no [[group]] is named \"rack9\"");
  EXPECT_TRUE(one.audit.empty() && bulk.audit.empty() && group.audit.empty());
}

TEST_F(Api, TheAuditLineSaysWhoWhatBeforeAndAfter) {
  const Response r = call("PUT", "/api/v1/machines/52:54:00:00:00:99/next-boot", R"({"profile": "rescue"})");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.audit.size(), 1u);
  const Audit& a = r.audit[0];
  EXPECT_EQ(a.who, "ops");
  EXPECT_EQ(a.what, "next_boot");
  EXPECT_EQ(a.mac, "52:54:00:00:00:99");
  EXPECT_EQ(a.before,
            "profile=debian12 once=true source=group state=local install_attempts=0 hostname=node99 labels=rack=a1");
  EXPECT_EQ(a.after,
            "profile=rescue once=true source=api state=install install_attempts=0 hostname=node99 labels=rack=a1");
  EXPECT_TRUE(a.durable);
  // A token without a name: its role and first characters.
  table = TokenTable(parse_tokens("admin adminadminadmin0123456789\n").tokens);
  const Response unnamed = call("POST", "/api/v1/machines/52:54:00:00:00:99/reset");
  ASSERT_EQ(unnamed.audit.size(), 1u);
  EXPECT_EQ(unnamed.audit[0].who, "admin:admi...");
  EXPECT_EQ(unnamed.audit[0].what, "reset");
  EXPECT_EQ(call("GET", "/api/v1/machines").audit.size(), 0u) << "reads are not audited";
}

TEST_F(Api, BulkNextBootBySelector) {
  // New MACs are created by a selector of MACs alone, in either form.
  Response r = call("POST", "/api/v1/next-boot",
                    R"({"selector": {"macs": ["52:54:00:00:00:01", "52-54-00-00-00-02"]}, "profile": "rescue"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.endpoint, Endpoint::bulk);
  EXPECT_EQ(json_of(r)["changed"], 2);
  EXPECT_EQ(json_of(r)["refused"], 0);
  ASSERT_EQ(r.audit.size(), 2u);
  EXPECT_EQ(r.audit[0].mac, "52:54:00:00:00:01");
  EXPECT_EQ(r.audit[0].before, "absent");
  EXPECT_EQ(r.audit[0].what, "bulk_next_boot");
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:00:00:02"))->next->profile, "rescue");
  // By label: only the declared machine has rack=a1.
  r = call("POST", "/api/v1/next-boot", R"({"selector": {"labels": ["rack=a1"]}, "profile": "local"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json_of(r)["changed"], 1);
  ASSERT_EQ(r.audit.size(), 1u);
  EXPECT_EQ(r.audit[0].mac, "52:54:00:00:00:99");
  // By group: all three are in rack1 (by MAC prefix).
  r = call("POST", "/api/v1/next-boot", R"({"selector": {"group": "rack1"}, "profile": "debian12", "once": false})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json_of(r)["changed"], 3);
  EXPECT_EQ(r.audit.size(), 3u);
  // The same call again changes nothing an operator can see: no audit lines.
  r = call("POST", "/api/v1/next-boot", R"({"selector": {"group": "rack1"}, "profile": "debian12", "once": false})");
  EXPECT_EQ(r.audit.size(), 0u);
  // Selector errors.
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {}, "profile": "rescue"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {"macs": []}, "profile": "rescue"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {"macs": ["zz"]}, "profile": "rescue"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {"rack": "a1"}, "profile": "rescue"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {"labels": ["a b"]}, "profile": "rescue"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"profile": "rescue"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {"group": "rack1"}})").status, 400);
}

TEST_F(Api, InventoryFullIs409) {
  fleet::FleetConfig c = config();
  c.settings.machines_max = 1;  // the declared machine fills it
  FakeFleet full(c);
  Request r{"PUT", "/api/v1/machines/52:54:00:00:00:01/next-boot", "/api/v1/machines/52:54:00:00:00:01/next-boot",
            kAdmin, R"({"profile": "rescue"})"};
  const Response x = handle(full, table, r, kNow);
  EXPECT_EQ(x.status, 409);
  EXPECT_NE(x.body.find("machines_max"), std::string::npos);
  Request b{"POST", "/api/v1/next-boot", "/api/v1/next-boot", kAdmin,
            R"({"selector": {"macs": ["52:54:00:00:00:01", "52:54:00:00:00:99"]}, "profile": "rescue"})"};
  const Response y = handle(full, table, b, kNow);
  EXPECT_EQ(y.status, 200);
  EXPECT_EQ(json::parse(y.body)["changed"], 1);
  EXPECT_EQ(json::parse(y.body)["refused"], 1);
}

TEST_F(Api, DeclareHostnameAndLabels) {
  const Response r = call("PUT", "/api/v1/machines/52:54:00:12:34:56", R"({"hostname": "web1", "labels": ["gpu"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json_of(r)["hostname"], "web1");
  EXPECT_EQ(json_of(r)["labels"], json::array({"gpu"}));
  EXPECT_EQ(r.audit[0].what, "declare");
  EXPECT_EQ(call("PUT", "/api/v1/machines/52:54:00:12:34:56", R"({"labels": []})").status, 200);
  EXPECT_EQ(call("PUT", "/api/v1/machines/52:54:00:12:34:56", R"({"hostname": "web 1"})").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/machines/52:54:00:12:34:56", R"({"labels": ["ok", "not ok"]})").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/machines/52:54:00:12:34:56", R"({})").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/machines/52:54:00:12:34:56", R"({"profile": "rescue"})").status, 400);
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:12:34:56"))->hostname, "web1");
}

TEST_F(Api, ResetAndForget) {
  EXPECT_EQ(call("POST", "/api/v1/machines/52:54:00:12:34:56/reset").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/machines/52:54:00:12:34:56").status, 404);
  const std::string token = install("52:54:00:12:34:56");
  ASSERT_EQ(fleet.engine.done(*Mac::parse("52:54:00:12:34:56"), token, kNow + 1), fleet::DoneResult::accepted);
  const Response reset = call("POST", "/api/v1/machines/52-54-00-12-34-56/reset");
  ASSERT_EQ(reset.status, 200);
  EXPECT_EQ(json_of(reset)["state"], "install");
  EXPECT_NE(reset.audit[0].before.find("state=done"), std::string::npos);
  const Response forget = call("DELETE", "/api/v1/machines/52-54-00-12-34-56");
  ASSERT_EQ(forget.status, 200);
  EXPECT_EQ(json_of(forget)["declared_in_config"], false);
  EXPECT_EQ(forget.audit[0].after, "absent");
  EXPECT_EQ(call("GET", "/api/v1/machines/52:54:00:12:34:56").status, 404);
  // A [[machine]] comes back as the config declares it.
  const Response declared = call("DELETE", "/api/v1/machines/52:54:00:00:00:99");
  ASSERT_EQ(declared.status, 200);
  EXPECT_EQ(json_of(declared)["declared_in_config"], true);
  EXPECT_EQ(json_of(call("GET", "/api/v1/machines/52:54:00:00:00:99"))["hostname"], "node99");
}

TEST_F(Api, ListFiltersAndProfiles) {
  call("PUT", "/api/v1/machines/52:54:00:00:00:02/next-boot", R"({"profile": "rescue"})");
  call("PUT", "/api/v1/machines/aa:00:00:00:00:01", R"({"labels": ["gpu"]})");
  json all = json_of(call("GET", "/api/v1/machines"));
  ASSERT_EQ(all["count"], 3);
  EXPECT_EQ(all["machines"][0]["mac"], "52:54:00:00:00:02") << "in MAC order";
  EXPECT_EQ(all["machines"][2]["mac"], "aa:00:00:00:00:01");
  EXPECT_FALSE(all["machines"][0].contains("events")) << "the list leaves events to the machine's own view";
  auto count = [&](std::string_view query) {
    const Response r = call("GET", fmt::format("/api/v1/machines?{}", query));
    EXPECT_EQ(r.status, 200) << query << r.body;
    return json_of(r)["count"].get<int>();
  };
  EXPECT_EQ(count("state=install"), 1);
  EXPECT_EQ(count("state=local"), 2);
  EXPECT_EQ(count("label=rack%3Da1"), 1);
  EXPECT_EQ(count("label=rack=a1&label=gpu"), 0) << "labels: all of";
  EXPECT_EQ(count("profile=rescue"), 1);
  EXPECT_EQ(count("profile=debian12"), 1) << "52:54:00:00:00:99 by its group";
  EXPECT_EQ(count("profile=local"), 1) << "aa:00:... has no group";
  EXPECT_EQ(count("group=rack1"), 2);
  EXPECT_EQ(call("GET", "/api/v1/machines?state=booting").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/machines?colour=red").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/machines?label=%zz").status, 400);
  const json p = json_of(call("GET", "/api/v1/profiles"));
  ASSERT_EQ(p["profiles"].size(), 2u);
  EXPECT_EQ(p["profiles"][0]["name"], "debian12");
  EXPECT_EQ(p["profiles"][0]["kind"], "kernel");
  EXPECT_EQ(p["profiles"][1]["kind"], "script");
}

TEST_F(Api, AChangeTheStoreDidNotWriteIs503) {
  fleet.durable = false;
  const Response r = call("PUT", "/api/v1/machines/52:54:00:12:34:56/next-boot", R"({"profile": "rescue"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(error_of(r).find("store"), std::string::npos);
  ASSERT_EQ(r.audit.size(), 1u) << "the change is made in memory: the audit line says so";
  EXPECT_FALSE(r.audit[0].durable);
  EXPECT_EQ(call("POST", "/api/v1/machines/52:54:00:12:34:56/reset").status, 503);
  EXPECT_EQ(call("POST", "/api/v1/next-boot", R"({"selector": {"group": "rack1"}, "profile": "rescue"})").status, 503);
  EXPECT_EQ(call("GET", "/api/v1/machines/52:54:00:12:34:56").status, 200) << "reads do not wait on the store";
}

TEST_F(Api, ViewsNeverShowTheCallbackToken) {
  const std::string token = install("52:54:00:12:34:56");
  const Response r = call("GET", "/api/v1/machines/52:54:00:12:34:56");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json_of(r)["state"], "installing");
  EXPECT_EQ(json_of(r)["install_profile"], "debian12");
  EXPECT_EQ(r.body.find(token), std::string::npos) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/machines").body.find(token), std::string::npos);
}

TEST_F(Api, DoneCallbackWithTheRightTokenOnce) {
  const std::string token = install("52:54:00:12:34:56");
  const std::string done = "/api/v1/machines/52-54-00-12-34-56/done?token=";
  std::string wrong = token;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  Response r = post_callback(done + wrong);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.endpoint, Endpoint::done);
  EXPECT_EQ(r.log, "wrong_token");
  EXPECT_EQ(error_of(r), "refused: the token is wrong, used or expired") << "the caller learns no more";
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:12:34:56"))->state, fleet::State::installing);
  EXPECT_EQ(post_callback(done + token, {}, std::nullopt, "GET").status, 405);
  EXPECT_EQ(post_callback(done + token, {}, std::nullopt, "GET").allow, "POST");
  EXPECT_EQ(post_callback("/api/v1/machines/52-54-00-12-34-56/done").status, 401);
  EXPECT_EQ(post_callback("/api/v1/machines/52-54-00-12-34/done?token=" + token).status, 400);
  r = post_callback(done + token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["state"], "done");
  ASSERT_EQ(r.audit.size(), 1u);
  EXPECT_EQ(r.audit[0].who, "installer");
  EXPECT_NE(r.audit[0].before.find("state=installing"), std::string::npos);
  EXPECT_NE(r.audit[0].after.find("state=done"), std::string::npos);
  r = post_callback(done + token);
  EXPECT_EQ(r.status, 403) << "a token is good for one done";
  EXPECT_EQ(r.log, "not_installing");
  EXPECT_EQ(post_callback("/api/v1/machines/52-54-00-99-99-99/done?token=" + token).status, 403) << "unknown machine";
}

TEST_F(Api, DoneByBearerHeaderAndExpiry) {
  const std::string token = install("52:54:00:12:34:56", 3);
  const std::string bearer = "Bearer " + token;
  const std::int64_t lifetime = fleet.engine.config().settings.token_lifetime_seconds;
  Response r = post_callback("/api/v1/machines/52:54:00:12:34:56/done", {}, bearer, "POST", kNow + lifetime + 1);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.log, "expired");
  r = post_callback("/api/v1/machines/52:54:00:12:34:56/done", {}, bearer);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Api, EventsAreRecordedBoundedAndShown) {
  const std::string token = install("52:54:00:12:34:56");
  const std::string events = "/api/v1/machines/52-54-00-12-34-56/events?token=" + token;
  EXPECT_EQ(post_callback(events, "partitioning disks").status, 200);
  EXPECT_EQ(post_callback(events, "").status, 400);
  EXPECT_EQ(post_callback(events, std::string(513, 'x')).status, 413);
  EXPECT_EQ(post_callback(events, std::string(512, 'y')).status, 200);
  EXPECT_EQ(post_callback("/api/v1/machines/52-54-00-12-34-56/events?token=00", "nope").status, 403);
  EXPECT_EQ(post_callback(events, "bad \xff utf-8 \x1b[2J").status, 200);
  const json m = json_of(call("GET", "/api/v1/machines/52:54:00:12:34:56"));
  ASSERT_EQ(m["events"].size(), 3u) << m.dump();
  EXPECT_EQ(m["events"][0]["message"], "partitioning disks");
  EXPECT_EQ(m["events"][0]["time"], "2023-11-14T22:13:25Z");
  EXPECT_EQ(m["stage"], "installing") << "the installer's progress moved its stage";
  ASSERT_TRUE(m["timeline"].is_array());
  EXPECT_FALSE(m["timeline"].empty());
  EXPECT_EQ(m["events"][2]["message"], "bad \xEF\xBF\xBD utf-8 \x1b[2J") << "JSON gets U+FFFD for a byte not UTF-8";
  fleet.durable = false;
  EXPECT_EQ(post_callback(events, "late").status, 503);
}

TEST_F(Api, CallbackRoutesAndTheirFamilies) {
  EXPECT_TRUE(is_callback("/api/v1/machines/52-54-00-12-34-56/done"));
  EXPECT_TRUE(is_callback("/api/v1/machines/anything/events"));
  EXPECT_FALSE(is_callback("/api/v1/machines/52-54-00-12-34-56"));
  EXPECT_FALSE(is_callback("/boot.ipxe"));
  EXPECT_EQ(endpoint_of("/api/v1/machines"), Endpoint::machines);
  EXPECT_EQ(endpoint_of("/api/v1/machines/x"), Endpoint::machine);
  EXPECT_EQ(endpoint_of("/api/v1/machines/x/next-boot"), Endpoint::next_boot);
  EXPECT_EQ(endpoint_of("/api/v1/next-boot"), Endpoint::bulk);
  EXPECT_EQ(endpoint_of("/api/v1/machines/x/events"), Endpoint::events);
  EXPECT_EQ(endpoint_of("/favicon.ico"), Endpoint::other);
}

TEST_F(Api, RolloutsAreNamedByNextBootAndCountedPerStage) {
  // Three MACs into one rollout by the bulk call, one more by its own PUT.
  Response r = call("POST", "/api/v1/next-boot",
                    R"({"selector": {"macs": ["52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"]},
                        "profile": "debian12", "rollout": "rack1-2024.06"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["changed"], 3);
  EXPECT_NE(r.audit.at(0).after.find(" rollout=rack1-2024.06"), std::string::npos) << r.audit.at(0).after;
  r = call("PUT", "/api/v1/machines/52-54-00-00-00-04/next-boot",
           R"({"profile": "debian12", "rollout": "rack1-2024.06"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json_of(r)["rollout"], "rack1-2024.06");
  EXPECT_EQ(json_of(r)["rollout_joined"], "2023-11-14T22:13:20Z");
  // One done, one failed (the breaker), one booting.
  const std::string token = install("52:54:00:00:00:01", 1);
  ASSERT_EQ(fleet.engine.done(*Mac::parse("52:54:00:00:00:01"), token, kNow + 120), fleet::DoneResult::accepted);
  for (std::uint8_t i = 0; i < 3; ++i) install("52:54:00:00:00:02", static_cast<std::uint8_t>(10 + i));
  fleet::BootFacts facts;
  facts.mac = Mac::parse("52:54:00:00:00:02");
  facts.platform = "efi";
  EXPECT_EQ(fleet.engine.boot(facts, kNow + 10, fleet::Token{}).reason, fleet::Reason::failed);
  install("52:54:00:00:00:03", 20);

  r = call("GET", "/api/v1/rollouts", {}, kRead);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.endpoint, Endpoint::rollouts);
  json j = json_of(r);
  ASSERT_EQ(j["count"], 1);
  const json& one = j["rollouts"][0];
  EXPECT_EQ(one["name"], "rack1-2024.06");
  EXPECT_EQ(one["machines"], 4);
  EXPECT_EQ(one["done"], 1);
  EXPECT_EQ(one["failed"], 1);
  EXPECT_EQ(one["stuck"], 0);
  EXPECT_EQ(one["started"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(one["time_to_done_p50_s"], 120.0);
  EXPECT_EQ(one["time_to_done_p99_s"], 120.0);
  ASSERT_EQ(one["stages"].size(), fleet::kStageCount) << "every stage, zero or not";
  EXPECT_EQ(one["stages"]["done"], 1);
  EXPECT_EQ(one["stages"]["failed"], 1);
  EXPECT_EQ(one["stages"]["script"], 1);
  EXPECT_EQ(one["stages"]["discovered"], 1);
  EXPECT_EQ(one["stages"]["kernel"], 0);
  EXPECT_FALSE(one.contains("failed_machines")) << "the list is the summary";

  r = call("GET", "/api/v1/rollouts/rack1-2024.06", {}, kRead);
  ASSERT_EQ(r.status, 200) << r.body;
  j = json_of(r);
  EXPECT_EQ(j["machines"], 4);
  ASSERT_EQ(j["failed_machines"].size(), 1u);
  EXPECT_EQ(j["failed_machines"][0]["mac"], "52:54:00:00:00:02");
  EXPECT_EQ(j["failed_machines"][0]["stage"], "failed");
  EXPECT_TRUE(j["failed_machines"][0].contains("hostname"));
  EXPECT_TRUE(j["stuck_machines"].is_array());
  EXPECT_TRUE(j["stuck_machines"].empty());
  // Stuck once stuck_after_seconds pass with no step.
  const Request later{"GET", "/api/v1/rollouts/rack1-2024.06", "/api/v1/rollouts/rack1-2024.06", kRead, {}};
  j = json::parse(handle(fleet, table, later, kNow + 901).body);
  EXPECT_EQ(j["stuck"], 1);
  ASSERT_EQ(j["stuck_machines"].size(), 1u);
  EXPECT_EQ(j["stuck_machines"][0]["mac"], "52:54:00:00:00:03");
  EXPECT_EQ(j["stuck_machines"][0]["stage"], "script");

  // The machines filter, and the view.
  r = call("GET", "/api/v1/machines?rollout=rack1-2024.06", {}, kRead);
  EXPECT_EQ(json_of(r)["count"], 4);
  r = call("GET", "/api/v1/machines?rollout=other", {}, kRead);
  EXPECT_EQ(json_of(r)["count"], 0);
  EXPECT_EQ(json_of(call("GET", "/api/v1/machines/52:54:00:00:00:99", {}, kRead))["rollout"], nullptr);

  // Moving a machine: a later call with another rollout.
  r = call("PUT", "/api/v1/machines/52:54:00:00:00:04/next-boot", R"({"profile": "debian12", "rollout": "r2"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(call("GET", "/api/v1/rollouts/rack1-2024.06"))["machines"], 3);
  EXPECT_EQ(json_of(call("GET", "/api/v1/rollouts/r2"))["machines"], 1);
  // Forgetting takes it out; the empty rollout is gone.
  ASSERT_EQ(call("DELETE", "/api/v1/machines/52:54:00:00:00:04").status, 200);
  r = call("GET", "/api/v1/rollouts/r2");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r), "no rollout r2 (no machine is in it)");
}

TEST_F(Api, RolloutNamesOfAnotherFormAre400AndANewOneOverTheBound409) {
  const std::string too_long = "\"" + std::string(65, 'x') + "\"";
  for (const std::string_view bad :
       {std::string_view(R"("has space")"), std::string_view(R"("")"), std::string_view("7"), std::string_view("null"),
        std::string_view(R"("a/b")"), std::string_view(too_long)}) {
    Response r = call("PUT", "/api/v1/machines/52:54:00:00:00:01/next-boot",
                      fmt::format(R"({{"profile": "debian12", "rollout": {}}})", bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(error_of(r), "\"rollout\" must be a name of 1..64 letters, digits, '.', '_' or '-'") << bad;
    r = call(
        "POST", "/api/v1/next-boot",
        fmt::format(R"({{"selector": {{"macs": ["52:54:00:00:00:01"]}}, "profile": "debian12", "rollout": {}}})", bad));
    EXPECT_EQ(r.status, 400) << bad;
  }
  EXPECT_EQ(fleet.engine.machine(*Mac::parse("52:54:00:00:00:01")), nullptr) << "a 400 changes nothing";
  Response r = call("GET", "/api/v1/rollouts/has%20space");
  EXPECT_EQ(r.status, 400);
  const Request spaced{"GET", "/api/v1/rollouts/has%20space", "/api/v1/rollouts/has space", kAdmin, {}};
  r = handle(fleet, table, spaced, kNow);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("is not a rollout name"), std::string::npos) << r.body;
  EXPECT_EQ(call("POST", "/api/v1/rollouts").status, 405);
  EXPECT_EQ(call("DELETE", "/api/v1/rollouts/r1").status, 405);
  EXPECT_EQ(call("GET", "/api/v1/rollouts/").status, 404);

  fleet::FleetConfig c = config();
  c.settings.rollouts_max = 1;
  FakeFleet bounded(c);
  const auto put = [&](std::string_view mac, std::string_view rollout) {
    const std::string target = fmt::format("/api/v1/machines/{}/next-boot", mac);
    const std::string body = fmt::format(R"({{"profile": "debian12", "rollout": "{}"}})", rollout);
    return handle(bounded, table, Request{"PUT", target, target, kAdmin, body}, kNow);
  };
  ASSERT_EQ(put("52:54:00:00:00:01", "r1").status, 201);
  ASSERT_EQ(put("52:54:00:00:00:02", "r1").status, 201);
  r = put("52:54:00:00:00:03", "r2");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("rollouts_max"), std::string::npos) << r.body;
  EXPECT_EQ(bounded.engine.machine(*Mac::parse("52:54:00:00:00:03")), nullptr);
  const std::string bulk_body =
      R"({"selector": {"macs": ["52:54:00:00:00:01"]}, "profile": "debian12", "rollout": "r2"})";
  r = handle(bounded, table, Request{"POST", "/api/v1/next-boot", "/api/v1/next-boot", kAdmin, bulk_body}, kNow);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_TRUE(r.audit.empty());
  // Moving every machine of r1 frees its place.
  const std::string all =
      R"({"selector": {"macs": ["52:54:00:00:00:01", "52:54:00:00:00:02"]}, "profile": "debian12", "rollout": "r2"})";
  r = handle(bounded, table, Request{"POST", "/api/v1/next-boot", "/api/v1/next-boot", kAdmin, all}, kNow);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(ApiCounters, EveryCounterIsExportedWithBoundedLabels) {
  EXPECT_EQ(metric_table().first_unread_byte(), sizeof(ApiCounters));
  ApiCounters c;
  c.record(Endpoint::done, 200);
  c.record(Endpoint::done, 403);
  c.record(Endpoint::bulk, 503);
  MetricsWriter out;
  const std::vector<const ApiCounters*> workers = {&c};
  metric_table().write(out, workers);
  EXPECT_NE(out.text().find("ringboot_api_responses_total{endpoint=\"done\",class=\"2xx\"} 1\n"), std::string::npos);
  EXPECT_NE(out.text().find("ringboot_api_responses_total{endpoint=\"done\",class=\"4xx\"} 1\n"), std::string::npos);
  EXPECT_NE(out.text().find("ringboot_api_responses_total{endpoint=\"bulk_next_boot\",class=\"5xx\"} 1\n"),
            std::string::npos);
}

TEST(ApiTable, MachinesAsATable) {
  const json list = json::parse(R"({"count": 2, "machines": [
      {"mac": "52:54:00:00:00:01", "hostname": null, "state": "install", "stage": "discovered", "profile": "debian12",
       "once": true, "install_attempts": 0, "group": {"name": "rack1"}, "ip": null, "last_seen": null},
      {"mac": "52:54:00:00:00:02", "hostname": "web\u001b1", "state": "done", "stage": "done", "profile": "local",
       "once": false, "install_attempts": 2, "group": null, "ip": "10.0.0.5", "ip6": "2001:db8::5",
       "last_seen": "2024-01-01T00:00:00Z"},
      {"mac": "52:54:00:00:00:03", "hostname": null, "state": "local", "stage": "local", "profile": "local",
       "once": true, "install_attempts": 0, "group": null, "ip": null, "ip6": "2001:db8::3", "last_seen": null}]})");
  // The IP column: the IPv4 address, else (an IPv6-only machine) the IPv6 one.
  EXPECT_EQ(
      machines_table(list),
      "MAC                HOSTNAME  STATE    STAGE       PROFILE   ONCE  ATTEMPTS  GROUP  IP           LAST SEEN\n"
      "52:54:00:00:00:01  -         install  discovered  debian12  yes   0         rack1  -            -\n"
      "52:54:00:00:00:02  web?1     done     done        local     no    2         -      10.0.0.5     "
      "2024-01-01T00:00:00Z\n"
      "52:54:00:00:00:03  -         local    local       local     yes   0         -      2001:db8::3  -\n");
  const std::string details = machine_details(json::parse(
      R"({"mac": "52:54:00:00:00:01", "state": "done", "dhcp": {"arch": 7}, "ip": "10.0.0.5", "ip6": "2001:db8::5",
          "events": [{"time": "2024-01-01T00:00:00Z", "message": "installed\n"}]})"));
  EXPECT_NE(details.find("mac:              52:54:00:00:00:01\n"), std::string::npos) << details;
  EXPECT_NE(details.find("ip:               10.0.0.5\nip6:              2001:db8::5\n"), std::string::npos) << details;
  EXPECT_NE(details.find("dhcp arch:        7\n"), std::string::npos) << details;
  EXPECT_NE(details.find("events:\n  2024-01-01T00:00:00Z  installed?\n"), std::string::npos) << details;
}

// The page's sessions as the API reaches them: a SessionTable with random
// bytes the test counts up, and a clock it moves.
class FakeSessions : public Sessions {
 public:
  std::optional<std::string> create(std::int64_t now_unix) override {
    SessionRandom r{};
    r.fill(next++);
    return table.create(r, now_unix);
  }
  bool valid(std::string_view id, std::int64_t now_unix) const override { return table.valid(id, now_unix); }
  void end(std::string_view id) override { table.end(id); }
  std::int64_t lifetime_seconds() const override { return table.lifetime_seconds(); }
  SessionTable table{2, 600};
  std::uint8_t next = 1;
};

struct Session : Api {
  FakeSessions sessions;
  Response web(std::string_view method, std::string_view target, std::optional<std::string_view> cookie,
               std::string_view body = {}, std::optional<std::string_view> content_type = std::nullopt,
               std::int64_t now = kNow, std::optional<std::string_view> auth = std::nullopt) {
    const std::string path(target.substr(0, target.find('?')));
    Request r{method, target, path, auth, body, cookie, content_type};
    return handle(fleet, table, r, now, &sessions);
  }
  // A login with `token`; the cookie's value on success.
  std::string login(std::string_view token) {
    const std::string body = fmt::format("token={}", token);
    const Response r = web("POST", "/ui/login", std::nullopt, body, "application/x-www-form-urlencoded");
    EXPECT_EQ(r.status, 303) << r.body;
    const std::string prefix = "Set-Cookie: ringboot_session=";
    const auto at = r.headers.find(prefix);
    if (at == std::string::npos) return {};
    return r.headers.substr(at + prefix.size(), 64);
  }
};

TEST_F(Session, LoginTradesATokenForAReadOnlyCookie) {
  const Response r = web("POST", "/ui/login", std::nullopt, "token=readreadreadread0123456789&go=Log+in",
                         "application/x-www-form-urlencoded; charset=UTF-8");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.endpoint, Endpoint::session);
  EXPECT_NE(r.headers.find("Location: /ui/\r\n"), std::string::npos) << r.headers;
  const std::string cookie =
      "Set-Cookie: ringboot_session=0101010101010101010101010101010101010101010101010101010101010101"
      "; HttpOnly; SameSite=Strict; Path=/; Max-Age=600\r\n";
  EXPECT_NE(r.headers.find(cookie), std::string::npos) << r.headers;
  EXPECT_EQ(r.log, "read:read...") << "who logged in, for the server's log";
  EXPECT_EQ(r.body.find("readread"), std::string::npos) << "the token is never answered";
}

TEST_F(Session, ABadLoginIsRefusedWithAReason) {
  Response r =
      web("POST", "/ui/login", std::nullopt, "token=wrongwrongwrongwrong", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "unknown token");
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(error_of(web("POST", "/ui/login", std::nullopt, "user=x", "application/x-www-form-urlencoded")),
            "the form needs a field named token");
  EXPECT_EQ(web("POST", "/ui/login", std::nullopt, "token=%zz", "application/x-www-form-urlencoded").status, 400);
  EXPECT_EQ(web("POST", "/ui/login", std::nullopt, "{\"token\": \"x\"}", "application/json").status, 415);
  r = web("GET", "/ui/login", std::nullopt);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
  EXPECT_EQ(sessions.table.size(), 0u);
}

TEST_F(Session, TheCookieReadsButNeverWrites) {
  const std::string id = login("adminadminadmin0123456789");  // even an admin token's session is read only
  const std::string cookie = "theme=dark; ringboot_session=" + id;
  EXPECT_EQ(web("GET", "/api/v1/machines", cookie).status, 200);
  EXPECT_EQ(web("GET", "/api/v1/profiles", cookie).status, 200);
  const Response stream = web("GET", "/api/v1/events", cookie);
  EXPECT_EQ(stream.status, 200);
  EXPECT_TRUE(stream.stream.has_value());
  const Response put = web("PUT", "/api/v1/machines/52:54:00:00:00:99/next-boot", cookie, R"({"profile": "rescue"})");
  EXPECT_EQ(put.status, 403);
  EXPECT_EQ(error_of(put), "a session cookie grants read only: changes need Authorization: Bearer with an admin token");
  EXPECT_EQ(web("POST", "/api/v1/machines/52:54:00:00:00:99/reset", cookie).status, 403);
  EXPECT_EQ(fleet.changes, 0);
  // A bearer token wins over the cookie.
  EXPECT_EQ(web("POST", "/api/v1/machines/52:54:00:00:00:99/reset", cookie, {}, std::nullopt, kNow, kAdmin).status,
            200);
}

TEST_F(Session, AnExpiredEvictedOrEndedSessionIs401) {
  const std::string a = login("readreadreadread0123456789");
  EXPECT_EQ(web("GET", "/api/v1/machines", "ringboot_session=" + a, {}, std::nullopt, kNow + 599).status, 200);
  Response r = web("GET", "/api/v1/machines", "ringboot_session=" + a, {}, std::nullopt, kNow + 600);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "the session is unknown or expired: log in again (POST /ui/login)");
  EXPECT_EQ(web("GET", "/api/v1/machines", "ringboot_session=" + std::string(64, 'f')).status, 401);
  EXPECT_EQ(web("GET", "/api/v1/machines", "other=1").status, 401);
  // Two sessions at most: a third evicts the first.
  const std::string b = login("readreadreadread0123456789");
  const std::string c = login("readreadreadread0123456789");
  const std::string d = login("readreadreadread0123456789");
  EXPECT_EQ(web("GET", "/api/v1/machines", "ringboot_session=" + b).status, 401);
  EXPECT_EQ(web("GET", "/api/v1/machines", "ringboot_session=" + c).status, 200);
  // Logout ends it and clears the cookie.
  r = web("POST", "/ui/logout", "ringboot_session=" + c);
  EXPECT_EQ(r.status, 303);
  EXPECT_NE(r.headers.find("Set-Cookie: ringboot_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0\r\n"),
            std::string::npos)
      << r.headers;
  EXPECT_EQ(web("GET", "/api/v1/machines", "ringboot_session=" + c).status, 401);
  EXPECT_EQ(web("GET", "/api/v1/machines", "ringboot_session=" + d).status, 200);
  EXPECT_EQ(web("POST", "/ui/logout", std::nullopt).status, 303) << "logging out twice is no error";
}

TEST_F(Api, TheEventStreamIsARouteOfTheReadRole) {
  Response r = call("GET", "/api/v1/events?stage=done&rollout=wave1", {}, kRead);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.endpoint, Endpoint::stream);
  EXPECT_EQ(r.content_type, "text/event-stream");
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.stream->filter.stage, fleet::Stage::done);
  EXPECT_EQ(r.stream->filter.rollout, "wave1");
  EXPECT_FALSE(r.stream->resume_after);
  r = call("GET", "/api/v1/events?stage=bogus", {}, kRead);
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(call("GET", "/api/v1/events", {}, std::nullopt).status, 401);
  r = call("POST", "/api/v1/events", {}, kAdmin);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET");
  Request resume{"GET", "/api/v1/events", "/api/v1/events", kRead, {}, std::nullopt, std::nullopt, "41"};
  r = handle(fleet, table, resume, kNow);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.stream->resume_after, 41u);
}

TEST_F(Api, TheListSaysWhichSequenceItIsAsOf) {
  fleet.engine.configure_feed(16, 500);
  EXPECT_EQ(json_of(call("GET", "/api/v1/machines")).value("sequence", 0u), 500u);
  ASSERT_EQ(call("POST", "/api/v1/machines/52:54:00:00:00:99/reset").status, 200);
  EXPECT_EQ(json_of(call("GET", "/api/v1/machines")).value("sequence", 0u), 501u);
}

// ip is the IPv4 address as before; ip6 the IPv6 one, in RFC 5952 form.
TEST_F(Api, AMachineShowsAnAddressOfEachFamily) {
  fleet::DhcpSighting s;
  s.mac = *Mac::parse("52:54:00:00:00:07");
  s.ip = Ipv4::parse("10.0.0.7");
  fleet.engine.observe_dhcp(s, kNow * 1000);
  s.ip = IpAddress(*Ipv6::parse("2001:0db8:0:0::7"));
  fleet.engine.observe_dhcp(s, kNow * 1000);
  const json m = json_of(call("GET", "/api/v1/machines/52:54:00:00:00:07"));
  EXPECT_EQ(m["ip"], "10.0.0.7");
  EXPECT_EQ(m["ip6"], "2001:db8::7");
  const json none = json_of(call("GET", "/api/v1/machines/52:54:00:00:00:99"));
  EXPECT_TRUE(none["ip6"].is_null()) << none.dump();
}

TEST(WatchTable, FixedColumnsAndTimeInStage) {
  const json m = json::parse(R"({"mac": "52:54:00:00:00:01", "hostname": "node1", "ip": "10.0.0.5",
      "buildarch": "x86_64", "platform": "efi", "stage": "installing", "stage_since": "2024-01-01T00:00:00Z",
      "last_event": {"time": "2024-01-01T00:01:00Z", "step": "handoff", "detail": "http path=\"/initrd\"\u001b"}})");
  const std::int64_t now = *parse_rfc3339("2024-01-01T00:03:05Z");
  EXPECT_EQ(now - 185, *parse_rfc3339("2024-01-01T00:00:00Z"));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-01-01 00:00:00Z"), std::nullopt);
  EXPECT_EQ(
      watch_header(),
      "MAC                HOSTNAME          IP               ARCH          STAGE          IN-STAGE  LAST EVENT\n");
  EXPECT_EQ(watch_row(m, now),
            "52:54:00:00:00:01  node1             10.0.0.5         x86_64/efi    installing        3m05s  handoff "
            "http path=\"/initrd\"?\n");
  EXPECT_EQ(watch_row(json::parse(R"({"mac": "52:54:00:00:00:02", "stage": "discovered"})"), now),
            "52:54:00:00:00:02  -                 -                -             discovered            -  -\n");
  EXPECT_EQ(short_duration(0), "0s");
  EXPECT_EQ(short_duration(7322), "2h02m");
  EXPECT_EQ(short_duration(90000), "1d01h");
  EXPECT_EQ(short_duration(-1), "-");
}

TEST(ApiTable, RolloutsAsATable) {
  const json list = json::parse(R"({"count": 1, "rollouts": [
      {"name": "r1", "machines": 4, "stages": {"discovered": 1, "firmware_dhcp": 0, "loader": 0, "script": 1,
       "kernel": 1, "initrd": 0, "installing": 0, "done": 1, "local": 0, "failed": 0},
       "done": 1, "failed": 0, "stuck": 1, "started": "2024-01-01T00:00:00Z",
       "time_to_done_p50_s": 120.0, "time_to_done_p99_s": null}]})");
  EXPECT_EQ(rollouts_table(list),
            "NAME  MACHINES  BOOTING  DONE  FAILED  STUCK  P50 S  P99 S  STARTED\n"
            "r1    4         2        1     0       1      120.0  -      2024-01-01T00:00:00Z\n");
  json one = list["rollouts"][0];
  one["stuck_machines"] = json::parse(R"([{"mac": "52:54:00:00:00:03", "hostname": "n\u001b3", "stage": "kernel"}])");
  one["failed_machines"] = json::array();
  const std::string details = rollout_details(one);
  EXPECT_NE(details.find("stages: discovered=1 firmware_dhcp=0"), std::string::npos) << details;
  EXPECT_NE(details.find("stuck:\n  52:54:00:00:00:03  n?3  kernel\n"), std::string::npos) << details;
  EXPECT_EQ(details.find("failed:"), std::string::npos) << details;
}

}  // namespace
}  // namespace ringboot::api
