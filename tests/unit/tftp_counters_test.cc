#include <gtest/gtest.h>

#include "tftp/counters.h"

namespace ringboot::tftp {
namespace {

TEST(TftpCounters, EveryCounterIsExported) {
  EXPECT_EQ(metric_table().first_unread_byte(), sizeof(TftpCounters)) << "a TftpCounters field has no family";
}

}  // namespace
}  // namespace ringboot::tftp
