#include "api/views.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "http/date.h"

namespace ringboot::api {

namespace {

Json time_or_null(std::int64_t unix) { return unix == 0 ? Json() : Json(http::format_rfc3339(unix)); }

Json text_or_null(const std::string& s) { return s.empty() ? Json() : Json(s); }

}  // namespace

Assignment assignment_of(const fleet::Fleet& fleet, const fleet::Machine& m) {
  Assignment a;
  if (const std::optional<fleet::NextBoot>& next = m.explicit_next()) {
    a.profile = next->profile;
    a.once = next->once;
    a.source = m.next ? "api" : "config";
  } else if (const fleet::Group* g = fleet.group_of(m)) {
    a.profile = g->profile;
    a.once = g->once;
    a.source = "group";
  }
  return a;
}

Json machine_view(const fleet::Fleet& fleet, const fleet::Machine& m, Detail detail) {
  const Assignment a = assignment_of(fleet, m);
  Json j;
  j["mac"] = m.mac.to_string();
  j["hostname"] = text_or_null(m.hostname);
  j["labels"] = m.labels;
  j["profile"] = a.profile;
  j["once"] = a.once;
  j["profile_source"] = a.source;
  if (const fleet::Group* g = fleet.group_of(m)) {
    j["group"] = Json{{"name", g->name}, {"profile", g->profile}, {"once", g->once}};
  } else {
    j["group"] = nullptr;
  }
  j["state"] = fleet::to_string(m.state);
  j["install_attempts"] = m.install_attempts;
  j["install_attempts_max"] = fleet.config().settings.install_attempts_max;
  j["install_profile"] = text_or_null(m.install_profile);
  j["install_started"] = time_or_null(m.install_started_unix);
  j["done_at"] = time_or_null(m.done_unix);
  j["declared"] = m.declared;
  j["uuid"] = text_or_null(m.uuid);
  j["buildarch"] = text_or_null(m.buildarch);
  j["platform"] = text_or_null(m.platform);
  j["ip"] = m.ip ? Json(m.ip->to_string()) : Json();
  j["ip6"] = m.ip6 ? Json(m.ip6->to_string()) : Json();
  Json dhcp;
  dhcp["arch"] = m.dhcp.arch ? Json(*m.dhcp.arch) : Json();
  dhcp["relay"] = m.dhcp.relay ? Json(m.dhcp.relay->to_string()) : Json();
  dhcp["hostname"] = text_or_null(m.dhcp.dhcp_hostname);
  j["dhcp"] = std::move(dhcp);
  j["rollout"] = text_or_null(m.rollout);
  j["rollout_joined"] = m.rollout.empty() ? Json() : time_or_null(m.rollout_joined_unix);
  j["first_seen"] = time_or_null(m.first_seen_unix);
  j["last_seen"] = time_or_null(m.last_seen_unix);
  // Where it is in the boot chain (not stored: it starts again with a restart).
  j["stage"] = fleet::to_string(m.timeline.stage());
  j["stage_since"] = time_or_null(m.timeline.stage_since_ms() / 1000);
  // The latest step, and in a boot in progress the time from which it is
  // stuck if no step comes (Timeline::stuck): a page ticks it on its own clock.
  const fleet::Timeline& steps = m.timeline;
  j["last_event"] = steps.empty() ? Json()
                                  : Json{{"time", http::format_rfc3339(steps.back().unix_ms / 1000)},
                                         {"step", fleet::to_string(steps.back().step)},
                                         {"detail", steps.back().detail}};
  const std::int64_t quiet_since_ms = std::max(m.timeline.last_event_ms(), m.timeline.stage_since_ms());
  j["stuck_at"] = fleet::in_progress(m.timeline.stage()) && quiet_since_ms > 0
                      ? Json(http::format_rfc3339(quiet_since_ms / 1000 +
                                                  std::int64_t{fleet.config().settings.stuck_after_seconds}))
                      : Json();
  if (detail == Detail::full) {
    Json timeline = Json::array();
    m.timeline.for_each([&](const fleet::TimelineEvent& e) {
      timeline.push_back(Json{
          {"time", http::format_rfc3339(e.unix_ms / 1000)}, {"step", fleet::to_string(e.step)}, {"detail", e.detail}});
    });
    j["timeline"] = std::move(timeline);
    Json events = Json::array();
    for (const fleet::Event& e : m.events)
      events.push_back(Json{{"time", http::format_rfc3339(e.unix)}, {"message", e.message}});
    j["events"] = std::move(events);
  } else {
    j["events_count"] = m.events.size();
  }
  return j;
}

Json profile_view(const fleet::Profile& p) {
  Json j;
  j["name"] = p.name;
  if (!p.script.empty()) {
    j["kind"] = "script";
    j["script"] = p.script;
  } else {
    j["kind"] = "kernel";
    j["kernel"] = p.kernel;
    j["initrd"] = p.initrd;
    j["cmdline"] = p.cmdline;
  }
  return j;
}

Json rollout_view(const fleet::RolloutSummary& r, Detail detail) {
  Json j;
  j["name"] = r.name;
  j["machines"] = r.machines;
  Json stages = Json::object();
  for (std::size_t i = 0; i < fleet::kStageCount; ++i)
    stages[std::string(fleet::to_string(static_cast<fleet::Stage>(i)))] = r.stages[i];
  j["stages"] = std::move(stages);
  j["done"] = r.done;
  j["failed"] = r.failed;
  j["stuck"] = r.stuck;
  j["started"] = time_or_null(r.started_unix);
  const auto seconds = [](const std::optional<double>& s) { return s ? Json(*s) : Json(); };
  j["time_to_done_p50_s"] = seconds(r.time_to_done_p50_s);
  j["time_to_done_p99_s"] = seconds(r.time_to_done_p99_s);
  if (detail == Detail::full) {
    const auto machines = [](const std::vector<fleet::RolloutMachine>& list) {
      Json out = Json::array();
      for (const fleet::RolloutMachine& m : list)
        out.push_back(Json{
            {"mac", m.mac.to_string()}, {"hostname", text_or_null(m.hostname)}, {"stage", fleet::to_string(m.stage)}});
      return out;
    };
    j["failed_machines"] = machines(r.failed_machines);
    j["stuck_machines"] = machines(r.stuck_machines);
  }
  return j;
}

std::string audit_summary(const fleet::Fleet& fleet, const fleet::Machine* m) {
  if (m == nullptr) return "absent";
  const Assignment a = assignment_of(fleet, *m);
  std::string line =
      fmt::format("profile={} once={} source={} state={} install_attempts={} hostname={} labels={}", a.profile, a.once,
                  a.source, fleet::to_string(m->state), m->install_attempts, m->hostname, fmt::join(m->labels, ","));
  if (!m->rollout.empty()) line += " rollout=" + m->rollout;
  return line;
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string error_body(std::string_view reason) { return dump(Json{{"error", reason}}); }

}  // namespace ringboot::api
