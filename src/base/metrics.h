// Metric primitives. Each worker thread owns its own counters and is their
// only writer; a scrape (any thread) reads them with relaxed loads and sums
// across workers. No locks, no contention on the data path.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

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

// A histogram with bucket bounds of its own (ascending, in seconds), of
// plain counts: for one writer that owns it under its own lock (the fleet
// engine), and copyable, so a scrape takes a copy. The latency Histogram
// above keeps its fixed bounds and atomic counters: its observe() is on the
// data path and does not pay for a bounds lookup.
template <std::size_t N>
struct BucketHistogram {
  static constexpr std::size_t kBuckets = N;
  std::array<std::uint64_t, N + 1> buckets{};  // not cumulative; [N] is +Inf
  double sum_seconds = 0;
  // A value on a bound counts in that bound's bucket (Prometheus' le).
  void observe(const std::array<double, N>& bounds, double value_seconds) {
    std::size_t i = 0;
    while (i < N && value_seconds > bounds[i]) ++i;
    ++buckets[i];
    sum_seconds += value_seconds;
  }
  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (const std::uint64_t b : buckets) n += b;
    return n;
  }
};

// Per-worker values summed over the workers a scrape reads.
struct HistogramTotal {
  std::array<std::uint64_t, Histogram::kBuckets + 1> buckets{};  // not cumulative
  double sum_seconds = 0;
};
std::uint64_t sum(std::span<const Counter* const> counters);
std::int64_t sum(std::span<const Gauge* const> gauges);
HistogramTotal sum(std::span<const Histogram* const> histograms);

enum class MetricType { counter, gauge, histogram };
std::string_view to_string(MetricType type);

// Writes the Prometheus text exposition format, version 0.0.4.
class MetricsWriter {
 public:
  // Starts a metric family: "# HELP" and "# TYPE" lines.
  void family(std::string_view name, MetricType type, std::string_view help);
  // One sample. labels is preformatted `a="x",b="y"` or empty.
  void sample(std::string_view name, std::string_view labels, std::uint64_t value);
  void sample(std::string_view name, std::string_view labels, std::int64_t value);
  // A whole histogram family's samples: cumulative buckets, _sum and _count.
  void histogram(std::string_view name, std::string_view labels, const HistogramTotal& total);
  // The same with bounds of its own: `buckets` (not cumulative) has one
  // more element than `bounds`, the +Inf bucket.
  void histogram(std::string_view name, std::string_view labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> buckets, double sum_seconds);
  template <std::size_t N>
  void histogram(std::string_view name, std::string_view labels, const std::array<double, N>& bounds,
                 const BucketHistogram<N>& h) {
    histogram(name, labels, bounds, h.buckets, h.sum_seconds);
  }
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// The one home of a stats struct's metrics: each family's name, type, help
// and labels, and the field of S each sample reads. write() sums those fields
// over every worker's S at scrape time. Families are written in the order
// they were added.
template <typename S>
class MetricTable {
 public:
  // One unlabelled sample.
  MetricTable& counter(std::string name, std::string help, Counter S::*field) {
    return add(std::move(name), MetricType::counter, std::move(help), {Series{"", field_of(field)}});
  }
  MetricTable& gauge(std::string name, std::string help, Gauge S::*field) {
    return add(std::move(name), MetricType::gauge, std::move(help), {Series{"", field_of(field)}});
  }
  MetricTable& histogram(std::string name, std::string help, Histogram S::*field) {
    return add(std::move(name), MetricType::histogram, std::move(help), {Series{"", field_of(field)}});
  }
  // One sample per value of `label`, in the order given.
  MetricTable& counter(std::string name, std::string help, std::string_view label,
                       std::initializer_list<std::pair<std::string_view, Counter S::*>> values) {
    std::vector<Series> series;
    for (const auto& [value, field] : values) series.push_back(Series{label_pair(label, value), field_of(field)});
    return add(std::move(name), MetricType::counter, std::move(help), std::move(series));
  }
  // One sample per element of an array indexed by the enum E, from index
  // `first` on; the label value is to_string(E(i)). Elements before `first`
  // (an enum's "none") are never counted: they are not exported and
  // first_unread_byte() does not report them.
  template <typename E, std::size_t N>
  MetricTable& counter(std::string name, std::string help, std::string_view label, std::array<Counter, N> S::*field,
                       std::size_t first = 0) {
    std::vector<Series> series;
    for (std::size_t i = 0; i < N; ++i) {
      CounterOf element = [field, i](const S& s) -> const Counter& { return (s.*field)[i]; };
      if (i < first)
        never_counted_.push_back(std::move(element));
      else
        series.push_back(Series{label_pair(label, to_string(static_cast<E>(i))), std::move(element)});
    }
    return add(std::move(name), MetricType::counter, std::move(help), std::move(series));
  }

  // One sample per element of a two-dimensional array indexed by the enums
  // E1 (outer) and E2, labelled `label1="to_string(E1(i))",label2="to_string(E2(j))"`:
  // both label sets are bounded by their enums.
  template <typename E1, typename E2, std::size_t N1, std::size_t N2>
  MetricTable& counter(std::string name, std::string help, std::string_view label1, std::string_view label2,
                       std::array<std::array<Counter, N2>, N1> S::*field) {
    std::vector<Series> series;
    for (std::size_t i = 0; i < N1; ++i)
      for (std::size_t j = 0; j < N2; ++j) {
        CounterOf element = [field, i, j](const S& s) -> const Counter& { return (s.*field)[i][j]; };
        series.push_back(Series{
            label_pair(label1, to_string(static_cast<E1>(i))) + "," + label_pair(label2, to_string(static_cast<E2>(j))),
            std::move(element)});
      }
    return add(std::move(name), MetricType::counter, std::move(help), std::move(series));
  }

  // Every family, summed over `workers`; null entries are skipped, and with
  // none left (the service is off) nothing is written.
  void write(MetricsWriter& out, std::span<const S* const> workers) const {
    std::vector<const S*> on;
    for (const S* w : workers)
      if (w != nullptr) on.push_back(w);
    if (on.empty()) return;
    for (const Family& f : families_) {
      out.family(f.name, f.type, f.help);
      for (const Series& s : f.series)
        std::visit([&](const auto& of) { write_series(out, f.name, s.labels, of, on); }, s.field);
    }
  }

  // The first byte of S that no sample reads, sizeof(S) if there is none.
  // A counters struct holds only metric primitives, so a gap is a field that
  // is counted but never exported (tests assert there is none).
  std::size_t first_unread_byte() const {
    const S probe{};
    std::vector<std::pair<std::size_t, std::size_t>> read;  // [begin, end) offsets
    for (const Family& f : families_)
      for (const Series& s : f.series)
        std::visit([&](const auto& of) { read.push_back(span_of(&of(probe), probe)); }, s.field);
    for (const CounterOf& of : never_counted_) read.push_back(span_of(&of(probe), probe));
    std::sort(read.begin(), read.end());
    std::size_t covered = 0;
    for (const auto& [begin, end] : read) {
      if (begin > covered) break;
      covered = std::max(covered, end);
    }
    return covered;
  }

 private:
  using CounterOf = std::function<const Counter&(const S&)>;
  using GaugeOf = std::function<const Gauge&(const S&)>;
  using HistogramOf = std::function<const Histogram&(const S&)>;
  struct Series {
    std::string labels;  // `a="x"` or empty
    std::variant<CounterOf, GaugeOf, HistogramOf> field;
  };
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<Series> series;
  };

  template <typename P>
  static std::function<const P&(const S&)> field_of(P S::*field) {
    return [field](const S& s) -> const P& { return s.*field; };
  }
  static std::string label_pair(std::string_view label, std::string_view value) {
    return std::string(label) + "=\"" + std::string(value) + "\"";
  }
  template <typename P>
  static std::pair<std::size_t, std::size_t> span_of(const P* field, const S& probe) {
    const auto begin =
        static_cast<std::size_t>(reinterpret_cast<const char*>(field) - reinterpret_cast<const char*>(&probe));
    return {begin, begin + sizeof(P)};
  }
  template <typename P>
  static void write_series(MetricsWriter& out, std::string_view name, std::string_view labels,
                           const std::function<const P&(const S&)>& of, std::span<const S* const> workers) {
    std::vector<const P*> fields;
    for (const S* w : workers) fields.push_back(&of(*w));
    if constexpr (std::is_same_v<P, Histogram>)
      out.histogram(name, labels, sum(fields));
    else
      out.sample(name, labels, sum(fields));
  }

  MetricTable& add(std::string name, MetricType type, std::string help, std::vector<Series> series) {
    families_.push_back(Family{std::move(name), type, std::move(help), std::move(series)});
    return *this;
  }

  std::vector<Family> families_;
  std::vector<CounterOf> never_counted_;
};

}  // namespace ringboot
