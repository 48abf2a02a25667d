#include "http/counters.h"

#include <array>

namespace ringboot::http {
namespace {

template <typename Get>
std::uint64_t sum(std::span<const HttpCounters* const> workers, Get get) {
  std::uint64_t total = 0;
  for (const HttpCounters* w : workers) total += get(*w);
  return total;
}

}  // namespace

void write_metrics(MetricsWriter& out, std::span<const HttpCounters* const> workers) {
  out.family("ringboot_http_requests_total", "counter", "HTTP requests by method.");
  out.sample("ringboot_http_requests_total", R"(method="get")", sum(workers, [](const HttpCounters& c) { return c.requests_get.get(); }));
  out.sample("ringboot_http_requests_total", R"(method="head")", sum(workers, [](const HttpCounters& c) { return c.requests_head.get(); }));
  out.sample("ringboot_http_requests_total", R"(method="other")", sum(workers, [](const HttpCounters& c) { return c.requests_other.get(); }));

  out.family("ringboot_http_responses_total", "counter", "HTTP responses by status class.");
  out.sample("ringboot_http_responses_total", R"(class="2xx")", sum(workers, [](const HttpCounters& c) { return c.status_2xx.get(); }));
  out.sample("ringboot_http_responses_total", R"(class="3xx")", sum(workers, [](const HttpCounters& c) { return c.status_3xx.get(); }));
  out.sample("ringboot_http_responses_total", R"(class="4xx")", sum(workers, [](const HttpCounters& c) { return c.status_4xx.get(); }));
  out.sample("ringboot_http_responses_total", R"(class="5xx")", sum(workers, [](const HttpCounters& c) { return c.status_5xx.get(); }));

  out.family("ringboot_http_sent_bytes_total", "counter", "Response bytes sent, head and body.");
  out.sample("ringboot_http_sent_bytes_total", "", sum(workers, [](const HttpCounters& c) { return c.bytes.get(); }));
  out.family("ringboot_http_rejected_connections_total", "counter", "Connections refused at connections_max.");
  out.sample("ringboot_http_rejected_connections_total", "",
             sum(workers, [](const HttpCounters& c) { return c.rejected_connections.get(); }));
  out.family("ringboot_http_malformed_requests_total", "counter", "Request heads refused by the parser.");
  out.sample("ringboot_http_malformed_requests_total", "", sum(workers, [](const HttpCounters& c) { return c.malformed.get(); }));
  out.family("ringboot_http_timeouts_total", "counter", "Connections closed by a header, idle or send-stall deadline.");
  out.sample("ringboot_http_timeouts_total", "", sum(workers, [](const HttpCounters& c) { return c.timeouts.get(); }));

  std::int64_t active = 0;
  for (const HttpCounters* w : workers) active += w->connections_active.get();
  out.family("ringboot_http_connections_active", "gauge", "Open HTTP connections.");
  out.sample("ringboot_http_connections_active", "", static_cast<double>(active));

  std::array<std::uint64_t, Histogram::kBuckets + 1> buckets{};
  double seconds_total = 0;
  for (const HttpCounters* w : workers) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += w->response_seconds.bucket(i);
    seconds_total += w->response_seconds.sum_seconds();
  }
  out.family("ringboot_http_response_seconds", "histogram", "Time from request head to last byte sent.");
  out.histogram("ringboot_http_response_seconds", "", buckets, seconds_total);
}

}  // namespace ringboot::http
