#include <gtest/gtest.h>

// RINGBOOT_ASSERT must not depend on NDEBUG: release builds keep it.
#ifndef NDEBUG
#define NDEBUG
#endif
#include "base/assert.h"

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

}  // namespace
}  // namespace ringboot
