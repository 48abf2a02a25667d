#include <gtest/gtest.h>

// RINGBOOT_ASSERT must not depend on NDEBUG: release builds keep it.
#ifndef NDEBUG
#define NDEBUG
#endif
#include "base/assert.h"
#include "base/enum_count.h"
#include "base/timer_heap.h"

namespace ringboot {
namespace {

TEST(AssertDeathTest, FailurePrintsFileLineAndExpressionAndAborts) {
  const int x = 2;
  EXPECT_DEATH(RINGBOOT_ASSERT(x == 3), R"(base_assert_test\.cc:[0-9]+: ringboot: assertion failed: x == 3)");
}

TEST(Assert, HoldingConditionIsEvaluatedOnceAndGoesOn) {
  int evaluated = 0;
  RINGBOOT_ASSERT(++evaluated == 1);
  EXPECT_EQ(evaluated, 1);
}

TEST(TimerHeapDeathTest, OutOfRangeIdAborts) {
  TimerHeap heap(4);
  heap.set(3, Instant{} + std::chrono::seconds(1));
  EXPECT_DEATH(heap.set(4, Instant{} + std::chrono::seconds(1)), R"(assertion failed: id < position_\.size\(\))");
  EXPECT_DEATH(heap.cancel(4), R"(assertion failed: id < position_\.size\(\))");
  // The valid paths are unchanged by the checks.
  heap.cancel(2);  // never set: ignored
  EXPECT_EQ(heap.size(), 1u);
  EXPECT_EQ(heap.pop_expired(Instant{} + std::chrono::seconds(2)), 3);
}

// The compile-time check of a hand-kept enum count (dhcp's kParseErrorCount...).
enum class Three : std::uint8_t { a, b, c };
constexpr std::string_view three_name(Three t) {
  switch (t) {
    case Three::a:
      return "a";
    case Three::b:
      return "b";
    case Three::c:
      return "c";
  }
  return {};
}
static_assert(counts_named_enumerators<Three>(three_name, 3));
static_assert(!counts_named_enumerators<Three>(three_name, 2));  // too small: c is named
static_assert(!counts_named_enumerators<Three>(three_name, 4));  // too large: 3 has no name

}  // namespace
}  // namespace ringboot
