#include "app/dhcp6_service.h"

#include <chrono>

#include "app/kinds.h"
#include "base/log.h"
#include "io/netif.h"

namespace ringboot {

static_assert(dhcp6::kReplyBytesMax <= io::UdpSendPool::kInlineBytes, "every reply the engine builds can be sent");

namespace {
constexpr std::size_t kSendSlots = 1024;
constexpr std::size_t kHeldMax = 256;         // a fuller batch is flushed early
constexpr int kReceiveBufferBytes = 4 << 20;  // a power-on storm fits
constexpr Duration kTick = seconds(1);
}  // namespace

Dhcp6Service::Dhcp6Service(io::Ring& ring, const Tick& tick, io::BufferRing& buffers, const dhcp6::Dhcp6Config& config,
                           SharedFleet* fleet)
    : ring_(ring),
      tick_(tick),
      fleet_(fleet),
      buffers_(buffers),
      config_(config),
      sends_(ring, kDhcp6Send, kSendSlots),
      journal_(config.lease_file, "dhcp6") {
  held_.reserve(kHeldMax);
}

Dhcp6Service::~Dhcp6Service() { io::close_fd(fd_); }

bool Dhcp6Service::start(std::string* error) {
  std::string lookup_error;
  const auto mac = io::interface_mac(config_.interface, &lookup_error);
  if (!mac) {
    *error = "dhcp6: " + lookup_error + " (dhcp6.interface names the boot network's interface)";
    return false;
  }
  std::array<std::uint8_t, 10> duid{0, 3, 0, 1};  // DUID-LL, Ethernet
  std::copy(mac->bytes.begin(), mac->bytes.end(), duid.begin() + 4);
  config_.server_duid = dhcp6::Duid::of(Bytes(duid.data(), duid.size()));
  engine_ = std::make_unique<dhcp6::Engine>(config_);
  const std::int64_t now = tick_.unix_seconds;
  if (config_.mode == dhcp6::Mode::server) {
    std::string text;
    if (!journal_.read(&text, error)) return false;
    const ReplayStats replayed = engine_->replay(text);
    engine_->tick(now);  // what expired while ringboot was down
    log(LogLevel::info, "dhcp6.replayed", "lease_file=\"{}\" applied={} malformed={} ignored={} leases={}",
        journal_.path(), replayed.applied, replayed.malformed, replayed.ignored, engine_->lease_count());
    // Also proves the directory is writable before the first Reply depends on it.
    if (!compact(now, error)) return false;
  }

  io::UdpOptions options;
  options.packet_info = true;
  options.receive_buffer_bytes = kReceiveBufferBytes;
  options.device = config_.interface;
  Ipv6 group;
  group.bytes = dhcp6::kAllServersAndRelays;
  options.join_group = group;
  fd_ = io::udp_open(Endpoint{Ipv6{}, dhcp6::kServerPort}, options, error);
  if (fd_ < 0) {
    *error = "dhcp6 on " + config_.interface + ": " + *error;
    return false;
  }
  io::udp_receive(ring_, buffers_, fd_, io::Tag{kDhcp6Receive, 0, 0});
  engine_->tick(now);
  next_tick_ = tick_.now + kTick;
  log(LogLevel::info, "dhcp6.started", "mode={} interface={} server_address={} server_duid={} subnets={} hosts={}",
      dhcp6::to_string(config_.mode), config_.interface, config_.server_address.to_string(),
      config_.server_duid.to_string(), config_.subnets.size(), config_.hosts.size());
  return true;
}

void Dhcp6Service::on_completion(const io::Completion& c, Instant) {
  if (c.tag.kind == kDhcp6Receive) {
    const auto status = io::udp_consume(ring_, buffers_, c, [&](const io::Datagram& d) { handle(d); });
    if (status == io::ReceiveStatus::truncated)
      log(LogLevel::debug, "dhcp6.dropped", "reason=\"datagram larger than a receive buffer\"");
    io::udp_rearm(ring_, buffers_, c, fd_, io::Tag{kDhcp6Receive, 0, 0});
  } else if (c.tag.kind == kDhcp6Send) {
    if (c.res < 0) log(LogLevel::debug, "dhcp6.send_error", "errno={}", -c.res);
    sends_.complete(c);
  }
}

void Dhcp6Service::handle(const io::Datagram& d) {
  const dhcp6::Received rx{d.from};
  const std::optional<dhcp6::Reply> reply = engine_->handle(d.payload, rx, tick_.unix_seconds, journal_);
  const dhcp6::Decision& decision = engine_->last_decision();
  const bool dropped = !decision.drop_reason.empty();
  const LogLevel level = dropped ? LogLevel::debug : LogLevel::info;
  const bool observed = fleet_ != nullptr && fleet_->enabled() && decision.mac && !dropped;
  if (level >= log_level() || observed) {
    const std::string text = dhcp6::format_decision(decision);  // client strings escaped
    if (observed) {
      fleet::DhcpSighting s;
      s.mac = *decision.mac;
      s.facts.arch = decision.arch;
      // The address bound to it: a Reply that hands one out (not the Reply to a
      // Release or Decline, whose address is being given back).
      if (decision.sent == dhcp6::MessageType::reply && decision.received != dhcp6::MessageType::release &&
          decision.received != dhcp6::MessageType::decline && !decision.address.is_unspecified())
        s.ip = decision.address;
      s.ipxe = decision.ipxe;
      s.file = decision.url;
      s.detail = text;
      fleet_->observe_dhcp(std::move(s), tick_.unix_ms);
    }
    if (level >= log_level())
      log_line(level, dropped ? "dhcp6.dropped" : "dhcp6.decision", text + log_fields(" from={}", d.from.to_string()));
  }
  if (!reply) return;
  // Nothing may reveal a binding before its record is durable: once a record
  // is buffered, every reply waits for the flush, in order.
  if (!journal_.pending()) return send(*reply);
  held_.push_back(*reply);
  if (held_.size() == kHeldMax) flush_journal();
}

void Dhcp6Service::send(const dhcp6::Reply& reply) {
  if (!sends_.send_copy(fd_, reply.to, reply.bytes()))
    log(LogLevel::debug, "dhcp6.send_dropped", "to={} bytes={} reason=\"send pool full\"", reply.to.to_string(),
        reply.size);
}

void Dhcp6Service::flush_journal() {
  std::string error;
  if (!journal_.flush(&error)) {
    // Not durable, so not promised: the clients retry.
    log(LogLevel::error, "dhcp6.journal_failed", "error=\"{}\" replies_dropped={}", error, held_.size());
    held_.clear();
    return;
  }
  for (const dhcp6::Reply& r : held_) send(r);
  held_.clear();
}

bool Dhcp6Service::compact(std::int64_t now_unix, std::string* error) {
  flush_journal();
  return journal_.compact(engine_->snapshot_lines(), now_unix, error);
}

Instant Dhcp6Service::next_deadline() const {
  if (!held_.empty() || journal_.pending()) return Instant::min();
  return next_tick_;
}

void Dhcp6Service::on_timers(Instant now) {
  flush_journal();
  if (now < next_tick_) return;
  next_tick_ = now + kTick;
  const std::int64_t now_unix = tick_.unix_seconds;
  engine_->tick(now_unix);
  if (config_.mode != dhcp6::Mode::server || !journal_.compaction_due(engine_->lease_count(), now_unix)) return;
  std::string error;
  // On failure the journal goes on in the old file; try again next time.
  if (!compact(now_unix, &error)) log(LogLevel::error, "dhcp6.compaction_failed", "error=\"{}\"", error);
}

void Dhcp6Service::shutdown() {
  if (engine_ != nullptr) {
    flush_journal();
    std::string error;
    if (config_.mode == dhcp6::Mode::server && !compact(tick_.unix_seconds, &error))
      log(LogLevel::error, "dhcp6.compaction_failed", "error=\"{}\"", error);
  }
  io::close_fd(fd_);
  fd_ = -1;
  journal_.close();
}

}  // namespace ringboot
