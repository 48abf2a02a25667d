// Per-worker API metrics: responses by endpoint family and status class.
// Both labels are enums, so the series are bounded whatever clients send.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "base/metrics.h"

namespace ringboot::api {

// What a request asked for, by route (not by machine): the metrics label.
enum class Endpoint : std::uint8_t {
  machines,   // GET /api/v1/machines
  machine,    // GET, PUT, DELETE /api/v1/machines/{mac}
  next_boot,  // PUT /api/v1/machines/{mac}/next-boot
  reset,      // POST /api/v1/machines/{mac}/reset
  bulk,       // POST /api/v1/next-boot
  profiles,   // GET /api/v1/profiles
  done,       // POST /api/v1/machines/{mac}/done (the boot listener)
  events,     // POST /api/v1/machines/{mac}/events (the boot listener)
  stream,     // GET /api/v1/events (the live stream)
  session,    // POST /ui/login, /ui/logout
  rollouts,   // GET /api/v1/rollouts[/{name}]
  ui,         // GET /ui/ and the page's files
  other,      // no such route
};
inline constexpr std::size_t kEndpoints = static_cast<std::size_t>(Endpoint::other) + 1;
std::string_view to_string(Endpoint endpoint);

enum class StatusClass : std::uint8_t { c2xx, c4xx, c5xx };
inline constexpr std::size_t kStatusClasses = 3;
std::string_view to_string(StatusClass c);

struct ApiCounters {
  std::array<std::array<Counter, kStatusClasses>, kEndpoints> responses{};
  // The event stream (GET /api/v1/events): subscribers open on this worker,
  // those dropped (their unsent output past [api] subscriber_buffer_bytes,
  // or no send progress for [http] send_timeout_ms), and events queued to them.
  Gauge subscribers;
  Counter subscribers_dropped;
  Counter events_sent;
  void record(Endpoint endpoint, int status) {
    const StatusClass c = status >= 500 ? StatusClass::c5xx : status >= 400 ? StatusClass::c4xx : StatusClass::c2xx;
    responses[static_cast<std::size_t>(endpoint)][static_cast<std::size_t>(c)].inc();
  }
};

// The ringboot_api_* families.
const MetricTable<ApiCounters>& metric_table();

}  // namespace ringboot::api
