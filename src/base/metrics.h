// Metric primitives. Each worker thread owns its own counters and is their
// only writer; a scrape (any thread) reads them with relaxed loads and sums
// across workers. No locks, no contention on the data path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringboot {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
  std::int64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Latency histogram with fixed bucket bounds in seconds.
inline constexpr std::array<double, 12> kLatencyBucketsSeconds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                  0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

class Histogram {
 public:
  static constexpr std::size_t kBuckets = kLatencyBucketsSeconds.size();
  void observe(double value_seconds) {
    std::size_t i = 0;
    while (i < kBuckets && value_seconds > kLatencyBucketsSeconds[i]) ++i;
    buckets_[i].inc();  // buckets_[kBuckets] is +Inf
    sum_micros_.inc(static_cast<std::uint64_t>(value_seconds * 1e6));
  }
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].get(); }  // not cumulative
  double sum_seconds() const { return static_cast<double>(sum_micros_.get()) / 1e6; }

 private:
  std::array<Counter, kBuckets + 1> buckets_{};
  Counter sum_micros_;
};

// Writes the Prometheus text exposition format, version 0.0.4.
class MetricsWriter {
 public:
  // Starts a metric family: "# HELP" and "# TYPE" lines. type: counter|gauge|histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample. labels is preformatted `a="x",b="y"` or empty.
  void sample(std::string_view name, std::string_view labels, double value);
  void sample(std::string_view name, std::string_view labels, std::uint64_t value);
  // A whole histogram family's samples from per-bucket (non-cumulative) counts.
  void histogram(std::string_view name, std::string_view labels, const std::array<std::uint64_t, Histogram::kBuckets + 1>& buckets,
                 double sum_seconds);
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace ringboot
