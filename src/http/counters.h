// Per-worker HTTP metrics; the scrape sums workers through metric_table().
#pragma once

#include "base/metrics.h"
#include "http/request.h"

namespace ringboot::http {

struct HttpCounters {
  Counter requests_get, requests_head, requests_other;
  Counter status_2xx, status_3xx, status_4xx, status_5xx;
  Counter bytes;                 // response bytes sent, head + body
  Counter rejected_connections;  // over connections_max
  Counter malformed;             // parser errors (400/414/431/501/505)
  Counter timeouts;              // connections closed by a deadline
  Counter lingering_closes;      // closes that drained a client still sending (after an error response)
  Counter turn_deferrals;        // writable connections left for the next loop turn ([http] turn_bytes)
  Gauge connections_active;
  Histogram response_seconds;  // head parsed -> last byte sent

  void record_method(Method m) {
    if (m == Method::get)
      requests_get.inc();
    else if (m == Method::head)
      requests_head.inc();
    else
      requests_other.inc();
  }
  void record_status(int status) {
    if (status >= 500)
      status_5xx.inc();
    else if (status >= 400)
      status_4xx.inc();
    else if (status >= 300)
      status_3xx.inc();
    else
      status_2xx.inc();
  }
};

// The ringboot_http_* families: every field above, exported once.
const MetricTable<HttpCounters>& metric_table();

}  // namespace ringboot::http
