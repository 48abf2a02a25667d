#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tftp/upload.h"
#include "tftp_test_defaults.h"

namespace ringboot::tftp {
namespace {

using namespace std::string_view_literals;
using std::chrono::milliseconds;

struct Control {
  Endpoint to;
  std::string bytes;
};

class RecordingUploadSink final : public UploadSink {
 public:
  void send_control(Endpoint to, Bytes packet) override {
    sent.push_back({to, std::string(reinterpret_cast<const char*>(packet.data()), packet.size())});
  }
  bool write(std::uint64_t offset, Bytes data) override {
    ++writes;
    if (fail_writes) return false;
    if (file.size() < offset + data.size()) file.resize(offset + data.size());
    file.replace(offset, data.size(), reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  std::vector<Control> take() { return std::exchange(sent, {}); }
  std::vector<Control> sent;
  std::string file;
  int writes = 0;
  bool fail_writes = false;
};

const Endpoint kPeer{Ipv4{0x0a000002}, 2070};
const Endpoint kStranger{Ipv4{0x0a000003}, 2070};

std::string ack_bytes(std::uint16_t block) {
  return std::string("\0\4"sv) + static_cast<char>(block >> 8) + static_cast<char>(block & 0xff);
}
std::string data_bytes(std::uint16_t block, const std::string& payload) {
  return std::string("\0\3"sv) + static_cast<char>(block >> 8) + static_cast<char>(block & 0xff) + payload;
}
std::uint16_t error_code(const std::string& packet) {
  EXPECT_GE(packet.size(), 4u);
  EXPECT_EQ(packet.substr(0, 2), "\0\5"sv);
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(packet[2]) << 8) | static_cast<std::uint8_t>(packet[3]));
}

UploadConfig test_config() {
  UploadConfig c = test_upload_config();
  c.rto_min = milliseconds(20);
  c.bytes_max = 4096;
  return c;
}

struct Harness {
  explicit Harness(UploadConfig c = test_config()) : config(c), upload(config, kPeer) {}

  void start(std::vector<Option> options = {}, Mode mode = Mode::octet, Opcode op = Opcode::wrq) {
    upload.start(Request{op, "f", mode, std::move(options)}, clock.now(), sink);
  }
  void datagram(const std::string& bytes, Endpoint from = kPeer) {
    upload.on_datagram(from, as_bytes(bytes), clock.now(), sink);
  }
  void data(std::uint16_t block, const std::string& payload) { datagram(data_bytes(block, payload)); }
  void expire() {
    ASSERT_NE(upload.deadline(), kNever);
    clock.advance(upload.deadline() - clock.now());
    upload.on_timer(clock.now(), sink);
  }
  // The one control packet sent since the last call.
  std::string one() {
    auto sent = sink.take();
    EXPECT_EQ(sent.size(), 1u);
    return sent.empty() ? std::string() : sent[0].bytes;
  }

  UploadConfig config;
  FakeClock clock;
  RecordingUploadSink sink;
  Upload upload;
};

TEST(TftpUpload, InOrderWrite) {
  Harness h;
  h.start();
  EXPECT_EQ(h.one(), ack_bytes(0));
  const std::string a(512, 'a'), b(512, 'b'), c(100, 'c');
  h.data(1, a);
  EXPECT_EQ(h.one(), ack_bytes(1));
  h.data(2, b);
  EXPECT_EQ(h.one(), ack_bytes(2));
  EXPECT_FALSE(h.upload.finished());
  h.data(3, c);
  EXPECT_EQ(h.one(), ack_bytes(3));
  EXPECT_TRUE(h.upload.complete());
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.sink.file, a + b + c);
  EXPECT_EQ(h.upload.bytes_received(), 1124u);
  // Dally: a resent final block is ACKed again, not written; then the session ends.
  EXPECT_FALSE(h.upload.finished());
  h.data(3, c);
  EXPECT_EQ(h.one(), ack_bytes(3));
  EXPECT_EQ(h.sink.writes, 3);
  h.expire();
  EXPECT_TRUE(h.sink.take().empty());
  EXPECT_TRUE(h.upload.finished());
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.upload.deadline(), kNever);
}

TEST(TftpUpload, ExactMultipleEndsWithEmptyBlock) {
  Harness h;
  h.start();
  h.sink.take();
  h.data(1, std::string(512, 'x'));
  EXPECT_EQ(h.one(), ack_bytes(1));
  EXPECT_FALSE(h.upload.finished());
  h.data(2, "");
  EXPECT_EQ(h.one(), ack_bytes(2));
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.sink.file.size(), 512u);
  EXPECT_EQ(h.sink.writes, 1);  // an empty block writes nothing
}

TEST(TftpUpload, ShortFirstBlockEnds) {
  Harness h;
  h.start();
  h.sink.take();
  h.data(1, "z");
  EXPECT_EQ(h.one(), ack_bytes(1));
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.sink.file, "z");
}

TEST(TftpUpload, DuplicateDataReAckedNotWrittenTwice) {
  Harness h;
  h.start();
  h.sink.take();
  h.data(1, std::string(512, 'a'));
  EXPECT_EQ(h.one(), ack_bytes(1));
  h.data(1, std::string(512, 'Z'));  // our ACK 1 was lost
  EXPECT_EQ(h.one(), ack_bytes(1));
  EXPECT_EQ(h.sink.writes, 1);
  EXPECT_EQ(h.sink.file, std::string(512, 'a'));
  EXPECT_EQ(h.upload.retransmits(), 1u);
  h.data(3, "out of order");  // dropped
  EXPECT_TRUE(h.sink.take().empty());
  EXPECT_EQ(h.upload.ignored(), 1u);
  h.data(2, "end");
  EXPECT_EQ(h.one(), ack_bytes(2));
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.sink.file, std::string(512, 'a') + "end");
}

TEST(TftpUpload, SizeCapOnReceivedBytes) {
  Harness h;  // bytes_max 4096
  h.start();
  h.sink.take();
  for (std::uint16_t b = 1; b <= 8; ++b) {
    h.data(b, std::string(512, 'q'));
    EXPECT_EQ(h.one(), ack_bytes(b));
  }
  h.data(9, "x");  // 4097 bytes
  EXPECT_EQ(error_code(h.one()), 3);
  EXPECT_EQ(h.upload.result(), Result::failed);
  EXPECT_EQ(h.sink.file.size(), 4096u);
}

TEST(TftpUpload, AnnouncedTsizeOverCapRefused) {
  Harness h;
  h.start({{"tsize", "4097"}});
  EXPECT_EQ(error_code(h.one()), 3);
  EXPECT_EQ(h.upload.result(), Result::refused);
  EXPECT_EQ(h.sink.writes, 0);
}

TEST(TftpUpload, OackContents) {
  Harness h;
  h.start({{"blksize", "1024"}, {"windowsize", "8"}, {"tsize", "3000"}, {"timeout", "3"}, {"foo", "1"}});
  EXPECT_EQ(h.one(), "\0\6blksize\0001024\0tsize\0003000\0timeout\0003\0"sv);
  EXPECT_EQ(h.upload.blksize(), 1024);
  // DATA 1 acknowledges the OACK.
  h.data(1, std::string(1024, 'a'));
  EXPECT_EQ(h.one(), ack_bytes(1));
  h.data(2, std::string(1000, 'b'));
  EXPECT_EQ(h.one(), ack_bytes(2));
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.sink.file.size(), 2024u);
}

TEST(TftpUpload, WindowsizeAloneGivesAck0) {
  Harness h;
  h.start({{"windowsize", "16"}});
  EXPECT_EQ(h.one(), ack_bytes(0));
}

TEST(TftpUpload, BlksizeCappedByLimits) {
  UploadConfig c = test_config();
  c.limits.blksize_max = 1468;
  Harness h(c);
  h.start({{"blksize", "65464"}});
  EXPECT_EQ(h.one(), "\0\6blksize\0001468\0"sv);
}

TEST(TftpUpload, OackResentOnTimeout) {
  Harness h;
  h.start({{"tsize", "10"}});
  const std::string oack = h.one();
  h.expire();
  EXPECT_EQ(h.one(), oack);
  EXPECT_EQ(h.upload.retransmits(), 1u);
}

TEST(TftpUpload, TimeoutRetriesThenFailure) {
  UploadConfig c = test_config();
  c.retries_max = 3;
  c.patience_min = milliseconds(0);
  Harness h(c);
  h.start();
  h.sink.take();
  h.data(1, std::string(512, 'a'));
  EXPECT_EQ(h.one(), ack_bytes(1));
  for (int i = 0; i < 3; ++i) {
    h.expire();
    EXPECT_EQ(h.one(), ack_bytes(1)) << "retry " << i;
  }
  EXPECT_FALSE(h.upload.finished());
  h.expire();
  EXPECT_EQ(error_code(h.one()), 0);
  EXPECT_EQ(h.upload.result(), Result::timed_out);
  EXPECT_EQ(h.upload.retransmits(), 3u);
  EXPECT_FALSE(h.upload.finished());  // lingers so the ERROR leaves the socket
  h.expire();
  EXPECT_TRUE(h.upload.finished());
  EXPECT_TRUE(h.sink.take().empty());
}

TEST(TftpUpload, PatienceKeepsWaiting) {
  UploadConfig c = test_config();
  c.retries_max = 1;
  c.patience_min = seconds(5);
  Harness h(c);
  h.start();
  h.sink.take();
  h.expire();
  h.expire();  // past retries, but within patience: resend again
  EXPECT_FALSE(h.upload.finished());
  while (h.upload.result() == Result::active) h.expire();
  EXPECT_EQ(h.upload.result(), Result::timed_out);
  EXPECT_GE(h.clock.now() - h.upload.started(), seconds(5));
}

TEST(TftpUpload, WriteErrorIsDiskFull) {
  Harness h;
  h.start();
  h.sink.take();
  h.sink.fail_writes = true;
  h.data(1, "abc");
  EXPECT_EQ(error_code(h.one()), 3);
  EXPECT_EQ(h.upload.result(), Result::failed);
}

TEST(TftpUpload, StrangerGetsUnknownTid) {
  Harness h;
  h.start();
  h.sink.take();
  h.datagram(data_bytes(1, "abc"), kStranger);
  auto sent = h.sink.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kStranger);
  EXPECT_EQ(error_code(sent[0].bytes), 5);
  EXPECT_FALSE(h.upload.finished());
  EXPECT_EQ(h.sink.writes, 0);
}

TEST(TftpUpload, ClientErrorEnds) {
  Harness h;
  h.start();
  h.sink.take();
  h.datagram(std::string("\0\5\0\0bye\0"sv));
  EXPECT_TRUE(h.sink.take().empty());
  EXPECT_EQ(h.upload.result(), Result::client_error);
}

TEST(TftpUpload, OversizedBlockIsIllegal) {
  Harness h;
  h.start();
  h.sink.take();
  h.data(1, std::string(513, 'a'));
  EXPECT_EQ(error_code(h.one()), 4);
  EXPECT_EQ(h.upload.result(), Result::failed);
}

TEST(TftpUpload, NetasciiAndReadRefused) {
  Harness h;
  h.start({}, Mode::netascii);
  EXPECT_EQ(error_code(h.one()), 0);
  EXPECT_EQ(h.upload.result(), Result::refused);
  Harness r;
  r.start({}, Mode::octet, Opcode::rrq);
  EXPECT_EQ(error_code(r.one()), 4);
  EXPECT_EQ(r.upload.result(), Result::refused);
}

TEST(TftpUpload, BlockNumbersWrap) {
  UploadConfig c = test_config();
  c.bytes_max = std::uint64_t{1} << 30;
  c.limits.blksize_max = 8;
  Harness h(c);
  h.start({{"blksize", "8"}});
  h.sink.take();
  const std::string block(8, 'w');
  for (std::uint32_t i = 1; i <= 70000; ++i) {
    h.data(static_cast<std::uint16_t>(i), block);
    ASSERT_EQ(h.sink.take().size(), 1u);
  }
  h.data(static_cast<std::uint16_t>(70001), "");
  EXPECT_EQ(h.upload.result(), Result::ok);
  EXPECT_EQ(h.upload.bytes_received(), 70000u * 8);
}

}  // namespace
}  // namespace ringboot::tftp
