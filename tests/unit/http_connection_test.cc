#include <gtest/gtest.h>

#include "base/time.h"
#include "http/connection.h"

namespace ringboot::http {
namespace {

using Phase = Connection::Phase;

const ConnectionTimeouts kTimeouts{seconds(10), seconds(30), seconds(30), seconds(5)};

TEST(HttpConnection, SilentClientDroppedAtHeaderTimeout) {
  FakeClock clock;
  Connection c(clock.now(), kTimeouts);
  EXPECT_EQ(c.phase(), Phase::reading_head);
  clock.advance(seconds(9));
  EXPECT_FALSE(c.expired(clock.now()));
  clock.advance(seconds(1));
  EXPECT_TRUE(c.expired(clock.now()));
}

TEST(HttpConnection, TricklingBytesDoNotExtendHeaderDeadline) {
  FakeClock clock;
  Connection c(clock.now(), kTimeouts);
  c.on_response_done(clock.now(), true);  // pretend a first request finished
  clock.advance(seconds(1));
  c.on_bytes(clock.now());
  const Instant deadline = c.deadline();
  EXPECT_EQ(deadline, clock.now() + seconds(10));
  for (int i = 0; i < 9; ++i) {
    clock.advance(seconds(1));
    c.on_bytes(clock.now());
    EXPECT_EQ(c.deadline(), deadline);
  }
  clock.advance(seconds(1));
  EXPECT_TRUE(c.expired(clock.now()));
}

TEST(HttpConnection, SendStallResetByProgress) {
  FakeClock clock;
  Connection c(clock.now(), kTimeouts);
  c.on_bytes(clock.now());
  c.on_response_started(clock.now());
  EXPECT_EQ(c.phase(), Phase::sending);
  for (int i = 0; i < 5; ++i) {
    clock.advance(seconds(29));
    EXPECT_FALSE(c.expired(clock.now()));
    c.on_send_progress(clock.now());
  }
  c.on_bytes(clock.now());  // pipelined bytes while sending: no change
  EXPECT_EQ(c.phase(), Phase::sending);
  clock.advance(seconds(30));
  EXPECT_TRUE(c.expired(clock.now()));
}

TEST(HttpConnection, KeepAliveIdleThenNextRequest) {
  FakeClock clock;
  Connection c(clock.now(), kTimeouts);
  c.on_response_started(clock.now());
  c.on_response_done(clock.now(), true);
  EXPECT_EQ(c.phase(), Phase::idle);
  EXPECT_EQ(c.deadline(), clock.now() + seconds(30));
  clock.advance(seconds(20));
  c.on_bytes(clock.now());
  EXPECT_EQ(c.phase(), Phase::reading_head);
  EXPECT_EQ(c.deadline(), clock.now() + seconds(10));
}

TEST(HttpConnection, IdleExpires) {
  FakeClock clock;
  Connection c(clock.now(), ConnectionTimeouts{seconds(1), seconds(5), seconds(2), seconds(1)});
  c.on_response_done(clock.now(), true);
  clock.advance(seconds(5));
  EXPECT_TRUE(c.expired(clock.now()));
}

TEST(HttpConnection, CloseWhenNotKeepAlive) {
  FakeClock clock;
  Connection c(clock.now(), kTimeouts);
  c.on_response_started(clock.now());
  c.on_response_done(clock.now(), false);
  EXPECT_EQ(c.phase(), Phase::closed);
  EXPECT_EQ(c.deadline(), kNever);
  clock.advance(std::chrono::hours(1000));
  EXPECT_FALSE(c.expired(clock.now()));
  c.on_bytes(clock.now());
  EXPECT_EQ(c.phase(), Phase::closed);
}

TEST(HttpConnection, LingeringIsBoundedAndNotExtendedByBytes) {
  FakeClock clock;
  Connection c(clock.now(), ConnectionTimeouts{seconds(1), seconds(5), seconds(2), seconds(3)});
  c.on_response_started(clock.now());
  c.on_lingering(clock.now());
  EXPECT_EQ(c.phase(), Phase::lingering);
  const Instant deadline = c.deadline();
  EXPECT_EQ(deadline, clock.now() + seconds(3));
  clock.advance(seconds(2));
  c.on_bytes(clock.now());  // the client goes on sending: dropped, no extension
  c.on_send_progress(clock.now());
  c.on_lingering(clock.now());
  EXPECT_EQ(c.phase(), Phase::lingering);
  EXPECT_EQ(c.deadline(), deadline);
  EXPECT_FALSE(c.expired(clock.now()));
  clock.advance(seconds(1));
  EXPECT_TRUE(c.expired(clock.now()));
}

}  // namespace
}  // namespace ringboot::http
