// MetricTable and MetricsWriter: families, labels, and sums over workers.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "base/metrics.h"

namespace ringboot {
namespace {

enum class Colour : std::uint8_t { none, red, green };
std::string_view to_string(Colour c) {
  switch (c) {
    case Colour::none:
      return "none";
    case Colour::red:
      return "red";
    case Colour::green:
      return "green";
  }
  return "?";
}

struct Stats {
  Counter x, y;
  std::array<Counter, 3> by_colour{};
  Gauge level;
  Histogram seconds;
};

MetricTable<Stats> stats_table() {
  return MetricTable<Stats>()
      .counter("t_things_total", "Things, by kind.", "kind", {{"x", &Stats::x}, {"y", &Stats::y}})
      .counter<Colour>("t_colour_total", "Things, by colour.", "colour", &Stats::by_colour, 1)
      .gauge("t_level", "A level.", &Stats::level)
      .histogram("t_seconds", "Durations.", &Stats::seconds);
}

TEST(MetricTable, SumsWorkersInFamilyOrder) {
  Stats a;
  Stats b;
  a.x.inc(2);
  a.y.inc(3);
  b.x.inc(10);
  a.by_colour[static_cast<std::size_t>(Colour::none)].inc(100);  // below `first`: not exported
  a.by_colour[static_cast<std::size_t>(Colour::red)].inc();
  a.by_colour[static_cast<std::size_t>(Colour::green)].inc(4);
  b.by_colour[static_cast<std::size_t>(Colour::green)].inc();
  a.level.add(5);
  b.level.add(-2);
  a.seconds.observe(0.25);  // on a bound: that bucket
  a.seconds.observe(20);    // past the last bound: +Inf
  b.seconds.observe(0.5);
  const std::vector<const Stats*> workers = {&a, nullptr, &b};  // null: the service is off there
  MetricsWriter out;
  stats_table().write(out, workers);
  EXPECT_EQ(out.text(),
            "# HELP t_things_total Things, by kind.\n"
            "# TYPE t_things_total counter\n"
            "t_things_total{kind=\"x\"} 12\n"
            "t_things_total{kind=\"y\"} 3\n"
            "# HELP t_colour_total Things, by colour.\n"
            "# TYPE t_colour_total counter\n"
            "t_colour_total{colour=\"red\"} 1\n"
            "t_colour_total{colour=\"green\"} 5\n"
            "# HELP t_level A level.\n"
            "# TYPE t_level gauge\n"
            "t_level 3\n"
            "# HELP t_seconds Durations.\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.001\"} 0\n"
            "t_seconds_bucket{le=\"0.0025\"} 0\n"
            "t_seconds_bucket{le=\"0.005\"} 0\n"
            "t_seconds_bucket{le=\"0.01\"} 0\n"
            "t_seconds_bucket{le=\"0.025\"} 0\n"
            "t_seconds_bucket{le=\"0.05\"} 0\n"
            "t_seconds_bucket{le=\"0.1\"} 0\n"
            "t_seconds_bucket{le=\"0.25\"} 1\n"
            "t_seconds_bucket{le=\"0.5\"} 2\n"
            "t_seconds_bucket{le=\"1\"} 2\n"
            "t_seconds_bucket{le=\"2.5\"} 2\n"
            "t_seconds_bucket{le=\"10\"} 2\n"
            "t_seconds_bucket{le=\"+Inf\"} 3\n"
            "t_seconds_sum 20.75\n"
            "t_seconds_count 3\n");
}

TEST(MetricTable, NoWorkersNoFamilies) {
  MetricsWriter out;
  const std::vector<const Stats*> off = {nullptr, nullptr};
  stats_table().write(out, off);
  EXPECT_EQ(out.text(), "");
}

TEST(MetricTable, OneWorkerIsItsOwnValues) {
  Stats a;
  a.y.inc(7);
  MetricsWriter out;
  const std::vector<const Stats*> one = {&a};
  stats_table().write(out, one);
  EXPECT_NE(out.text().find("t_things_total{kind=\"x\"} 0\nt_things_total{kind=\"y\"} 7\n"), std::string::npos)
      << out.text();
}

TEST(MetricTable, FirstUnreadByteFindsAFieldNotExported) {
  EXPECT_EQ(stats_table().first_unread_byte(), sizeof(Stats));
  struct Partial {
    Counter exported;
    Counter forgotten;
    Gauge also_exported;
  };
  const auto partial = MetricTable<Partial>()
                           .counter("p_total", "P.", &Partial::exported)
                           .gauge("p_level", "P level.", &Partial::also_exported);
  EXPECT_EQ(partial.first_unread_byte(), sizeof(Counter));
  const auto last_missing =
      MetricTable<Partial>().counter("p_total", "P.", "which", {{"a", &Partial::exported}, {"b", &Partial::forgotten}});
  EXPECT_EQ(last_missing.first_unread_byte(), 2 * sizeof(Counter));
  // Elements before an array family's `first` are declared never counted,
  // so the first unread byte is the gauge after the array.
  const auto no_level = MetricTable<Stats>()
                            .counter("t_things_total", "T.", "kind", {{"x", &Stats::x}, {"y", &Stats::y}})
                            .counter<Colour>("t_colour_total", "C.", "colour", &Stats::by_colour, 1);
  EXPECT_EQ(no_level.first_unread_byte(), 5 * sizeof(Counter));
}

enum class Side : std::uint8_t { left, right };
std::string_view to_string(Side s) { return s == Side::left ? "left" : "right"; }

TEST(MetricTable, TwoLabelsFromTwoEnums) {
  struct Grid {
    std::array<std::array<Counter, 2>, 3> by_colour_side{};
  };
  Grid a;
  Grid b;
  a.by_colour_side[2][1].inc(2);
  b.by_colour_side[2][1].inc(3);
  a.by_colour_side[0][0].inc();
  const auto table =
      MetricTable<Grid>().counter<Colour, Side>("g_total", "G.", "colour", "side", &Grid::by_colour_side);
  EXPECT_EQ(table.first_unread_byte(), sizeof(Grid));
  MetricsWriter out;
  const std::vector<const Grid*> workers = {&a, &b};
  table.write(out, workers);
  EXPECT_EQ(out.text(),
            "# HELP g_total G.\n# TYPE g_total counter\n"
            "g_total{colour=\"none\",side=\"left\"} 1\n"
            "g_total{colour=\"none\",side=\"right\"} 0\n"
            "g_total{colour=\"red\",side=\"left\"} 0\n"
            "g_total{colour=\"red\",side=\"right\"} 0\n"
            "g_total{colour=\"green\",side=\"left\"} 0\n"
            "g_total{colour=\"green\",side=\"right\"} 5\n");
}

TEST(MetricsWriter, HelpTypeAndLabelledSamples) {
  MetricsWriter w;
  w.family("a_total", MetricType::counter, "Help text.");
  w.sample("a_total", "k=\"v\",l=\"w\"", std::uint64_t{18446744073709551615u});
  w.family("b", MetricType::gauge, "Gauge.");
  w.sample("b", "", std::int64_t{-3});
  EXPECT_EQ(w.text(),
            "# HELP a_total Help text.\n# TYPE a_total counter\n"
            "a_total{k=\"v\",l=\"w\"} 18446744073709551615\n"
            "# HELP b Gauge.\n# TYPE b gauge\nb -3\n");
}

TEST(MetricsWriter, LabelledHistogramPutsLeLast) {
  HistogramTotal total;
  total.buckets[1] = 2;
  total.sum_seconds = 0.5;
  MetricsWriter w;
  w.histogram("h_seconds", "k=\"v\"", total);
  const std::string& t = w.text();
  EXPECT_NE(t.find("h_seconds_bucket{k=\"v\",le=\"0.001\"} 0\n"), std::string::npos) << t;
  EXPECT_NE(t.find("h_seconds_bucket{k=\"v\",le=\"0.0025\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("h_seconds_bucket{k=\"v\",le=\"+Inf\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("h_seconds_sum{k=\"v\"} 0.5\nh_seconds_count{k=\"v\"} 2\n"), std::string::npos) << t;
}

TEST(BucketHistogram, CountsOnItsOwnBoundsAndWritesThem) {
  constexpr std::array<double, 3> kBounds = {1, 60, 3600};
  BucketHistogram<3> h;
  h.observe(kBounds, 0.5);   // under the first bound
  h.observe(kBounds, 60);    // on a bound: that bound's bucket
  h.observe(kBounds, 61);    // just past it: the next
  h.observe(kBounds, 7200);  // past the last: +Inf
  EXPECT_EQ(h.buckets, (std::array<std::uint64_t, 4>{1, 1, 1, 1}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum_seconds, 7321.5);
  BucketHistogram<3> copy = h;  // a scrape reads a copy taken under the owner's lock
  h.observe(kBounds, 2);
  EXPECT_EQ(copy.count(), 4u);
  MetricsWriter w;
  w.histogram("s_seconds", "stage=\"kernel\"", kBounds, copy);
  EXPECT_EQ(w.text(),
            "s_seconds_bucket{stage=\"kernel\",le=\"1\"} 1\n"
            "s_seconds_bucket{stage=\"kernel\",le=\"60\"} 2\n"
            "s_seconds_bucket{stage=\"kernel\",le=\"3600\"} 3\n"
            "s_seconds_bucket{stage=\"kernel\",le=\"+Inf\"} 4\n"
            "s_seconds_sum{stage=\"kernel\"} 7321.5\n"
            "s_seconds_count{stage=\"kernel\"} 4\n");
}

}  // namespace
}  // namespace ringboot
