#include "api/events.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "api/views.h"
#include "http/query.h"
#include "http/request.h"

namespace ringboot::api {

std::optional<EventFilter> event_filter_of(std::string_view target, std::string* error) {
  EventFilter filter;
  const auto pairs = http::query_pairs(target);
  if (!pairs) {
    *error = "malformed escape in the query";
    return std::nullopt;
  }
  for (const auto& [name, value] : *pairs) {
    if (name == "stage") {
      if (!(filter.stage = fleet::parse_stage(value))) {
        *error = fmt::format(
            "unknown stage \"{}\" (discovered, firmware_dhcp, loader, script, kernel, initrd, installing, done, local, "
            "failed)",
            std::string_view(value).substr(0, 64));
        return std::nullopt;
      }
    } else if (name == "rollout") {
      filter.rollout = value;
    } else {
      *error = fmt::format("unknown query parameter \"{}\" (stage, rollout)", std::string_view(name).substr(0, 64));
      return std::nullopt;
    }
  }
  return filter;
}

std::vector<ChangedView> changed_since(const fleet::Fleet& fleet, std::uint64_t after) {
  std::vector<fleet::FeedEntry> entries;
  fleet.feed().since(after, entries);
  // The latest change of each machine only: a view is its state now.
  std::unordered_map<std::uint64_t, std::size_t> latest;  // MAC key -> index in entries
  for (std::size_t i = 0; i < entries.size(); ++i) latest[entries[i].mac.key()] = i;
  std::vector<ChangedView> views;
  views.reserve(latest.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const fleet::FeedEntry& e = entries[i];
    if (latest[e.mac.key()] != i) continue;
    ChangedView v;
    v.sequence = e.sequence;
    v.mac = e.mac.to_string();
    if (const fleet::Machine* m = fleet.machine(e.mac)) {
      v.stage = m->timeline.stage();
      v.rollout = m->rollout;
      v.json = dump(machine_view(fleet, *m, Detail::summary));
    } else {
      v.present = false;
      v.json = dump(Json{{"mac", v.mac}});
    }
    views.push_back(std::move(v));
  }
  return views;
}

bool matches(const EventFilter& filter, const ChangedView& view) {
  if (!view.present) return true;  // a forgotten machine leaves every view
  if (filter.stage && view.stage != *filter.stage) return false;
  if (filter.rollout && view.rollout != *filter.rollout) return false;
  return true;
}

std::string sse_event(std::string_view event, std::optional<std::uint64_t> id, std::string_view data) {
  std::string out = fmt::format("event: {}\n", event);
  if (id) out += fmt::format("id: {}\n", *id);
  while (true) {
    const std::size_t nl = data.find_first_of("\r\n");
    out += "data: ";
    out += data.substr(0, nl);
    out += '\n';
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + (data.substr(nl, 2) == "\r\n" ? 2 : 1));
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (const char c : text) out += c == '\n' || c == '\r' ? ' ' : c;
  out += "\n\n";
  return out;
}

std::string hello_event(std::size_t machines, std::uint64_t last) {
  return sse_event("hello", last, dump(Json{{"machines", machines}}));
}

std::string reset_event(std::uint64_t last) {
  return sse_event("reset", last,
                   dump(Json{{"reason", "changes since Last-Event-ID are no longer held: reload the machines"}}));
}

Rendered render_for(const std::vector<ChangedView>& views, const EventFilter& filter, std::uint64_t after,
                    std::size_t room, std::string& out) {
  Rendered r{after, 0, true};
  for (const ChangedView& v : views) {
    if (v.sequence <= r.after) continue;
    if (!matches(filter, v)) {
      r.after = v.sequence;
      continue;
    }
    std::string text = sse_event(v.present ? "machine" : "forget", v.sequence, v.json);
    if (out.size() + text.size() > room) {
      r.complete = false;
      break;
    }
    out += text;
    r.after = v.sequence;
    ++r.events;
  }
  return r;
}

std::uint64_t parse_last_event_id(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value == kNotOurs) return kNotOurs;
  return value;
}

}  // namespace ringboot::api
