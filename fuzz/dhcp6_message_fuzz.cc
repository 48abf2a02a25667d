// A DHCPv6 datagram: the parser, then the engine in server and in stateless
// mode, twice (the second time meets the state of the first). The first input
// byte picks where it came from: a client on the link or a relay.
#include <cstdint>
#include <string>
#include <string_view>

#include "dhcp6/engine.h"
#include "dhcp6/packet.h"

using namespace ringboot;
using namespace ringboot::dhcp6;

namespace {

Dhcp6Config config(Mode mode) {
  Dhcp6Config c;
  c.mode = mode;
  c.interface = "eth0";
  c.server_address = *Ipv6::parse("2001:db8::1");
  c.server_duid = *Duid::parse("00:03:00:01:02:00:00:00:00:01");
  c.leases_max = 64;
  SubnetConfig s;
  s.prefix = *Prefix::parse("2001:db8::/64");
  s.range_first = *Ipv6::parse("2001:db8::100");
  s.range_last = *Ipv6::parse("2001:db8::102");  // small: exhaustion paths too
  s.dns = {*Ipv6::parse("2001:db8::53")};
  SubnetConfig relayed = s;
  relayed.prefix = *Prefix::parse("2001:db8:5::/64");
  relayed.range_first = *Ipv6::parse("2001:db8:5::10");
  relayed.range_last = *Ipv6::parse("2001:db8:5::ffff");
  c.subnets = {s, relayed};
  HostConfig host;
  host.mac = *Mac::parse("52:54:00:00:00:50");
  host.address = *Ipv6::parse("2001:db8::50");
  c.hosts = {host};
  return c;
}

// Every record the engine journals must replay: it parses back to itself.
struct CheckedJournal final : JournalSink {
  void append(std::string_view line) override {
    const auto record = parse_journal_line(line);
    if (!record || to_journal_line(*record) != line) __builtin_trap();
  }
};

void run(Mode mode, Bytes datagram, const Received& rx) {
  Engine engine(config(mode));  // fresh per input: a crash reproduces from its input alone
  CheckedJournal journal;
  constexpr std::int64_t kNow = 1'700'000'000;
  for (int round = 0; round < 2; ++round) {
    auto reply = engine.handle(datagram, rx, kNow + round, journal);
    // What we send fits, and is a server message (or Relay-Reply) of our own making.
    if (reply && (reply->size > kReplyBytesMax || reply->size < 4)) __builtin_trap();
    if (reply && reply->buffer[0] != 2 && reply->buffer[0] != 7 && reply->buffer[0] != 13) __builtin_trap();
    const std::string line = format_decision(engine.last_decision());
    if (line.find('\n') != std::string::npos) __builtin_trap();
  }
  engine.tick(kNow + 7200);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const Bytes datagram(data + 1, size - 1);
  Message m;
  if (parse_message(datagram, m) == ParseError::none) {
    (void)m.mac(), (void)m.client_id.to_string(), (void)m.client_id.mac(), (void)m.asked(59);
    (void)m.user_class(), (void)m.vendor_class(), (void)m.is_ipxe();
  }
  Received rx;
  rx.from = (selector & 1) ? Endpoint{*Ipv6::parse("2001:db8:5::1"), kServerPort}
                           : Endpoint{*Ipv6::parse("fe80::5054:ff:fe00:1"), kClientPort};
  run(Mode::server, datagram, rx);
  run(Mode::stateless, datagram, rx);
  // The same bytes as a journal line (a torn or tampered lease file).
  const std::string_view line(reinterpret_cast<const char*>(datagram.data()), datagram.size());
  if (const auto record = parse_journal_line(line); record && !parse_journal_line(to_journal_line(*record)))
    __builtin_trap();
  return 0;
}
