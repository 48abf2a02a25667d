// The event stream's pure pieces: the filter of the query, the SSE text,
// the views of the machines changed since a sequence (each once), and what
// one subscriber gets within its room.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/events.h"

namespace ringboot::api {
namespace {

TEST(EventFilter, StageAndRollout) {
  std::string why;
  auto f = event_filter_of("/api/v1/events", &why);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->stage);
  EXPECT_FALSE(f->rollout);
  f = event_filter_of("/api/v1/events?stage=installing&rollout=wave%201", &why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->stage, fleet::Stage::installing);
  EXPECT_EQ(f->rollout, "wave 1");
  f = event_filter_of("/api/v1/events?rollout=a+b&", &why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->rollout, "a b");
}

TEST(EventFilter, RefusesWhatItDoesNotKnow) {
  std::string why;
  EXPECT_FALSE(event_filter_of("/api/v1/events?stage=booting", &why));
  EXPECT_NE(why.find("unknown stage \"booting\""), std::string::npos) << why;
  EXPECT_FALSE(event_filter_of("/api/v1/events?state=done", &why));
  EXPECT_NE(why.find("unknown query parameter \"state\""), std::string::npos) << why;
  EXPECT_FALSE(event_filter_of("/api/v1/events?rollout=%zz", &why));
  EXPECT_EQ(why, "malformed escape in the query");
}

TEST(Sse, EventsAndComments) {
  EXPECT_EQ(sse_event("machine", 7, "{\"mac\":\"x\"}"), "event: machine\nid: 7\ndata: {\"mac\":\"x\"}\n\n");
  EXPECT_EQ(sse_event("hello", std::nullopt, "{}"), "event: hello\ndata: {}\n\n");
  // Line breaks in data would end the field: each line is its own data line.
  EXPECT_EQ(sse_event("x", std::nullopt, "a\nb\r\nc"), "event: x\ndata: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(sse_comment("keepalive"), ": keepalive\n\n");
  EXPECT_EQ(sse_comment("a\nb"), ": a b\n\n");
  EXPECT_EQ(hello_event(3, 42), "event: hello\nid: 42\ndata: {\"machines\":3}\n\n");
  EXPECT_EQ(reset_event(9).substr(0, 22), "event: reset\nid: 9\ndat");
}

TEST(Sse, LastEventId) {
  EXPECT_EQ(parse_last_event_id("12"), 12u);
  EXPECT_EQ(parse_last_event_id(" 12 "), 12u);
  EXPECT_EQ(parse_last_event_id(""), kNotOurs);
  EXPECT_EQ(parse_last_event_id("12a"), kNotOurs);
  EXPECT_EQ(parse_last_event_id("-1"), kNotOurs);
  EXPECT_EQ(parse_last_event_id("99999999999999999999999"), kNotOurs);
}

fleet::FleetConfig config() {
  fleet::FleetConfig c;
  fleet::Profile p;
  p.name = "debian";
  p.kernel = "{{http_base}}/debian/linux";
  p.cmdline = "ringboot.done={{done_url}}";
  c.profiles = {p};
  return c;
}

Mac mac(std::string_view text) { return *Mac::parse_any(text); }

TEST(ChangedSince, EachMachineOnceAtItsLatestChangeInThatOrder) {
  fleet::Fleet f(config());
  f.configure_feed(64, 100);
  ASSERT_EQ(f.set_next_boot(mac("52:54:00:00:00:01"), {"debian", true}, 0), fleet::ChangeResult::ok);         // 101
  ASSERT_EQ(f.set_next_boot(mac("52:54:00:00:00:02"), {"debian", true}, 0), fleet::ChangeResult::ok);         // 102
  ASSERT_EQ(f.declare(mac("52:54:00:00:00:01"), std::string("one"), std::nullopt), fleet::ChangeResult::ok);  // 103
  ASSERT_EQ(f.set_next_boot(mac("52:54:00:00:00:03"), {"debian", true}, 0), fleet::ChangeResult::ok);         // 104
  ASSERT_EQ(f.forget(mac("52:54:00:00:00:03")), fleet::ChangeResult::ok);                                     // 105
  const std::vector<ChangedView> views = changed_since(f, 100);
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0].mac, "52:54:00:00:00:02");
  EXPECT_EQ(views[0].sequence, 102u);
  EXPECT_EQ(views[1].mac, "52:54:00:00:00:01");
  EXPECT_EQ(views[1].sequence, 103u);
  const nlohmann::json one = nlohmann::json::parse(views[1].json);
  EXPECT_EQ(one["hostname"], "one") << "the view is the machine as it is now";
  EXPECT_EQ(one["stage"], "discovered");
  EXPECT_TRUE(one.contains("stage_since"));
  EXPECT_TRUE(one.contains("last_event"));
  EXPECT_EQ(views[1].json.find('\n'), std::string::npos) << "one line";
  EXPECT_FALSE(views[2].present);
  EXPECT_EQ(views[2].json, "{\"mac\":\"52:54:00:00:00:03\"}");
  EXPECT_EQ(changed_since(f, 103).size(), 1u);
}

ChangedView view(std::uint64_t seq, std::string_view m, fleet::Stage stage, std::string rollout = {}) {
  ChangedView v;
  v.sequence = seq;
  v.mac = std::string(m);
  v.stage = stage;
  v.rollout = std::move(rollout);
  v.json = "{\"mac\":\"" + v.mac + "\"}";
  return v;
}

TEST(RenderFor, FiltersAndSkipsWhatTheSubscriberHad) {
  const std::vector<ChangedView> views = {view(5, "a", fleet::Stage::script, "r1"),
                                          view(6, "b", fleet::Stage::done, "r1"),
                                          view(7, "c", fleet::Stage::done, "r2")};
  std::string out;
  Rendered r = render_for(views, EventFilter{}, 5, 1 << 20, out);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.after, 7u);
  EXPECT_EQ(out, "event: machine\nid: 6\ndata: {\"mac\":\"b\"}\n\nevent: machine\nid: 7\ndata: {\"mac\":\"c\"}\n\n");
  out.clear();
  r = render_for(views, EventFilter{fleet::Stage::done, std::string("r1")}, 0, 1 << 20, out);
  EXPECT_EQ(r.events, 1u);
  EXPECT_EQ(r.after, 7u) << "past the views filtered out too";
  EXPECT_NE(out.find("id: 6"), std::string::npos);
  EXPECT_EQ(out.find("id: 7"), std::string::npos);
  // A forgotten machine leaves every filtered view.
  ChangedView gone = view(8, "d", fleet::Stage::discovered);
  gone.present = false;
  out.clear();
  r = render_for({gone}, EventFilter{fleet::Stage::done, std::nullopt}, 7, 1 << 20, out);
  EXPECT_EQ(out, "event: forget\nid: 8\ndata: {\"mac\":\"d\"}\n\n");
}

TEST(RenderFor, StopsAtTheRoomAndSaysWhereItGot) {
  const std::vector<ChangedView> views = {view(1, "a", fleet::Stage::done), view(2, "b", fleet::Stage::done),
                                          view(3, "c", fleet::Stage::done)};
  const std::size_t one = sse_event("machine", 1, views[0].json).size();
  std::string out;
  Rendered r = render_for(views, EventFilter{}, 0, 2 * one, out);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.after, 2u);
  EXPECT_EQ(out.size(), 2 * one);
  out.clear();
  r = render_for(views, EventFilter{}, r.after, 2 * one, out);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.events, 1u);
  EXPECT_EQ(r.after, 3u);
  out.clear();
  r = render_for(views, EventFilter{}, 0, one - 1, out);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.events, 0u);
  EXPECT_EQ(r.after, 0u);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace ringboot::api
