// The /ui/ page's routes (api/ui.h): each embedded file with its type and
// headers, the redirect, 304 on its ETag, 404 and 405; and the fields of a
// machine's summary view the page reads (last_event, stuck_at).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "api/service.h"
#include "api/ui.h"
#include "api/views.h"
#include "ui/assets.h"

namespace ringboot::api {
namespace {

Response get(std::string_view path, std::optional<std::string_view> if_none_match = std::nullopt,
             std::string_view method = "GET") {
  const Request r{method, path, path, std::nullopt, {}};
  return ui(r, if_none_match);
}

// The value of header `name` in the raw header lines, "" when absent.
std::string header(const Response& r, std::string_view name) {
  const std::string key = std::string(name) + ": ";
  const std::size_t at = r.headers.find(key);
  if (at == std::string::npos) return {};
  const std::size_t end = r.headers.find("\r\n", at);
  return r.headers.substr(at + key.size(), end - at - key.size());
}

std::string_view asset_bytes(std::string_view name) {
  for (const ui::Asset& a : ui::assets())
    if (a.name == name) return a.bytes;
  ADD_FAILURE() << "no embedded " << name;
  return {};
}

TEST(Ui, ServesEachEmbeddedFileWithItsTypeAndHeaders) {
  struct Want {
    std::string_view path, name, type;
  };
  for (const Want& w : {Want{"/ui/", "index.html", "text/html; charset=utf-8"},
                        Want{"/ui/app.js", "app.js", "text/javascript; charset=utf-8"},
                        Want{"/ui/style.css", "style.css", "text/css; charset=utf-8"}}) {
    SCOPED_TRACE(w.path);
    const Response r = get(w.path);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, w.type);
    EXPECT_EQ(r.endpoint, Endpoint::ui);
    EXPECT_EQ(r.body, asset_bytes(w.name));
    EXPECT_FALSE(r.body.empty());
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(header(r, "Content-Security-Policy"), "default-src 'self'");
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
    const std::string etag = header(r, "ETag");
    EXPECT_EQ(etag.size(), 18u) << etag;
    EXPECT_EQ(etag.front(), '"');
    EXPECT_EQ(etag.back(), '"');
  }
  EXPECT_NE(header(get("/ui/app.js"), "ETag"), header(get("/ui/style.css"), "ETag")) << "an ETag per content";
  EXPECT_EQ(get("/ui/index.html").body, get("/ui/").body);
}

TEST(Ui, ThePageHasNoInlineScriptAndPostsTheTokenInAForm) {
  const std::string html(asset_bytes("index.html"));
  // One <script>, with a src: CSP default-src 'self' would refuse an inline one.
  std::size_t scripts = 0;
  for (std::size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 1u);
  EXPECT_NE(html.find("<script src=\"app.js\""), std::string::npos);
  EXPECT_EQ(html.find(" onclick="), std::string::npos);
  EXPECT_EQ(html.find("style=\""), std::string::npos) << "inline styles are refused by the CSP too";
  EXPECT_NE(html.find("method=\"post\" action=\"/ui/login\""), std::string::npos);
  EXPECT_NE(html.find("name=\"token\" type=\"password\""), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos) << "no external URL";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "no external URL";
  const std::string js(asset_bytes("app.js"));
  EXPECT_EQ(js.find("innerHTML"), std::string::npos) << "API strings reach the DOM as text only";
  EXPECT_NE(js.find("new EventSource(\"/api/v1/events\")"), std::string::npos);
}

TEST(Ui, RevalidatesByETag) {
  const Response first = get("/ui/app.js");
  const std::string etag = header(first, "ETag");
  const Response again = get("/ui/app.js", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body.size(), first.body.size()) << "kept for the 304's Content-Length, not sent";
  EXPECT_EQ(header(again, "ETag"), etag);
  EXPECT_EQ(get("/ui/app.js", "W/" + etag).status, 304) << "If-None-Match compares weakly";
  EXPECT_EQ(get("/ui/app.js", "\"other\", " + etag).status, 304);
  EXPECT_EQ(get("/ui/app.js", std::string_view("\"0000000000000000\"")).status, 200);
  EXPECT_EQ(get("/ui/style.css", etag).status, 200) << "another file's tag";
}

TEST(Ui, RedirectsNotFoundAndWrongMethods) {
  Response r = get("/ui");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r, "Location"), "/ui/");
  for (std::string_view path : {"/ui/nope.js", "/ui/app.js/", "/ui/../api/v1/machines", "/ui/APP.JS", "/ui//app.js"}) {
    r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
    const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_TRUE(j.contains("error")) << r.body;
  }
  r = get("/ui/", std::nullopt, "POST");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, HEAD");
  EXPECT_EQ(get("/ui/app.js", std::nullopt, "HEAD").status, 200) << "HEAD: the server sends the head only";
}

TEST(Ui, OwnsItsPathsButTheLogin) {
  EXPECT_TRUE(is_ui("/ui"));
  EXPECT_TRUE(is_ui("/ui/"));
  EXPECT_TRUE(is_ui("/ui/app.js"));
  EXPECT_TRUE(is_ui("/ui/anything/else"));
  EXPECT_FALSE(is_ui(kUiLoginPath)) << "POST /ui/login is the session's, in handle()";
  EXPECT_FALSE(is_ui("/uix"));
  EXPECT_FALSE(is_ui("/api/v1/machines"));
  EXPECT_EQ(endpoint_of("/ui/app.js"), Endpoint::ui);
  EXPECT_EQ(to_string(Endpoint::ui), "ui");
}

// The summary view's last step and stuck_at, which the page's table shows.
TEST(UiViews, SummaryHasTheLastStepAndWhenItIsStuck) {
  fleet::FleetConfig c;
  fleet::Profile debian;
  debian.name = "debian12";
  debian.kernel = "{{http_base}}/debian12/linux";
  c.profiles = {debian};
  fleet::Group rack;
  rack.name = "rack1";
  rack.match.mac = MacPattern::parse("52:54:00");
  rack.profile = "debian12";
  c.groups = {rack};
  c.settings.stuck_after_seconds = 600;
  fleet::Fleet f(std::move(c));
  const Mac mac = *Mac::parse("52:54:00:12:34:56");
  fleet::BootFacts facts;
  facts.mac = mac;
  facts.buildarch = "x86_64";
  facts.platform = "efi";
  facts.http_base = "http://10.0.0.1";
  constexpr std::int64_t kNow = 1700000000;
  const fleet::Token random{};
  f.boot(facts, kNow, random, kNow * 1000);
  const fleet::Machine* m = f.machine(mac);
  ASSERT_NE(m, nullptr);
  Json v = machine_view(f, *m, Detail::summary);
  EXPECT_EQ(v["stage"], "script");
  ASSERT_TRUE(v["last_event"].is_object()) << v.dump();
  EXPECT_EQ(v["last_event"]["step"], "script");
  EXPECT_EQ(v["last_event"]["time"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(v["last_event"]["detail"].get<std::string>().empty());
  EXPECT_EQ(v["stuck_at"], "2023-11-14T22:23:20Z") << "600 s after its last step";
  // A machine at rest (discovered) has neither.
  fleet::Fleet quiet(fleet::FleetConfig{});
  fleet::Machine idle;
  idle.mac = mac;
  ASSERT_TRUE(quiet.restore(idle));
  v = machine_view(quiet, *quiet.machine(mac), Detail::summary);
  EXPECT_TRUE(v["last_event"].is_null());
  EXPECT_TRUE(v["stuck_at"].is_null()) << "discovered is not a boot in progress";
}

}  // namespace
}  // namespace ringboot::api
