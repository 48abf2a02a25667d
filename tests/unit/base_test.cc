#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/metrics.h"
#include "base/timer_heap.h"

namespace ringboot {
namespace {

TEST(ByteReader, NeverReadsPastTheEnd) {
  const std::uint8_t data[] = {1, 2, 3};
  ByteReader r{Bytes(data)};
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_FALSE(r.u16().has_value());
  EXPECT_EQ(r.u8(), 3);
  EXPECT_FALSE(r.u8().has_value());
  EXPECT_FALSE(r.take(1).has_value());
}

TEST(ByteReader, HugeLengthDoesNotWrap) {
  const std::uint8_t data[] = {1, 2, 3};
  ByteReader r{Bytes(data)};
  r.u8();
  EXPECT_FALSE(r.take(SIZE_MAX).has_value());
  EXPECT_EQ(r.remaining(), 2u);
}

TEST(ByteReader, CStringNeedsTerminator) {
  const std::uint8_t ok[] = {'a', 'b', 0, 'c'};
  ByteReader r{Bytes(ok)};
  EXPECT_EQ(r.cstring(), "ab");
  EXPECT_FALSE(r.cstring().has_value());
}

TEST(ByteWriter, OverflowWritesNothingAndSticks) {
  std::uint8_t buf[3];
  ByteWriter w{MutableBytes(buf)};
  w.u16(7);
  w.u16(8);
  EXPECT_TRUE(w.overflow());
  EXPECT_EQ(w.size(), 2u);
  w.u8(1);
  EXPECT_EQ(w.size(), 2u);
}

TEST(Endpoint, ParsesAndRejects) {
  EXPECT_EQ(Endpoint::parse("127.0.0.1:6969"), (Endpoint{Ipv4{0x7f000001}, 6969}));
  EXPECT_EQ(Endpoint::parse(":69"), (Endpoint{Ipv4{0}, 69}));
  EXPECT_FALSE(Endpoint::parse("127.0.0.1").has_value());
  EXPECT_FALSE(Endpoint::parse("127.0.0.1:70000").has_value());
  EXPECT_FALSE(Endpoint::parse("256.0.0.1:1").has_value());
  EXPECT_FALSE(Endpoint::parse("1.2.3:1").has_value());
  EXPECT_EQ(Ipv4{0x0a000001}.to_string(), "10.0.0.1");
}

TEST(TimerHeap, PopsInDeadlineOrderAcrossUpdates) {
  TimerHeap heap(1000);
  std::mt19937 rng(42);
  std::vector<Instant> deadlines(1000);
  const Instant base{};
  for (std::uint32_t id = 0; id < 1000; ++id) {
    deadlines[id] = base + milliseconds(rng() % 5000);
    heap.set(id, deadlines[id]);
  }
  for (std::uint32_t id = 0; id < 1000; id += 3) {  // move a third of them
    deadlines[id] = base + milliseconds(rng() % 5000);
    heap.set(id, deadlines[id]);
  }
  for (std::uint32_t id = 1; id < 1000; id += 7) {
    heap.cancel(id);
    deadlines[id] = kNever;
  }
  Instant last = Instant::min();
  std::size_t popped = 0;
  for (std::int64_t id; (id = heap.pop_expired(base + seconds(10))) >= 0; ++popped) {
    EXPECT_GE(deadlines[static_cast<std::size_t>(id)], last);
    EXPECT_NE(deadlines[static_cast<std::size_t>(id)], kNever);
    last = deadlines[static_cast<std::size_t>(id)];
  }
  EXPECT_EQ(popped, 1000u - (1000u + 5) / 7);
  EXPECT_EQ(heap.next(), kNever);
}

TEST(TimerHeap, NotExpiredStays) {
  TimerHeap heap(4);
  heap.set(2, Instant{} + seconds(5));
  EXPECT_EQ(heap.pop_expired(Instant{} + seconds(4)), -1);
  EXPECT_EQ(heap.pop_expired(Instant{} + seconds(5)), 2);
}

TEST(MetricsWriter, HistogramIsCumulative) {
  HistogramTotal total;
  total.buckets[0] = 2;
  total.buckets[3] = 1;
  total.buckets[Histogram::kBuckets] = 1;
  total.sum_seconds = 1.5;
  MetricsWriter w;
  w.histogram("x_seconds", "", total);
  EXPECT_NE(w.text().find("x_seconds_bucket{le=\"0.001\"} 2\n"), std::string::npos);
  EXPECT_NE(w.text().find("x_seconds_bucket{le=\"0.01\"} 3\n"), std::string::npos);
  EXPECT_NE(w.text().find("x_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(w.text().find("x_seconds_count 4\n"), std::string::npos);
}

}  // namespace
}  // namespace ringboot
