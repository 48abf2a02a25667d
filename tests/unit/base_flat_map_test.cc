#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>

#include "base/flat_map.h"

namespace ringboot {
namespace {

TEST(FlatMap64, FindsInsertsAndErases) {
  FlatMap64<int> m;
  EXPECT_EQ(m.find(0), nullptr);
  EXPECT_FALSE(m.erase(7));
  m[0] = 10;  // key 0 is a key like any other
  m[7] = 70;
  ASSERT_NE(m.find(0), nullptr);
  EXPECT_EQ(*m.find(0), 10);
  EXPECT_EQ(*m.find(7), 70);
  EXPECT_EQ(m.find(8), nullptr);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.erase(0));
  EXPECT_EQ(m.find(0), nullptr);
  EXPECT_EQ(*m.find(7), 70);
  EXPECT_EQ(m.size(), 1u);
}

// Random inserts and erases against std::unordered_map, with keys crowded
// into few home slots (so runs wrap the table's end and erases shift them
// back) and a table that grows under them.
TEST(FlatMap64, AgreesWithUnorderedMapUnderChurn) {
  std::mt19937_64 random(42);
  for (const std::uint64_t spread : {std::uint64_t{64}, std::uint64_t{1} << 40}) {
    FlatMap64<std::uint64_t> m;
    std::unordered_map<std::uint64_t, std::uint64_t> want;
    for (int i = 0; i < 40000; ++i) {
      const std::uint64_t key = random() % spread;
      if (random() % 3 == 0) {
        EXPECT_EQ(m.erase(key), want.erase(key) == 1);
      } else {
        m[key] = key * 3 + 1;
        want[key] = key * 3 + 1;
      }
      if (i % 4000 == 0) {
        ASSERT_EQ(m.size(), want.size());
        for (const auto& [k, v] : want) {
          const std::uint64_t* got = m.find(k);
          ASSERT_NE(got, nullptr) << k;
          ASSERT_EQ(*got, v);
        }
        std::size_t seen = 0;
        m.for_each([&](std::uint64_t k, std::uint64_t v) {
          ++seen;
          EXPECT_EQ(want.at(k), v);
        });
        EXPECT_EQ(seen, want.size());
      }
    }
  }
}

TEST(FlatMap64, HoldsMoveOnlyValues) {
  FlatMap64<std::unique_ptr<int>> m(4);
  for (int i = 0; i < 100; ++i) m[static_cast<std::uint64_t>(i)] = std::make_unique<int>(i);
  const int* five = m.find(5)->get();
  for (int i = 0; i < 100; i += 2) m.erase(static_cast<std::uint64_t>(i));
  EXPECT_EQ(m.find(5)->get(), five);  // the pointee stays where it is
  EXPECT_EQ(**m.find(99), 99);
  EXPECT_EQ(m.find(4), nullptr);
}

}  // namespace
}  // namespace ringboot
