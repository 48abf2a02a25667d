// A DHCP/BOOTP datagram: the parser and its accessors, then the engine in
// server and in proxy mode. The first input byte picks where it came from.
#include <cstdint>
#include <memory>
#include <string_view>

#include "dhcp/engine.h"
#include "dhcp/packet.h"

using namespace ringboot;
using namespace ringboot::dhcp;

namespace {

struct NullJournal : JournalSink {
  void append(std::string_view line) override {
    if (line.find('\n') != std::string_view::npos) __builtin_trap();  // one line per record
  }
};

DhcpConfig config(Mode mode) {
  DhcpConfig c;
  c.mode = mode;
  c.interface = "eth0";
  c.server_address = Ipv4{0x0a000001};  // 10.0.0.1
  c.leases_max = 64;
  c.hosts = {{*Mac::parse("52:54:00:00:00:50"), Ipv4{0x0a000032}, "node50"}};
  if (mode == Mode::server) {
    SubnetConfig s;
    s.cidr = *Cidr::parse("10.0.0.0/24");
    s.range_first = Ipv4{0x0a000064};
    s.range_last = Ipv4{0x0a000066};  // small: exhaustion paths too
    s.router = Ipv4{0x0a000001};
    s.dns = {Ipv4{0x0a000001}};
    s.domain = "example";
    c.subnets = {s};
  }
  return c;
}

void run(Mode mode, Bytes datagram, const Received& rx) {
  Engine engine(config(mode));  // fresh per input: a crash reproduces from its input alone
  NullJournal journal;
  constexpr std::int64_t kNow = 1'700'000'000;
  for (int round = 0; round < 2; ++round) {  // the second time: a retransmission meeting the state of the first
    auto reply = engine.handle(datagram, rx, kNow + round, journal);
    if (reply) {  // what we send must be a well-formed BOOTREPLY that fits
      static auto* check = new Packet;
      if (reply->size > kReplyBytesMax || parse_packet(reply->bytes(), *check).error != ParseError::not_request)
        __builtin_trap();
    }
    (void)format_decision(engine.last_decision());
    if (reply && reply->probe.value != 0) {
      engine.conflict(reply->probe, kNow + round, journal);
      (void)engine.handle(datagram, rx, kNow + round, journal, /*retry=*/true);
    }
  }
  engine.tick(kNow + 3600);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const Bytes datagram(data + 1, size - 1);

  static auto* packet = new Packet;
  if (parse_packet(datagram, *packet).ok()) {
    (void)packet->sname(), (void)packet->file(), (void)packet->mac().to_string();
    (void)packet->message_type(), (void)packet->requested_ip(), (void)packet->server_id();
    (void)packet->vendor_class(), (void)packet->client_id(), (void)packet->user_class();
    (void)packet->client_arch(), (void)packet->client_ndi(), (void)packet->uuid();
    (void)packet->parameter_request_list(), (void)packet->vendor_specific(), (void)packet->max_message_size();
    (void)packet->is_ipxe(), (void)reply_size_max(*packet, kReplyBytesMax);
    for (int code = 0; code < 256; ++code) (void)packet->option(static_cast<std::uint8_t>(code));
  }

  Received rx;
  rx.local_port = (selector & 1) ? kPxePort : kServerPort;
  rx.from = Endpoint{(selector & 2) ? Ipv4{0x0a000000u | (selector >> 2)} : Ipv4{},
                     (selector & 1) ? std::uint16_t{4011} : kClientPort};
  rx.interface_address = Ipv4{0x0a000001};
  run(Mode::server, datagram, rx);
  run(Mode::proxy, datagram, rx);
  return 0;
}
