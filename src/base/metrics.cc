#include "base/metrics.h"

#include <fmt/format.h>

namespace ringboot {

namespace {

template <typename T>
void put_sample(std::string& out, std::string_view name, std::string_view labels, T value) {
  if (labels.empty())
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  else
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

}  // namespace

void MetricsWriter::family(std::string_view name, MetricType type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, to_string(type));
}

void MetricsWriter::sample(std::string_view name, std::string_view labels, std::uint64_t value) {
  put_sample(out_, name, labels, value);
}

void MetricsWriter::sample(std::string_view name, std::string_view labels, std::int64_t value) {
  put_sample(out_, name, labels, value);
}

void MetricsWriter::histogram(std::string_view name, std::string_view labels, const HistogramTotal& total) {
  histogram(name, labels, kLatencyBucketsSeconds, total.buckets, total.sum_seconds);
}

void MetricsWriter::histogram(std::string_view name, std::string_view labels, std::span<const double> bounds,
                              std::span<const std::uint64_t> buckets, double sum_seconds) {
  std::uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    const std::string le = i < bounds.size() ? fmt::format("{}", bounds[i]) : "+Inf";
    fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
  }
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  fmt::format_to(std::back_inserter(out_), "{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_seconds, name, braces,
                 cumulative);
}

std::uint64_t sum(std::span<const Counter* const> counters) {
  std::uint64_t total = 0;
  for (const Counter* c : counters) total += c->get();
  return total;
}

std::int64_t sum(std::span<const Gauge* const> gauges) {
  std::int64_t total = 0;
  for (const Gauge* g : gauges) total += g->get();
  return total;
}

HistogramTotal sum(std::span<const Histogram* const> histograms) {
  HistogramTotal total;
  for (const Histogram* h : histograms) {
    for (std::size_t i = 0; i < total.buckets.size(); ++i) total.buckets[i] += h->bucket(i);
    total.sum_seconds += h->sum_seconds();
  }
  return total;
}

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace ringboot
