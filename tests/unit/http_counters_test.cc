#include <gtest/gtest.h>

#include <array>

#include "http/counters.h"

namespace ringboot::http {
namespace {

TEST(HttpCounters, RecordAndSumWorkers) {
  HttpCounters a;
  HttpCounters b;
  a.record_status(200);
  a.record_status(206);
  b.record_status(304);
  b.record_status(404);
  b.record_status(503);
  a.record_method(Method::get);
  b.record_method(Method::head);
  b.record_method(Method::other);
  a.connections_active.add(2);
  b.connections_active.add(1);
  EXPECT_EQ(a.status_2xx.get(), 2u);
  EXPECT_EQ(b.status_3xx.get(), 1u);
  EXPECT_EQ(b.status_4xx.get(), 1u);
  EXPECT_EQ(b.status_5xx.get(), 1u);
  MetricsWriter w;
  const std::array<const HttpCounters*, 2> workers = {&a, &b};
  metric_table().write(w, workers);
  const std::string& t = w.text();
  EXPECT_NE(t.find("ringboot_http_responses_total{class=\"2xx\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ringboot_http_requests_total{method=\"head\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ringboot_http_connections_active 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ringboot_http_response_seconds_count 0\n"), std::string::npos) << t;
}

TEST(HttpCounters, EveryCounterIsExported) {
  EXPECT_EQ(metric_table().first_unread_byte(), sizeof(HttpCounters)) << "an HttpCounters field has no family";
}

}  // namespace
}  // namespace ringboot::http
