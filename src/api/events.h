// GET /api/v1/events: the live stream of machine changes as Server-Sent
// Events. Pure pieces: the filter of the query, the views of the machines
// changed since a sequence (rendered once under the engine's lock, shared
// by every subscriber of a worker), and the SSE text of each event. The
// connections, their bounds and the timer are src/app's (HttpService).
//
//   event: hello    data: {"machines": N}          first, on every connect
//   event: machine  id: SEQ  data: <summary view>  a machine changed
//   event: forget   id: SEQ  data: {"mac": M}      a machine was forgotten
//   event: reset    id: SEQ  data: {"reason": R}   Last-Event-ID is no longer
//                                                  held: reload the list
//   : keepalive                                    a comment, when idle
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/engine.h"

namespace ringboot::api {

// ?stage=S&rollout=R: both optional, both must hold.
struct EventFilter {
  std::optional<fleet::Stage> stage;
  std::optional<std::string> rollout;
};
// The filter of a request-target; nullopt with the reason in *error for an
// unknown parameter, an unknown stage or a malformed escape.
std::optional<EventFilter> event_filter_of(std::string_view target, std::string* error);

// One machine changed, as rendered under the engine's lock.
struct ChangedView {
  std::uint64_t sequence = 0;  // its latest change
  std::string mac;
  bool present = true;  // false: forgotten
  fleet::Stage stage = fleet::Stage::discovered;
  std::string rollout;
  std::string json;  // the summary view, one line (as one element of GET /api/v1/machines)
};
// Each machine changed after `after`, once, at its latest change, in the
// order of those changes. Call it under the engine's lock, with
// feed().holds(after).
std::vector<ChangedView> changed_since(const fleet::Fleet& fleet, std::uint64_t after);

bool matches(const EventFilter& filter, const ChangedView& view);

// "event: E\nid: N\ndata: D\n\n"; a `data` with line breaks becomes one
// data line each (the views are one line: this is for safety).
std::string sse_event(std::string_view event, std::optional<std::uint64_t> id, std::string_view data);
std::string sse_comment(std::string_view text);
std::string hello_event(std::size_t machines, std::uint64_t last);
std::string reset_event(std::uint64_t last);

// The events of `views` a subscriber at `after` with `filter` has not had,
// appended to `out` while `out` stays within `room` bytes. `after` is
// where the subscriber is then: past every view when `complete`, else
// past the last one that fit (the rest waits for room).
struct Rendered {
  std::uint64_t after = 0;
  std::size_t events = 0;
  bool complete = true;
};
Rendered render_for(const std::vector<ChangedView>& views, const EventFilter& filter, std::uint64_t after,
                    std::size_t room, std::string& out);

// A Last-Event-ID header: its number; a value that is not one is kNotOurs
// (never held: the subscriber gets a reset).
inline constexpr std::uint64_t kNotOurs = ~std::uint64_t{0};
std::uint64_t parse_last_event_id(std::string_view text);

}  // namespace ringboot::api
