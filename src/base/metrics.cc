#include "base/metrics.h"

#include <fmt/format.h>

namespace ringboot {

void MetricsWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricsWriter::sample(std::string_view name, std::string_view labels, double value) {
  if (labels.empty())
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
  else
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
}

void MetricsWriter::sample(std::string_view name, std::string_view labels, std::uint64_t value) {
  if (labels.empty())
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
  else
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
}

void MetricsWriter::histogram(std::string_view name, std::string_view labels,
                              const std::array<std::uint64_t, Histogram::kBuckets + 1>& buckets, double sum_seconds) {
  std::uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i <= Histogram::kBuckets; ++i) {
    cumulative += buckets[i];
    const std::string le = i < Histogram::kBuckets ? fmt::format("{}", kLatencyBucketsSeconds[i]) : "+Inf";
    fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
  }
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  fmt::format_to(std::back_inserter(out_), "{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_seconds, name, braces,
                 cumulative);
}

}  // namespace ringboot
