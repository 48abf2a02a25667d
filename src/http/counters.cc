#include "http/counters.h"

namespace ringboot::http {

const MetricTable<HttpCounters>& metric_table() {
  using C = HttpCounters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter("ringboot_http_requests_total", "HTTP requests by method.", "method",
                   {{"get", &C::requests_get}, {"head", &C::requests_head}, {"other", &C::requests_other}})
          .counter("ringboot_http_responses_total", "HTTP responses by status class.", "class",
                   {{"2xx", &C::status_2xx}, {"3xx", &C::status_3xx}, {"4xx", &C::status_4xx}, {"5xx", &C::status_5xx}})
          .counter("ringboot_http_sent_bytes_total", "Response bytes sent, head and body.", &C::bytes)
          .counter("ringboot_http_rejected_connections_total", "Connections refused at connections_max.",
                   &C::rejected_connections)
          .counter("ringboot_http_malformed_requests_total", "Request heads refused by the parser.", &C::malformed)
          .counter("ringboot_http_timeouts_total", "Connections closed by a header, idle or send-stall deadline.",
                   &C::timeouts)
          .counter("ringboot_http_lingering_closes_total",
                   "Closes that first drained a client still sending, so it reads the error response.",
                   &C::lingering_closes)
          .counter("ringboot_http_turn_deferrals_total",
                   "Writable connections that waited for the next loop turn: the turn had sent [http] turn_bytes.",
                   &C::turn_deferrals)
          .gauge("ringboot_http_connections_active", "Open HTTP connections.", &C::connections_active)
          .histogram("ringboot_http_response_seconds", "Time from request head to last byte sent.",
                     &C::response_seconds);
  return table;
}

}  // namespace ringboot::http
