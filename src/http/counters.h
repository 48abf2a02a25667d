// Per-worker HTTP metrics; the scrape sums workers with write_metrics().
#pragma once

#include <span>

#include "base/metrics.h"
#include "http/request.h"

namespace ringboot::http {

struct HttpCounters {
  Counter requests_get, requests_head, requests_other;
  Counter status_2xx, status_3xx, status_4xx, status_5xx;
  Counter bytes;  // response bytes sent, head + body
  Counter rejected_connections;  // over connections_max
  Counter malformed;  // parser errors (400/414/431/501/505)
  Counter timeouts;   // connections closed by a deadline
  Gauge connections_active;
  Histogram response_seconds;  // head parsed -> last byte sent

  void record_method(Method m) {
    if (m == Method::get) requests_get.inc();
    else if (m == Method::head) requests_head.inc();
    else requests_other.inc();
  }
  void record_status(int status) {
    if (status >= 500) status_5xx.inc();
    else if (status >= 400) status_4xx.inc();
    else if (status >= 300) status_3xx.inc();
    else status_2xx.inc();
  }
};

// Families ringboot_http_*; one sum over all workers' counters.
void write_metrics(MetricsWriter& out, std::span<const HttpCounters* const> workers);

}  // namespace ringboot::http
