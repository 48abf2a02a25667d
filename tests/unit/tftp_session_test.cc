#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "tftp/session.h"
#include "tftp_test_defaults.h"

namespace ringboot::tftp {
namespace {

using namespace std::string_view_literals;
using std::chrono::milliseconds;

static_assert(sizeof(Session) < 4096, "per-session memory must stay small");

struct Sent {
  bool control = false;
  Endpoint to;
  std::string bytes;  // control packets
  std::uint16_t block = 0;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
};

class RecordingSink final : public Sink {
 public:
  void send_control(Endpoint to, Bytes packet) override {
    sent.push_back({true, to, std::string(reinterpret_cast<const char*>(packet.data()), packet.size()), 0, 0, 0});
  }
  void send_block(std::uint16_t block, std::uint64_t offset, std::uint32_t length) override {
    sent.push_back({false, {}, {}, block, offset, length});
  }
  std::vector<Sent> take() { return std::exchange(sent, {}); }
  std::vector<Sent> sent;
};

const Endpoint kPeer{Ipv4{0x0a000002}, 2070};
const Endpoint kStranger{Ipv4{0x0a000003}, 2070};

Request rrq(std::vector<Option> options = {}) { return Request{Opcode::rrq, "f", Mode::octet, std::move(options)}; }

std::string ack_bytes(std::uint16_t block) {
  return std::string("\0\4"sv) + static_cast<char>(block >> 8) + static_cast<char>(block & 0xff);
}
std::string error_bytes(std::uint16_t code) { return std::string("\0\5\0"sv) + static_cast<char>(code) + "bye" + '\0'; }

// The RTO tests below were written against a 20 ms floor; the engine's
// default floor is higher (see SessionConfig), so the harness pins it.
SessionConfig test_config() {
  SessionConfig c = test_session_config();
  c.rto_min = milliseconds(20);
  return c;
}

struct Harness {
  explicit Harness(SessionConfig c = test_config()) : config(c), session(config, kPeer) {}

  void start(std::vector<Option> options, std::uint64_t size) {
    session.start_read(rrq(std::move(options)), size, clock.now(), sink);
  }
  void datagram(const std::string& bytes, Endpoint from = kPeer) {
    session.on_datagram(from, as_bytes(bytes), clock.now(), sink);
  }
  void ack(std::uint16_t block) { datagram(ack_bytes(block)); }
  // Moves the clock to the deadline and fires the timer.
  void expire() {
    ASSERT_NE(session.deadline(), kNever);
    clock.advance(session.deadline() - clock.now());
    session.on_timer(clock.now(), sink);
  }
  std::vector<std::uint16_t> blocks() {
    std::vector<std::uint16_t> out;
    for (const Sent& s : sink.take()) {
      EXPECT_FALSE(s.control) << "unexpected control packet";
      if (!s.control) out.push_back(s.block);
    }
    return out;
  }

  SessionConfig config;
  FakeClock clock;
  RecordingSink sink;
  Session session;
};

std::vector<std::uint16_t> seq(std::uint16_t first, std::uint16_t last) {
  std::vector<std::uint16_t> out;
  for (std::uint32_t b = first; b <= last; ++b) out.push_back(static_cast<std::uint16_t>(b));
  return out;
}

// A loss-free client that ACKs the last block of every window, as EDK2 does.
void run_perfect_client(Harness& h, Duration rtt = microseconds(100)) {
  while (!h.session.finished()) {
    ASSERT_FALSE(h.sink.sent.empty()) << "session waits but sent nothing";
    const Sent last = h.sink.sent.back();
    h.sink.sent.clear();
    h.clock.advance(rtt);
    h.ack(last.control ? 0 : last.block);
  }
}

// --- negotiation as seen on the wire ------------------------------------

TEST(TftpSession, NoOptionsSendsData1Directly) {
  Harness h;
  h.start({}, 1000);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_FALSE(h.sink.sent[0].control);
  EXPECT_EQ(h.sink.sent[0].block, 1);
  EXPECT_EQ(h.sink.sent[0].offset, 0u);
  EXPECT_EQ(h.sink.sent[0].length, 512u);
}

TEST(TftpSession, OnlyInvalidOrUnknownOptionsSendsData1Directly) {
  Harness h;
  h.start({{"blksize", "abc"}, {"multicast", ""}, {"windowsize", "0"}}, 1000);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_FALSE(h.sink.sent[0].control);
  EXPECT_EQ(h.session.blksize(), 512);
}

TEST(TftpSession, OackContainsOnlyRequestedOptions) {
  Harness h;
  h.start({{"blksize", "1432"}, {"tsize", "0"}}, 5000);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_TRUE(h.sink.sent[0].control);
  EXPECT_EQ(h.sink.sent[0].to, kPeer);
  EXPECT_EQ(h.sink.sent[0].bytes, "\0\6blksize\0001432\0tsize\0005000\0"sv);
}

TEST(TftpSession, InvalidOptionLeftOutOfOack) {
  Harness h;
  h.start({{"blksize", "70000"}, {"tsize", "0"}, {"timeout", "300"}}, 7);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.sent[0].bytes, "\0\6tsize\0007\0"sv);
  EXPECT_EQ(h.session.blksize(), 512);
}

TEST(TftpSession, BlksizeAndWindowsizeNeverAboveAsked) {
  SessionConfig c = test_config();
  c.limits.blksize_max = 8192;
  c.limits.windowsize_max = 16;
  Harness h(c);
  h.start({{"blksize", "1024"}, {"windowsize", "4"}}, 100000);
  EXPECT_EQ(h.sink.sent[0].bytes, "\0\6blksize\0001024\0windowsize\0004\0"sv);
  EXPECT_EQ(h.session.blksize(), 1024);
  EXPECT_EQ(h.session.windowsize(), 4);

  Harness clamped(c);
  clamped.start({{"blksize", "65464"}, {"windowsize", "64"}}, 100000);
  // 16 blocks of 8192 would overflow a default receive buffer: 9 fit (tftp_options_test).
  EXPECT_EQ(clamped.sink.sent[0].bytes, "\0\6blksize\0008192\0windowsize\0009\0"sv);
}

TEST(TftpSession, TimeoutEchoedExactlyAndCapsRto) {
  SessionConfig c = test_config();
  c.rto_initial = seconds(3);
  c.rto_max = seconds(10);
  Harness h(c);
  h.start({{"timeout", "2"}}, 100);
  EXPECT_EQ(h.sink.sent[0].bytes, "\0\6timeout\0002\0"sv);
  EXPECT_EQ(h.session.deadline() - h.clock.now(), seconds(2));
  h.sink.take();
  for (int i = 0; i < 3; ++i) {
    const Instant before = h.clock.now();
    h.expire();
    EXPECT_LE(h.clock.now() - before, seconds(2));
    EXPECT_LE(h.session.deadline() - h.clock.now(), seconds(2));
  }
}

TEST(TftpSession, OackIsAckedWithAck0ThenData) {
  Harness h;
  h.start({{"blksize", "1468"}}, 3000);
  h.sink.take();
  h.ack(1);  // not an answer to an OACK
  EXPECT_TRUE(h.sink.sent.empty());
  h.ack(0);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.sent[0].block, 1);
  EXPECT_EQ(h.sink.sent[0].length, 1468u);
}

TEST(TftpSession, RefusesWriteRequestWithError2) {
  Harness h;
  Request wrq = rrq();
  wrq.op = Opcode::wrq;
  h.session.start_read(wrq, 0, h.clock.now(), h.sink);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.sent[0].bytes.substr(0, 4), "\0\5\0\2"sv);
  EXPECT_EQ(h.session.result(), Result::refused);
  EXPECT_EQ(h.session.deadline(), kNever);
}

// --- windows, rollback and the Sorcerer's Apprentice ----------------------

TEST(TftpSession, WindowModeSendsWindowThenWaits) {
  Harness h;
  h.start({{"windowsize", "4"}}, 512 * 10);
  h.sink.take();
  h.ack(0);
  EXPECT_EQ(h.blocks(), seq(1, 4));
  h.ack(4);
  EXPECT_EQ(h.blocks(), seq(5, 8));
  h.ack(8);
  EXPECT_EQ(h.blocks(), seq(9, 11));  // 10 full blocks + the empty last one
  h.ack(11);
  EXPECT_EQ(h.session.result(), Result::ok);
}

TEST(TftpSession, AckInsideWindowRollsBackToBlockAfterIt) {
  Harness h;
  h.start({{"windowsize", "4"}}, 512 * 20);
  h.sink.take();
  h.ack(0);
  EXPECT_EQ(h.blocks(), seq(1, 4));
  h.ack(2);  // EDK2: block 3 missing, ACK of the last in-order block
  EXPECT_EQ(h.blocks(), seq(3, 6));
  EXPECT_EQ(h.session.retransmits(), 2u);    // 3 and 4 again
  EXPECT_EQ(h.session.timer_resends(), 0u);  // a roll-back, not the timer
  h.expire();                                // the timer: the window from 3 again
  EXPECT_EQ(h.blocks(), seq(3, 6));
  EXPECT_EQ(h.session.retransmits(), 6u);
  EXPECT_EQ(h.session.timer_resends(), 1u);
}

TEST(TftpSession, WindowDuplicateAckRollsBackOnlyOnce) {
  Harness h;
  h.start({{"windowsize", "4"}}, 512 * 20);
  h.sink.take();
  h.ack(0);
  EXPECT_EQ(h.blocks(), seq(1, 4));
  h.ack(4);
  EXPECT_EQ(h.blocks(), seq(5, 8));
  h.ack(4);  // block 5 lost: EDK2 repeats its last in-order ACK
  EXPECT_EQ(h.blocks(), seq(5, 8));
  h.ack(4);
  h.ack(4);
  EXPECT_TRUE(h.sink.sent.empty()) << "duplicates must not snowball";
}

// EDK2 drops every block it does not expect and ACKs its last in-order one
// (Mtftp4RrqHandleData), duplicates included. Right after a roll-back it
// still holds some of what was resent, so its next ACKs are drawn by our own
// duplicates: they slide the window instead of resending it, or every resent
// window would draw another (measured: a 1,000-client EDK2 storm with 2 %
// loss ran slower than tftpd-hpa).
struct Recovery : Harness {
  Recovery() {
    start({{"windowsize", "4"}}, 512 * 40);
    sink.take();
    clock.advance(milliseconds(10));
    ack(0);  // an RTT sample of 10 ms from the OACK
    EXPECT_EQ(blocks(), seq(1, 4));
    clock.advance(milliseconds(10));
    ack(1);  // block 2 lost
    EXPECT_EQ(blocks(), seq(2, 5));
  }
};

TEST(TftpSession, AckDrawnByOurOwnResendSlidesTheWindow) {
  Recovery h;
  h.ack(1);  // block 4 of the first window, out of order
  EXPECT_TRUE(h.sink.sent.empty());
  h.clock.advance(milliseconds(9));
  h.ack(3);  // short of the resent window, within two RTTs of it
  EXPECT_EQ(h.blocks(), seq(6, 7)) << "only blocks never sent: 4 and 5 are in flight";
  h.ack(3);
  EXPECT_TRUE(h.sink.sent.empty());
  h.ack(7);  // the whole window, in order
  EXPECT_EQ(h.blocks(), seq(8, 11));
}

TEST(TftpSession, RollBackAgainOnceTheResentWindowIsOld) {
  Recovery h;
  h.clock.advance(milliseconds(25));  // past two smoothed RTTs
  h.ack(3);                           // a client silent on duplicates: block 4 really is missing
  EXPECT_EQ(h.blocks(), seq(4, 7));
}

TEST(TftpSession, TimeoutEndsRecoverySoAShortAckRollsBack) {
  Recovery h;
  h.expire();
  EXPECT_EQ(h.blocks(), seq(2, 5));
  h.ack(3);  // 4 lost again
  EXPECT_EQ(h.blocks(), seq(4, 7));
  h.ack(3);
  EXPECT_TRUE(h.sink.sent.empty()) << "one roll-back per ACK value";
}

TEST(TftpSession, LockstepNeverResendsOnDuplicateAck) {
  Harness h;
  h.start({}, 512 * 10);
  EXPECT_EQ(h.blocks(), seq(1, 1));
  h.ack(1);
  EXPECT_EQ(h.blocks(), seq(2, 2));
  for (int i = 0; i < 5; ++i) h.ack(1);  // Sorcerer's Apprentice trigger
  EXPECT_TRUE(h.sink.sent.empty());
  EXPECT_EQ(h.session.retransmits(), 0u);
  h.ack(2);
  EXPECT_EQ(h.blocks(), seq(3, 3));
}

TEST(TftpSession, LockstepResendsOnTimeout) {
  Harness h;
  h.start({}, 512 * 10);
  h.sink.take();
  h.expire();
  EXPECT_EQ(h.blocks(), seq(1, 1));
  EXPECT_EQ(h.session.retransmits(), 1u);
  EXPECT_EQ(h.session.timer_resends(), 1u);
  h.ack(1);
  EXPECT_EQ(h.blocks(), seq(2, 2));
}

TEST(TftpSession, WindowTimeoutResendsWholeOutstandingWindow) {
  Harness h;
  h.start({{"windowsize", "3"}}, 512 * 10);
  h.sink.take();
  h.ack(0);
  h.sink.take();
  h.expire();
  EXPECT_EQ(h.blocks(), seq(1, 3));
  h.ack(4);  // never sent: ignored
  h.ack(3);
  EXPECT_EQ(h.blocks(), seq(4, 6));
}

TEST(TftpSession, StaleAndFutureAcksIgnored) {
  Harness h;
  h.start({{"windowsize", "2"}}, 512 * 10);
  h.sink.take();
  h.ack(0);
  EXPECT_EQ(h.blocks(), seq(1, 2));
  h.ack(2);
  EXPECT_EQ(h.blocks(), seq(3, 4));
  h.ack(1);      // older than the last ACK
  h.ack(5);      // not sent yet
  h.ack(60000);  // nonsense
  EXPECT_TRUE(h.sink.sent.empty());
  EXPECT_FALSE(h.session.finished());
  h.ack(4);
  EXPECT_EQ(h.blocks(), seq(5, 6));
}

TEST(TftpSession, TimerBeforeDeadlineIgnored) {
  Harness h;
  h.start({}, 100);
  h.sink.take();
  h.session.on_timer(h.session.deadline() - milliseconds(1), h.sink);
  EXPECT_TRUE(h.sink.sent.empty());
}

// --- sizes and block numbers ----------------------------------------------

TEST(TftpSession, ZeroLengthFileSendsOneEmptyBlock) {
  Harness h;
  h.start({}, 0);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.sent[0].block, 1);
  EXPECT_EQ(h.sink.sent[0].length, 0u);
  h.sink.take();
  h.ack(1);
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_TRUE(h.sink.sent.empty());
}

TEST(TftpSession, ExactMultipleOfBlksizeEndsWithEmptyBlock) {
  Harness h;
  h.start({}, 1024);
  h.sink.take();
  h.ack(1);
  h.ack(2);
  ASSERT_EQ(h.sink.sent.size(), 2u);
  EXPECT_EQ(h.sink.sent[1].block, 3);
  EXPECT_EQ(h.sink.sent[1].offset, 1024u);
  EXPECT_EQ(h.sink.sent[1].length, 0u);
  EXPECT_FALSE(h.session.finished());
  h.ack(3);
  EXPECT_EQ(h.session.result(), Result::ok);
}

TEST(TftpSession, ShortLastBlock) {
  Harness h;
  h.start({}, 1000);
  h.sink.take();
  h.ack(1);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.sent[0].offset, 512u);
  EXPECT_EQ(h.sink.sent[0].length, 488u);
  h.ack(2);
  EXPECT_EQ(h.session.result(), Result::ok);
}

TEST(TftpSession, CompletesOnlyOnFinalAck) {
  Harness h;
  h.start({{"windowsize", "8"}}, 512 * 3 + 1);
  h.sink.take();
  h.ack(0);
  EXPECT_EQ(h.blocks(), seq(1, 4));
  h.ack(3);
  EXPECT_FALSE(h.session.finished());
  EXPECT_NE(h.session.deadline(), kNever);
  h.sink.take();
  h.ack(4);
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_EQ(h.session.deadline(), kNever);
}

TEST(TftpSession, BlockNumbersWrapPast65535At512) {
  Harness h;
  const std::uint64_t size = 40ull << 20;  // > 32 MiB: 81920 blocks + 1 empty
  h.start({}, size);
  std::uint64_t expected_index = 1;
  bool saw_zero = false;
  while (!h.session.finished()) {
    ASSERT_EQ(h.sink.sent.size(), 1u);
    const Sent s = h.sink.take()[0];
    ASSERT_EQ(s.block, static_cast<std::uint16_t>(expected_index));
    ASSERT_EQ(s.offset, (expected_index - 1) * 512);
    if (s.block == 0) saw_zero = true;
    ++expected_index;
    h.ack(s.block);
  }
  EXPECT_TRUE(saw_zero);
  EXPECT_EQ(expected_index - 1, size / 512 + 1);
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_EQ(h.session.bytes_sent(), size);
  EXPECT_EQ(h.session.bytes_acked(), size);
  EXPECT_EQ(h.session.retransmits(), 0u);
}

TEST(TftpSession, FileBeyond4GiBEmitsOffsetsAbove32Bits) {
  SessionConfig c = test_config();
  c.limits.blksize_max = 65464;
  c.limits.windowsize_max = 64;
  c.limits.window_bytes_max = 0;  // no byte cap: the test wants 64 large blocks per window
  c.limits.client_receive_buffer_bytes = 0;
  Harness h(c);
  const std::uint64_t size = (5ull << 32) + 12345;
  h.start({{"blksize", "65464"}, {"windowsize", "64"}, {"tsize", "0"}}, size);
  EXPECT_EQ(h.sink.sent[0].bytes, "\0\6blksize\00065464\0windowsize\00064\0tsize\00021474848825\0"sv);
  std::uint64_t blocks = 0;
  std::uint64_t max_offset = 0;
  std::uint32_t last_length = 0;
  while (!h.session.finished()) {
    ASSERT_FALSE(h.sink.sent.empty());
    std::uint16_t last_block = 0;
    for (const Sent& s : h.sink.sent) {
      if (s.control) continue;
      ++blocks;
      ASSERT_EQ(s.offset, (blocks - 1) * 65464);
      max_offset = std::max(max_offset, s.offset);
      last_length = s.length;
      last_block = s.block;
    }
    h.sink.sent.clear();
    h.ack(last_block);
  }
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_EQ(blocks, size / 65464 + 1);
  EXPECT_GT(max_offset, 1ull << 32);
  EXPECT_EQ(max_offset + last_length, size);
  EXPECT_EQ(h.session.bytes_sent(), size);
}

TEST(TftpSession, WrapInsideAWindow) {
  Harness h;
  h.start({{"windowsize", "4"}}, 512ull * 65540);
  run_perfect_client(h);
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_EQ(h.session.retransmits(), 0u);
  EXPECT_EQ(h.session.bytes_sent(), 512ull * 65540);
}

TEST(TftpSession, RollbackAcrossWrap) {
  Harness h;
  h.start({{"windowsize", "4"}}, 512ull * 70000);
  h.sink.take();
  h.ack(0);
  // Advance to just before the wrap: acked 65532, window 65533..65536 (0).
  for (std::uint32_t acked = 4; acked <= 65532; acked += 4) {
    h.sink.take();
    h.ack(static_cast<std::uint16_t>(acked));
  }
  EXPECT_EQ(h.blocks(), (std::vector<std::uint16_t>{65533, 65534, 65535, 0}));
  h.ack(65534);
  EXPECT_EQ(h.blocks(), (std::vector<std::uint16_t>{65535, 0, 1, 2}));
  h.ack(0);
  EXPECT_EQ(h.blocks(), (std::vector<std::uint16_t>{1, 2, 3, 4}));
  EXPECT_EQ(h.sink.sent.size(), 0u);
}

// --- errors from the client, strangers, probes ----------------------------

TEST(TftpSession, ErrorAfterOackIsProbe) {
  for (std::uint16_t code : {std::uint16_t{0}, std::uint16_t{8}}) {
    Harness h;
    h.start({{"tsize", "0"}, {"blksize", "1468"}, {"windowsize", "4"}}, 1 << 20);
    h.sink.take();
    h.datagram(error_bytes(code));
    EXPECT_EQ(h.session.result(), Result::probe) << "code " << code;
    EXPECT_TRUE(h.sink.sent.empty()) << "never answer an ERROR";
    EXPECT_EQ(h.session.deadline(), kNever);
  }
}

TEST(TftpSession, OtherErrorsAreClientErrors) {
  {
    Harness h;  // a different code right after the OACK
    h.start({{"tsize", "0"}}, 100);
    h.datagram(error_bytes(4));
    EXPECT_EQ(h.session.result(), Result::client_error);
  }
  {
    Harness h;  // ERROR 8 after data was acknowledged
    h.start({{"tsize", "0"}}, 5000);
    h.ack(0);
    h.ack(1);
    h.datagram(error_bytes(8));
    EXPECT_EQ(h.session.result(), Result::client_error);
  }
  {
    Harness h;  // no OACK: no probe possible
    h.start({}, 5000);
    h.datagram(error_bytes(0));
    EXPECT_EQ(h.session.result(), Result::client_error);
  }
}

TEST(TftpSession, ForeignTidGetsError5AndSessionUntouched) {
  Harness h;
  h.start({}, 5000);
  h.sink.take();
  const Instant deadline = h.session.deadline();
  h.datagram(ack_bytes(1), kStranger);
  h.datagram(error_bytes(0), Endpoint{kPeer.ip, static_cast<std::uint16_t>(kPeer.port + 1)});
  ASSERT_EQ(h.sink.sent.size(), 2u);
  EXPECT_EQ(h.sink.sent[0].to, kStranger);
  EXPECT_EQ(h.sink.sent[0].bytes.substr(0, 4), "\0\5\0\5"sv);
  EXPECT_EQ(h.sink.sent[1].to.port, kPeer.port + 1);
  h.sink.take();
  EXPECT_FALSE(h.session.finished());
  EXPECT_EQ(h.session.deadline(), deadline);
  h.ack(1);
  EXPECT_EQ(h.blocks(), seq(2, 2));
}

TEST(TftpSession, MalformedFromPeerIgnoredAndCounted) {
  Harness h;
  h.start({}, 5000);
  h.sink.take();
  h.datagram(std::string("\0\4\0"sv));
  h.datagram(std::string("\0\3\0\1xyz"sv));
  h.datagram(std::string("\0\1f\0octet\0"sv));
  h.datagram(std::string());
  EXPECT_TRUE(h.sink.sent.empty());
  EXPECT_FALSE(h.session.finished());
  EXPECT_EQ(h.session.ignored(), 4u);
}

TEST(TftpSession, FinishedSessionIgnoresEverything) {
  Harness h;
  h.start({}, 10);
  h.ack(1);
  ASSERT_EQ(h.session.result(), Result::ok);
  h.sink.take();
  h.ack(1);
  h.datagram(ack_bytes(1), kStranger);
  h.session.on_timer(h.clock.now() + seconds(100), h.sink);
  EXPECT_TRUE(h.sink.sent.empty());
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_EQ(h.session.deadline(), kNever);
}

// --- retransmission, RTT and giving up -------------------------------------

TEST(TftpSession, SilentClientTimesOutAfterBoundedRetries) {
  SessionConfig c = test_config();
  c.retries_max = 6;
  c.patience_min = Duration::zero();
  Harness h(c);
  h.start({}, 5000);
  h.sink.take();
  for (int i = 0; i < 6; ++i) {
    h.expire();
    EXPECT_EQ(h.blocks(), seq(1, 1)) << "retry " << i;
  }
  h.expire();
  EXPECT_EQ(h.session.result(), Result::timed_out);
  EXPECT_EQ(h.session.deadline(), kNever);
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.sent[0].bytes, "\0\5\0\0timeout\0"sv);
  EXPECT_EQ(h.session.retransmits(), 6u);
  EXPECT_EQ(h.session.bytes_sent(), 7u * 512);
}

TEST(TftpSession, OackRetransmittedOnTimeout) {
  SessionConfig c = test_config();
  c.retries_max = 2;
  c.patience_min = Duration::zero();
  Harness h(c);
  h.start({{"tsize", "0"}}, 5000);
  const std::string oack = h.sink.take()[0].bytes;
  h.expire();
  ASSERT_EQ(h.sink.sent.size(), 1u);
  EXPECT_EQ(h.sink.take()[0].bytes, oack);
  h.expire();
  h.sink.take();
  h.expire();
  EXPECT_EQ(h.session.result(), Result::timed_out);
  EXPECT_EQ(h.session.retransmits(), 2u);
}

TEST(TftpSession, PatienceKeepsSlowClientAlive) {
  SessionConfig c = test_config();
  c.retries_max = 2;
  c.patience_min = seconds(5);
  c.rto_initial = milliseconds(100);
  c.rto_max = milliseconds(400);
  Harness h(c);
  h.start({}, 5000);
  while (!h.session.finished()) h.expire();
  EXPECT_GE(h.clock.now() - h.session.started(), seconds(5));
  EXPECT_LT(h.clock.now() - h.session.started(), seconds(6));
}

TEST(TftpSession, ProgressResetsRetryCount) {
  SessionConfig c = test_config();
  c.retries_max = 2;
  c.patience_min = Duration::zero();
  Harness h(c);
  h.start({}, 512 * 10);
  for (std::uint16_t b = 1; b <= 5; ++b) {
    h.expire();
    h.expire();  // two retries per block, never a third
    h.ack(b);
  }
  EXPECT_FALSE(h.session.finished());
  EXPECT_EQ(h.session.retransmits(), 10u);
}

TEST(TftpSession, RtoAdaptsToFastClient) {
  Harness h;
  h.start({}, 512 * 50);
  EXPECT_EQ(h.session.deadline() - h.clock.now(), seconds(1));
  run_perfect_client(h, microseconds(200));
  // Sampled RTTs of 0.2 ms clamp the RTO to its 20 ms floor.
  EXPECT_EQ(h.session.rto(), milliseconds(20));
}

TEST(TftpSession, RetransmitUsesRtoAndBacksOff) {
  Harness h;
  h.start({}, 512 * 50);
  for (int b = 1; b <= 5; ++b) {
    h.clock.advance(microseconds(200));
    h.ack(static_cast<std::uint16_t>(b));
  }
  h.sink.take();
  EXPECT_EQ(h.session.deadline() - h.clock.now(), milliseconds(20));
  h.expire();
  EXPECT_EQ(h.blocks(), seq(6, 6));
  EXPECT_EQ(h.session.deadline() - h.clock.now(), milliseconds(40));
}

TEST(TftpSession, KarnNoRttSampleFromRetransmittedBlock) {
  Harness h;
  h.start({}, 512 * 50);
  h.expire();  // block 1 resent after 1 s, RTO backed off to 2 s
  const Duration backed_off = h.session.rto();
  EXPECT_EQ(backed_off, seconds(2));
  h.clock.advance(microseconds(100));
  h.ack(1);  // ambiguous: which copy is this for? no sample
  EXPECT_EQ(h.session.rto(), backed_off);
  h.clock.advance(microseconds(100));
  h.ack(2);  // block 2 was sent once: sampled
  EXPECT_EQ(h.session.rto(), milliseconds(20));
}

TEST(TftpSession, KarnNoRttSampleFromRetransmittedOack) {
  Harness h;
  h.start({{"tsize", "0"}}, 512 * 50);
  h.expire();
  const Duration backed_off = h.session.rto();
  h.clock.advance(microseconds(100));
  h.ack(0);
  EXPECT_EQ(h.session.rto(), backed_off);
}

TEST(TftpSession, OackRttSampled) {
  Harness h;
  h.start({{"tsize", "0"}}, 512 * 50);
  h.clock.advance(microseconds(100));
  h.ack(0);
  EXPECT_EQ(h.session.rto(), milliseconds(20));
}

TEST(TftpSession, AccountingAfterLossyTransfer) {
  Harness h;
  h.start({{"windowsize", "4"}, {"blksize", "1000"}}, 10000);  // 10 full blocks + empty block 11
  EXPECT_EQ(h.session.file_size(), 10000u);
  h.ack(0);
  h.ack(2);  // rollback: 3,4 resent + 5,6 new
  h.ack(6);
  h.expire();  // 7..10 resent
  h.ack(10);
  h.ack(11);
  EXPECT_EQ(h.session.result(), Result::ok);
  EXPECT_EQ(h.session.retransmits(), 2u + 4u);
  EXPECT_EQ(h.session.bytes_sent(), 10000u + 6u * 1000u);
  EXPECT_EQ(h.session.bytes_acked(), 10000u);
  EXPECT_EQ(h.session.started(), Harness{}.clock.now());
}

TEST(TftpSession, StartedRecordsStartTime) {
  Harness h;
  h.clock.advance(seconds(42));
  const Instant t = h.clock.now();
  h.start({}, 1);
  EXPECT_EQ(h.session.started(), t);
}

TEST(TftpSession, ResultNames) {
  for (auto r : {Result::active, Result::ok, Result::timed_out, Result::client_error, Result::probe, Result::refused}) {
    EXPECT_FALSE(to_string(r).empty());
  }
}

}  // namespace
}  // namespace ringboot::tftp
