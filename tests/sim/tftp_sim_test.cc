// Many simulated TFTP clients (EDK2, iPXE, plain; a tiny-block profile for
// block-number wrap) against tftp::Session and tftp::Admission over a
// seeded lossy network. The server side plays the glue's part
// (src/app/tftp_service.cc): admission, one port per session, timers at
// deadline(), release on finish; DATA comes from file_byte(), so a block
// from the wrong offset never verifies.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "../unit/tftp_test_defaults.h"
#include "sim.h"
#include "tftp/admission.h"
#include "tftp/options.h"
#include "tftp/packet.h"
#include "tftp/session.h"

namespace ringboot::sim {
namespace {

using tftp::ErrorCode;
using tftp::Option;

const Ipv4 kServerIp{0x0a000001};
constexpr std::uint16_t kTftpPort = 69;
const Endpoint kListen{kServerIp, kTftpPort};

std::uint64_t key(Endpoint e) { return (std::uint64_t{e.ip.v4().value} << 16) | e.port; }

struct SimFile {
  std::string name;
  std::uint32_t id = 0;
  std::uint64_t size = 0;
  bool exists = true;
};

enum class Kind : std::uint8_t { edk2, ipxe, plain, tiny };

struct Profile {
  Kind kind = Kind::plain;
  std::string_view name;
  std::vector<Option> options;  // the transfer's RRQ
  bool size_probe = false;      // EDK2: RRQ with tsize only, ERROR 8 on the OACK
  Duration timeout{};
  Duration timeout_max{};  // backoff doubles up to here
  int tries = 0;           // timeouts without progress before giving up
  bool dally = false;      // keep the port to re-ACK a resent final block
};

Profile edk2() {
  return {Kind::edk2, "edk2", {{"blksize", "1468"}, {"windowsize", "4"}}, true, seconds(4), seconds(4), 6, false};
}
Profile ipxe() {
  // iPXE's retry timer: 1/4 s doubling, gives up once it would exceed 10 s.
  return {Kind::ipxe, "ipxe", {{"blksize", "1432"}, {"tsize", "0"}}, false, milliseconds(250), seconds(8), 6, false};
}
Profile plain() { return {Kind::plain, "plain", {}, false, seconds(2), seconds(2), 5, true}; }
Profile tiny(std::uint16_t windowsize) {
  return {Kind::tiny, "tiny",     {{"blksize", "8"}, {"windowsize", std::to_string(windowsize)}, {"tsize", "0"}},
          false,      seconds(1), seconds(1),
          8,          false};
}

enum class Outcome : std::uint8_t { running, complete, error, gave_up };
std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::running:
      return "running";
    case Outcome::complete:
      return "complete";
    case Outcome::error:
      return "error";
    case Outcome::gave_up:
      return "gave_up";
  }
  return "?";
}

enum class Phase : std::uint8_t { probe, request, transfer, dally, backoff, done };

struct Client {
  int id = 0;
  Profile profile;
  const SimFile* file = nullptr;
  Ipv4 ip;
  Endpoint self;
  Instant start_at{};
  Phase phase = Phase::probe;
  std::optional<Endpoint> tid;
  std::uint16_t blksize = tftp::kBlksizeDefault;
  std::uint16_t windowsize = 1;
  std::optional<std::uint64_t> tsize;
  std::uint64_t next = 1;         // next in-order block index
  std::uint64_t window_base = 0;  // EDK2: last block ACKed
  std::uint64_t gap_acked_for = 0;
  std::map<std::uint64_t, std::size_t> ahead;  // iPXE keeps blocks past a gap: index -> length
  std::uint64_t bytes = 0;                     // in-order bytes verified
  std::uint64_t final_block = 0;               // index of the short block once seen
  std::vector<std::uint8_t> last_packet;
  Endpoint last_to;
  int timeouts = 0;
  Duration timeout{};
  std::uint64_t timer_generation = 0;
  std::uint64_t losses_in_streak = 0;  // datagrams to/from us lost since the last progress
  int busy_retries = 0;
  Outcome outcome = Outcome::running;
  std::uint16_t error_code = 0;
  std::string error_text;
  Instant finished_at{};
};

struct ServerSession;

class Sim;

class SessionSink final : public tftp::Sink {
 public:
  SessionSink(Sim& sim, ServerSession& s) : sim_(sim), s_(s) {}
  void send_control(Endpoint to, Bytes packet) override;
  void send_block(std::uint16_t block, std::uint64_t offset, std::uint32_t length) override;

 private:
  Sim& sim_;
  ServerSession& s_;
};

struct ServerSession {
  std::unique_ptr<tftp::Session> session;
  Endpoint local;
  Endpoint peer;
  const SimFile* file = nullptr;
  Instant started{};
  Instant last_rx{};
  Instant finished_at{};
  Instant scheduled = kNever;
  bool closed = false;
  std::uint64_t data_sent = 0;
};

struct Scenario {
  int clients_min = 8, clients_max = 40;
  bool lossless = false;
  bool wrap = false;  // one tiny-block client, a file past 65536 blocks
};

// 65536 tiny blocks take hours of virtual time when 15% of them are lost: cap the loss there.
NetConfig net_for(World& world, const Scenario& scenario) {
  NetConfig c = random_net(world, scenario.lossless || scenario.wrap, seconds(30));
  if (scenario.wrap) c.loss = world.real(0.0, 0.02);
  return c;
}

class Sim {
 public:
  Sim(std::uint64_t seed, const Scenario& scenario)
      : world_(seed * 0x2545F4914F6CDD1DULL + (scenario.lossless ? 11
                                               : scenario.wrap   ? 23
                                                                 : 1)),
        net_(world_, net_for(world_, scenario)),
        scenario_(scenario) {
    configure();
    net_.deliver = [this](const Datagram& d) { route(d); };
    net_.on_loss = [this](const Datagram& d) {
      for (Endpoint e : {d.from, d.to})
        if (auto it = client_by_endpoint_.find(key(e)); it != client_by_endpoint_.end())
          ++clients_[it->second].losses_in_streak;
    };
  }

  RunReport run() {
    for (Client& c : clients_) world_.at(c.start_at, [this, &c] { begin(c); });
    const bool quiesced = world_.run(world_.start() + std::chrono::hours(scenario_.wrap ? 12 : 2));
    if (!quiesced) v().add("did not quiesce: ", world_.pending(), " events pending at ", ms(world_.elapsed()));
    check_end();
    report_.summary = summary();
    return std::move(report_);
  }

  // --- server side (the glue) ---
  void server_send(const ServerSession& s, Endpoint to, Bytes packet) { net_.send(s.local, to, packet); }
  void server_send_block(ServerSession& s, std::uint16_t block, std::uint64_t offset, std::uint32_t length) {
    if (offset + length > s.file->size)
      v().add("session ", s.local.port, " sent block ", block, " past the end of ", s.file->name);
    std::vector<std::uint8_t> packet(4 + length);
    const auto header = tftp::build_data_header(block);
    std::copy(header.begin(), header.end(), packet.begin());
    for (std::uint32_t i = 0; i < length; ++i) packet[4 + i] = file_byte(s.file->id, offset + i);
    ++s.data_sent;
    net_.send(s.local, s.peer, packet);
  }

 private:
  Violations& v() { return report_.violations; }

  void configure() {
    // Server.
    config_ = tftp::test_session_config();
    config_.rto_min = milliseconds(20);
    config_.rto_max = world_.between(milliseconds(300), seconds(3));
    config_.rto_initial = world_.between(milliseconds(100), seconds(1));
    config_.retries_max = static_cast<int>(world_.uniform(1, 6));
    config_.patience_min = world_.between(milliseconds(500), seconds(6));
    if (world_.chance(0.3)) config_.limits.windowsize_max = static_cast<std::uint16_t>(world_.uniform(1, 8));
    if (world_.chance(0.2)) config_.limits.blksize_max = static_cast<std::uint16_t>(world_.uniform(512, 1468));

    // Files: edge sizes around block boundaries, and a missing one.
    const std::vector<std::uint64_t> edges = {0,    1,    7,    8,    511,      512,          513,        1024,
                                              1432, 1468, 1469, 2936, 4 * 1468, 4 * 1468 + 1, 5872 + 1468};
    const int nfiles = scenario_.wrap ? 1 : 6;
    for (int i = 0; i < nfiles; ++i) {
      SimFile f;
      f.id = static_cast<std::uint32_t>(i + 1);
      f.name = fmt::format("boot/file{}.efi", i);
      if (scenario_.wrap)
        f.size = 65536ULL * 8 + world_.uniform(0, 100);
      else
        f.size = world_.chance(0.5) ? world_.pick(edges) : world_.uniform(0, 160 * 1024);
      files_.push_back(f);
    }
    if (!scenario_.wrap) files_.push_back(SimFile{"missing.efi", 99, 0, false});

    // Clients: several may share an address (per_client_max).
    const auto n = scenario_.wrap ? 1 : static_cast<int>(world_.uniform(scenario_.clients_min, scenario_.clients_max));
    const auto addresses = world_.uniform(std::max(1, n / 3), n);
    // Sometimes far fewer slots than clients: refusals, busy retries, per-address limits.
    const auto slots_max = world_.chance(0.4) ? std::max(2, n / 4) : n + 4;
    sessions_max_ = scenario_.wrap ? 4 : world_.uniform(2, static_cast<std::uint64_t>(slots_max));
    per_client_max_ = world_.uniform(1, 4);
    admission_.emplace(sessions_max_, per_client_max_);
    clients_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      Client& c = clients_[static_cast<std::size_t>(i)];
      c.id = i;
      const auto r = world_.uniform(0, 9);
      c.profile = scenario_.wrap ? tiny(static_cast<std::uint16_t>(world_.uniform(1, 16)))
                  : r < 4        ? edk2()
                  : r < 7        ? ipxe()
                                 : plain();
      c.file = &files_[world_.uniform(0, files_.size() - 1)];
      c.ip = Ipv4{0x0a000100u + static_cast<std::uint32_t>(world_.uniform(1, addresses))};
      c.start_at = world_.start() + world_.between(Duration::zero(), seconds(10));
    }
  }

  // --- clients ---
  Endpoint new_port(Client& c) {
    const Endpoint e{c.ip, static_cast<std::uint16_t>(next_port_[c.ip.value]++ + 1024)};
    client_by_endpoint_[key(e)] = static_cast<std::size_t>(c.id);
    owner_of_[key(e)] = static_cast<std::size_t>(c.id);
    return e;
  }

  void begin(Client& c) {
    c.self = new_port(c);
    c.tid.reset();
    c.next = 1;
    c.window_base = 0;
    c.gap_acked_for = 0;
    c.ahead.clear();
    c.bytes = 0;
    c.blksize = tftp::kBlksizeDefault;
    c.windowsize = 1;
    c.tsize.reset();
    if (c.profile.size_probe && c.phase == Phase::probe) {
      send_rrq(c, {{"tsize", "0"}});
    } else {
      c.phase = Phase::request;
      send_rrq(c, c.profile.options);
    }
  }

  void send_rrq(Client& c, const std::vector<Option>& options) {
    std::vector<std::uint8_t> p = {0, 1};
    auto put = [&p](std::string_view s) {
      p.insert(p.end(), s.begin(), s.end());
      p.push_back(0);
    };
    put(c.file->name);
    put("octet");
    for (const Option& o : options) {
      put(o.name);
      put(o.value);
    }
    client_send(c, kListen, std::move(p));
    progress(c);
  }

  void client_send(Client& c, Endpoint to, std::vector<std::uint8_t> packet) {
    c.last_packet = std::move(packet);
    c.last_to = to;
    net_.send(c.self, to, c.last_packet);
  }

  void send_ack(Client& c, std::uint64_t index) {
    std::array<std::uint8_t, 4> buf;
    const Bytes b = tftp::build_ack(static_cast<std::uint16_t>(index), buf);
    client_send(c, *c.tid, std::vector<std::uint8_t>(b.begin(), b.end()));
  }

  void send_error_from(Client& c, Endpoint to, ErrorCode code) {
    std::array<std::uint8_t, 64> buf;
    const Bytes b = tftp::build_error(code, "sim", buf);
    net_.send(c.self, to, b);
  }

  // Progress: reset the retry budget and re-arm.
  void progress(Client& c) {
    c.timeouts = 0;
    c.losses_in_streak = 0;
    c.timeout = c.profile.timeout;
    arm(c);
  }

  void arm(Client& c) {
    const std::uint64_t generation = ++c.timer_generation;
    world_.after(c.timeout, [this, &c, generation] {
      if (generation == c.timer_generation) on_client_timeout(c);
    });
  }

  void on_client_timeout(Client& c) {
    if (c.phase == Phase::done || c.phase == Phase::backoff) return;
    if (c.phase == Phase::dally) return finish(c, Outcome::complete);
    if (++c.timeouts > c.profile.tries) {
      if (c.losses_in_streak == 0)
        v().add("client ", c.id, " (", c.profile.name, ", ", c.file->name, ") gave up at block ", c.next,
                " though nothing to or from it was lost since its last progress");
      return finish(c, Outcome::gave_up);
    }
    net_.send(c.self, c.last_to, c.last_packet);
    c.timeout = std::min(c.timeout * 2, c.profile.timeout_max);
    arm(c);
  }

  void finish(Client& c, Outcome outcome) {
    c.outcome = outcome;
    c.phase = Phase::done;
    c.finished_at = world_.now();
    ++c.timer_generation;
    client_by_endpoint_.erase(key(c.self));  // the port closes: later datagrams are dropped
  }

  void on_client_datagram(Client& c, const Datagram& d) {
    if (c.phase == Phase::done || c.phase == Phase::backoff) return;
    const tftp::SessionPacket packet = tftp::parse_packet(d.bytes);
    // OACK is not a SessionPacket (clients never receive one on a server): look at the opcode first.
    const bool oack = d.bytes.size() >= 2 && d.bytes[0] == 0 && d.bytes[1] == 6;
    if (d.from == kListen) {  // refusals come from the listening port
      if (const auto* e = std::get_if<tftp::ErrorPacket>(&packet); e && !c.tid) return on_refusal(c, *e);
      return;
    }
    if (!c.tid) {
      if (c.phase != Phase::probe && c.phase != Phase::request) return;
      c.tid = d.from;
    } else if (d.from != *c.tid) {
      send_error_from(c, d.from, ErrorCode::unknown_tid);  // RFC 1350: a stray TID
      return;
    }
    if (oack) return on_oack(c, d.bytes);
    if (const auto* e = std::get_if<tftp::ErrorPacket>(&packet)) {
      c.error_code = static_cast<std::uint16_t>(e->code);
      c.error_text = std::string(e->message);
      if (c.phase == Phase::dally) return finish(c, Outcome::complete);
      return finish(c, Outcome::error);
    }
    if (const auto* data = std::get_if<tftp::Data>(&packet)) return on_data(c, *data);
    v().add("client ", c.id, " got an unexpected packet from the server");
  }

  void on_refusal(Client& c, const tftp::ErrorPacket& e) {
    if (e.code == ErrorCode::undefined && c.busy_retries < 10) {  // busy: a boot ROM tries again later
      ++c.busy_retries;
      ++c.timer_generation;
      const Phase resume = c.phase;
      client_by_endpoint_.erase(key(c.self));
      c.phase = Phase::backoff;
      world_.after(world_.between(milliseconds(500), seconds(3)), [this, &c, resume] {
        c.phase = resume;
        begin(c);
      });
      return;
    }
    c.error_code = static_cast<std::uint16_t>(e.code);
    c.error_text = std::string(e.message);
    if (e.code == ErrorCode::file_not_found && c.file->exists)
      v().add("client ", c.id, " got file-not-found for ", c.file->name, " which exists");
    finish(c, Outcome::error);
  }

  void on_oack(Client& c, const std::vector<std::uint8_t>& bytes) {
    if (c.phase == Phase::transfer && c.next == 1) return send_ack(c, 0);  // our ACK 0 was lost: the OACK came again
    if (c.phase != Phase::probe && c.phase != Phase::request) return;
    // Parse "name\0value\0"... after the opcode.
    std::map<std::string, std::string> got;
    std::size_t i = 2;
    std::vector<std::string> parts;
    while (i < bytes.size()) {
      std::size_t j = i;
      while (j < bytes.size() && bytes[j] != 0) ++j;
      if (j == bytes.size()) {
        v().add("client ", c.id, " got an OACK without a final NUL");
        return;
      }
      parts.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                         bytes.begin() + static_cast<std::ptrdiff_t>(j));
      i = j + 1;
    }
    if (parts.size() % 2 != 0) v().add("client ", c.id, " got an OACK with an odd number of strings");
    for (std::size_t k = 0; k + 1 < parts.size(); k += 2) got[parts[k]] = parts[k + 1];
    const std::vector<Option>& asked = c.phase == Phase::probe ? probe_options_ : c.profile.options;
    for (const auto& [name, value] : got) {
      auto it = std::find_if(asked.begin(), asked.end(), [&](const Option& o) { return o.name == name; });
      if (it == asked.end()) {
        v().add("client ", c.id, " (", c.profile.name, ") got option ", name, " it did not ask for");
        continue;
      }
      const auto n = tftp::parse_decimal(value);
      if (!n) {
        v().add("client ", c.id, " got a non-numeric ", name, "=", value);
        continue;
      }
      if (name == "tsize") {
        c.tsize = *n;
        if (*n != c.file->size) v().add("client ", c.id, " got tsize ", *n, " for a file of ", c.file->size);
      } else if (name == "blksize") {
        if (*n > *tftp::parse_decimal(it->value) || *n < tftp::kBlksizeMin)
          v().add("client ", c.id, " got blksize ", *n, " after asking ", it->value);
        c.blksize = static_cast<std::uint16_t>(*n);
      } else if (name == "windowsize") {
        if (*n > *tftp::parse_decimal(it->value) || *n < 1)
          v().add("client ", c.id, " got windowsize ", *n, " after asking ", it->value);
        c.windowsize = static_cast<std::uint16_t>(*n);
      }
    }
    if (c.phase == Phase::probe) {
      // EDK2 learned the size: abort with ERROR 8 and ask again from a new port.
      if (!c.tsize) v().add("client ", c.id, " probe OACK without tsize");
      send_error_from(c, *c.tid, ErrorCode::option_refused);
      client_by_endpoint_.erase(key(c.self));
      c.phase = Phase::request;
      begin(c);
      return;
    }
    c.phase = Phase::transfer;
    send_ack(c, 0);
    progress(c);
  }

  std::uint64_t index_of(const Client& c, std::uint16_t block) const {
    const auto delta =
        static_cast<std::int16_t>(static_cast<std::uint16_t>(block - static_cast<std::uint16_t>(c.next)));
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(c.next) + delta);
  }

  bool verify(Client& c, std::uint64_t index, Bytes payload) {
    if (payload.size() > c.blksize) {
      v().add("client ", c.id, " got block ", index, " of ", payload.size(), " bytes, blksize ", c.blksize);
      return false;
    }
    const std::uint64_t offset = (index - 1) * c.blksize;
    for (std::size_t k = 0; k < payload.size(); ++k) {
      if (payload[k] != file_byte(c.file->id, offset + k)) {
        v().add("client ", c.id, " (", c.profile.name, ") got wrong bytes in block ", index, " at offset ", offset + k);
        return false;
      }
    }
    return true;
  }

  void on_data(Client& c, const tftp::Data& data) {
    if (c.phase == Phase::probe) {
      v().add("client ", c.id, " got DATA to a tsize probe (no OACK)");
      return;
    }
    if (c.phase == Phase::request) c.phase = Phase::transfer;  // no OACK: options refused, DATA 1 starts
    const std::uint64_t index = index_of(c, data.block);
    if (c.phase == Phase::dally) {
      if (index == c.final_block) send_ack(c, index);
      return;
    }
    if (index == 0 || index > c.next + 65000) return;
    if (c.profile.kind == Kind::edk2 && c.windowsize > 1 && index != c.next) {
      // EDK2 (Mtftp4RrqHandleData): every block but the expected one, a
      // duplicate or one past a gap, is dropped and answered at once with an
      // ACK of the last block in order; the window counts on from that ACK.
      c.window_base = c.next - 1;
      send_ack(c, c.next - 1);
      return;
    }
    if (index < c.next) {  // duplicate
      if (c.profile.kind == Kind::ipxe || (c.profile.kind == Kind::plain && index == c.next - 1))
        send_ack(c, c.next - 1);
      return;
    }
    if (index > c.next) {
      if (c.profile.kind == Kind::ipxe) {  // keeps it for later, ACKs the first gap
        if (verify(c, index, data.payload)) c.ahead[index] = data.payload.size();
        send_ack(c, c.next - 1);
      } else if (c.windowsize > 1 && c.gap_acked_for != c.next) {  // other windowed clients: ACK a gap once
        c.gap_acked_for = c.next;
        c.window_base = c.next - 1;
        send_ack(c, c.next - 1);
      }
      return;
    }
    if (!verify(c, index, data.payload)) return;
    accept(c, index, data.payload.size());
    for (auto it = c.ahead.find(c.next); c.phase == Phase::transfer && it != c.ahead.end(); it = c.ahead.find(c.next)) {
      const std::size_t length = it->second;
      c.ahead.erase(it);
      accept(c, c.next, length);
    }
  }

  void accept(Client& c, std::uint64_t index, std::size_t length) {
    c.bytes += length;
    c.next = index + 1;
    const bool last = length < c.blksize;
    if (last) {
      c.final_block = index;
      if (c.bytes != c.file->size)
        v().add("client ", c.id, " (", c.profile.name, ") received ", c.bytes, " bytes of ", c.file->name,
                " which has ", c.file->size, " (truncated or extended)");
      if (c.tsize && *c.tsize != c.bytes) v().add("client ", c.id, " tsize ", *c.tsize, " != received ", c.bytes);
      send_ack(c, index);
      if (c.profile.dally) {
        c.phase = Phase::dally;
        c.timeout = c.profile.timeout * 2;
        ++c.timer_generation;
        arm(c);
      } else {
        finish(c, Outcome::complete);
      }
      return;
    }
    const bool window_end = c.windowsize == 1 || index - c.window_base >= c.windowsize;
    if (window_end) {
      c.window_base = index;
      send_ack(c, index);
    }
    progress(c);
  }

  // --- server ---
  void route(const Datagram& d) {
    if (d.to.ip == kServerIp) {
      if (d.to.port == kTftpPort) return on_request(d);
      auto it = session_by_port_.find(d.to.port);
      if (it == session_by_port_.end()) return;  // closed: the kernel drops it
      ServerSession& s = *sessions_[it->second];
      if (d.from == s.peer) s.last_rx = world_.now();
      SessionSink sink(*this, s);
      s.session->on_datagram(d.from, d.bytes, world_.now(), sink);
      after(s);
      return;
    }
    auto it = client_by_endpoint_.find(key(d.to));
    if (it == client_by_endpoint_.end()) return;
    Client& c = clients_[it->second];
    if (c.self != d.to) return;  // an old port of this client
    on_client_datagram(c, d);
  }

  void refuse(Endpoint to, ErrorCode code, std::string_view message) {
    std::array<std::uint8_t, 128> buf;
    net_.send(kListen, to, tftp::build_error(code, message, buf));
  }

  void on_request(const Datagram& d) {
    auto parsed = tftp::parse_request(d.bytes);
    if (!std::holds_alternative<tftp::Request>(parsed)) {
      v().add("server could not parse an RRQ from ", d.from.to_string());
      return;
    }
    const auto& request = std::get<tftp::Request>(parsed);
    switch (admission_->try_admit(d.from)) {
      case tftp::Verdict::admitted:
        break;
      case tftp::Verdict::duplicate:
        ++duplicates_;
        return;
      case tftp::Verdict::over_global:
      case tftp::Verdict::over_client:
        ++busy_;
        return refuse(d.from, ErrorCode::undefined, "server busy, try again");
    }
    auto file =
        std::find_if(files_.begin(), files_.end(), [&](const SimFile& f) { return f.name == request.filename; });
    if (file == files_.end() || !file->exists) {
      admission_->release(d.from);
      return refuse(d.from, ErrorCode::file_not_found, "file not found");
    }
    auto s = std::make_unique<ServerSession>();
    s->session = std::make_unique<tftp::Session>(config_, d.from);
    s->local = Endpoint{kServerIp, next_session_port_++};
    s->peer = d.from;
    s->file = &*file;
    s->started = s->last_rx = world_.now();
    session_by_port_[s->local.port] = sessions_.size();
    sessions_.push_back(std::move(s));
    ServerSession& ss = *sessions_.back();
    SessionSink sink(*this, ss);
    ss.session->start_read(request, file->size, world_.now(), sink);
    after(ss);
  }

  // The glue after every call into a session: close it when finished, else (re)arm its timer.
  void after(ServerSession& s) {
    if (s.closed) return;
    if (s.session->finished()) {
      s.closed = true;
      s.finished_at = world_.now();
      session_by_port_.erase(s.local.port);
      admission_->release(s.peer);
      return;
    }
    const Instant deadline = s.session->deadline();
    if (deadline == s.scheduled) return;
    s.scheduled = deadline;
    world_.at(deadline, [this, &s] {
      if (s.closed || world_.now() < s.session->deadline()) return;
      SessionSink sink(*this, s);
      s.session->on_timer(world_.now(), sink);
      after(s);
    });
  }

  // --- invariants at the end ---
  Duration timeout_bound() const {
    // After its last datagram a session has at most retries_max+1 timeouts of at most
    // rto_max each, and gives up at the first one past patience_min.
    return std::max((config_.retries_max + 1) * config_.rto_max, config_.patience_min + config_.rto_max);
  }

  void check_end() {
    if (admission_->active() != 0) v().add("admission leaked ", admission_->active(), " slot(s)");
    for (const auto& sp : sessions_) {
      const ServerSession& s = *sp;
      const auto& session = *s.session;
      if (!s.closed) {
        v().add("session ", s.local.port, " for ", s.peer.to_string(), " still ", tftp::to_string(session.result()),
                " at the end");
        continue;
      }
      const Duration lived = s.finished_at - std::max(s.started, s.last_rx);
      if (lived > timeout_bound())
        v().add("session ", s.local.port, " (", s.file->name, ") outlived its timeout: ", ms(lived),
                " after its last datagram, bound ", ms(timeout_bound()), ", result ",
                tftp::to_string(session.result()));
      if (session.result() == tftp::Result::ok) {
        if (session.bytes_acked() != s.file->size)
          v().add("session ", s.local.port, " ok with ", session.bytes_acked(), " of ", s.file->size, " bytes ACKed");
        auto it = owner_of_.find(key(s.peer));
        const Client* c = it == owner_of_.end() ? nullptr : &clients_[it->second];
        if (c == nullptr || c->final_block == 0 || c->tid != s.local)
          v().add("session ", s.local.port, " ended ok but its client did not receive the whole file");
      }
    }
    for (const Client& c : clients_) {
      if (c.outcome == Outcome::running) {
        v().add("client ", c.id, " (", c.profile.name, ") still running at the end, phase ", static_cast<int>(c.phase));
        continue;
      }
      if (c.outcome == Outcome::complete && (c.final_block == 0 || c.bytes != c.file->size))
        v().add("client ", c.id, " completed without the whole file");
      if (c.outcome == Outcome::error && c.error_text.empty() && c.error_code == 0)
        v().add("client ", c.id, " ended in an error without a message");
      if (!c.file->exists && c.outcome == Outcome::complete) v().add("client ", c.id, " completed a missing file");
      if (net_.config().loss == 0 && net_.config().outages.empty() && c.file->exists &&
          c.outcome != Outcome::complete && !(c.outcome == Outcome::error && c.busy_retries >= 10))
        v().add("client ", c.id, " (", c.profile.name,
                ") did not complete on a lossless network: ", to_string(c.outcome), " ", c.error_code, " \"",
                c.error_text, "\"");
    }
  }

  std::string summary() const {
    std::map<std::string, int> outcomes;
    for (const Client& c : clients_)
      ++outcomes[fmt::format("{}/{}{}", c.profile.name, to_string(c.outcome),
                             c.outcome == Outcome::error ? fmt::format("({})", c.error_code) : "")];
    std::map<std::string_view, int> results;
    std::uint64_t data = 0;
    for (const auto& s : sessions_) {
      ++results[tftp::to_string(s->session->result())];
      data += s->data_sent;
    }
    std::string out = fmt::format(
        "  net: {}\n  server: rto_initial={} rto_max={} retries_max={} patience_min={} "
        "windowsize_max={} blksize_max={} sessions_max={} per_client_max={}\n",
        net_.config().describe(), ms(config_.rto_initial), ms(config_.rto_max), config_.retries_max,
        ms(config_.patience_min), config_.limits.windowsize_max, config_.limits.blksize_max, sessions_max_,
        per_client_max_);
    out += "  clients:";
    for (const auto& [k, n] : outcomes) out += fmt::format(" {}={}", k, n);
    out += "\n  sessions:";
    for (const auto& [k, n] : results) out += fmt::format(" {}={}", k, n);
    out += fmt::format(" duplicates={} busy={} data_packets={}\n", duplicates_, busy_, data);
    out += fmt::format("  network: sent={} lost={} duplicated={} reordered={}; events={} virtual={}", net_.stats().sent,
                       net_.stats().lost, net_.stats().duplicated, net_.stats().reordered, world_.events(),
                       ms(world_.elapsed()));
    if (std::getenv("RINGBOOT_SIM_VERBOSE") != nullptr) {
      for (const Client& c : clients_)
        out += fmt::format(
            "\n  client {} {} {} size={} ip={} outcome={} error={} \"{}\" blocks={} busy_retries={} "
            "finished={}",
            c.id, c.profile.name, c.file->name, c.file->size, c.ip.to_string(), to_string(c.outcome), c.error_code,
            c.error_text, c.next - 1, c.busy_retries, ms(c.finished_at - world_.start()));
      for (const auto& s : sessions_)
        out += fmt::format("\n  session {} peer={} {} result={} started={} last_rx={} finished={} retransmits={}",
                           s->local.port, s->peer.to_string(), s->file->name, tftp::to_string(s->session->result()),
                           ms(s->started - world_.start()), ms(s->last_rx - world_.start()),
                           ms(s->finished_at - world_.start()), s->session->retransmits());
    }
    return out;
  }

  friend class SessionSink;

  World world_;
  Network net_;
  Scenario scenario_;
  RunReport report_;
  tftp::SessionConfig config_;
  std::size_t sessions_max_ = 0, per_client_max_ = 0;
  std::optional<tftp::Admission> admission_;
  std::vector<SimFile> files_;
  std::vector<Client> clients_;
  std::unordered_map<std::uint64_t, std::size_t> client_by_endpoint_;  // open client ports
  std::unordered_map<std::uint64_t, std::size_t> owner_of_;            // every port a client ever used
  std::unordered_map<std::uint32_t, std::uint32_t> next_port_;
  std::vector<std::unique_ptr<ServerSession>> sessions_;
  std::unordered_map<std::uint16_t, std::size_t> session_by_port_;
  std::uint16_t next_session_port_ = 20000;
  std::uint64_t duplicates_ = 0, busy_ = 0;
  const std::vector<Option> probe_options_ = {{"tsize", "0"}};
};

void SessionSink::send_control(Endpoint to, Bytes packet) { sim_.server_send(s_, to, packet); }
void SessionSink::send_block(std::uint16_t block, std::uint64_t offset, std::uint32_t length) {
  sim_.server_send_block(s_, block, offset, length);
}

TEST(TftpSim, ManyClientsLossyNetwork) {
  run_seeds(400, [](std::uint64_t seed) { return Sim(seed, Scenario{}).run(); });
}

TEST(TftpSim, LosslessNetworkEveryClientCompletes) {
  Scenario s;
  s.lossless = true;
  run_seeds(100, [&](std::uint64_t seed) { return Sim(seed, s).run(); });
}

TEST(TftpSim, BlockNumberWrapTinyBlocks) {
  Scenario s;
  s.wrap = true;
  run_seeds(5, [&](std::uint64_t seed) { return Sim(seed, s).run(); });
}

}  // namespace
}  // namespace ringboot::sim
