#include "api/counters.h"

namespace ringboot::api {

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::machines:
      return "machines";
    case Endpoint::machine:
      return "machine";
    case Endpoint::next_boot:
      return "next_boot";
    case Endpoint::reset:
      return "reset";
    case Endpoint::bulk:
      return "bulk_next_boot";
    case Endpoint::profiles:
      return "profiles";
    case Endpoint::done:
      return "done";
    case Endpoint::events:
      return "events";
    case Endpoint::stream:
      return "event_stream";
    case Endpoint::session:
      return "session";
    case Endpoint::rollouts:
      return "rollouts";
    case Endpoint::ui:
      return "ui";
    case Endpoint::other:
      return "other";
  }
  return "other";
}

std::string_view to_string(StatusClass c) {
  switch (c) {
    case StatusClass::c2xx:
      return "2xx";
    case StatusClass::c4xx:
      return "4xx";
    case StatusClass::c5xx:
      return "5xx";
  }
  return "5xx";
}

const MetricTable<ApiCounters>& metric_table() {
  using C = ApiCounters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter<Endpoint, StatusClass>(
              "ringboot_api_responses_total",
              "Admin API and installer callback responses, by endpoint family and status class.", "endpoint", "class",
              &C::responses)
          .gauge("ringboot_api_subscribers", "Open event streams (GET /api/v1/events), over every worker.",
                 &C::subscribers)
          .counter("ringboot_api_subscribers_dropped_total",
                   "Event stream subscribers dropped: their unsent output passed [api] "
                   "subscriber_buffer_bytes, or a send stalled.",
                   &C::subscribers_dropped)
          .counter("ringboot_api_events_sent_total",
                   "Events (machine, forget, reset) queued to event stream subscribers.", &C::events_sent);
  return table;
}

}  // namespace ringboot::api
