#include "app/dhcp_service.h"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "app/kinds.h"
#include "base/assert.h"
#include "base/log.h"
#include "dhcp/icmp_echo.h"
#include "fleet/names.h"
#include "io/icmp.h"
#include "io/netif.h"

namespace ringboot {

namespace {
constexpr std::size_t kSendSlots = 1024;
constexpr std::size_t kHeldMax = 256;         // a fuller batch is flushed early
constexpr int kReceiveBufferBytes = 4 << 20;  // a perfdhcp or power-on storm fits
constexpr Duration kTick = seconds(1);
constexpr std::uint32_t kProbeRounds = 3;  // conflicts per DISCOVER before it is dropped
constexpr std::uint16_t kEchoId = 0x5242;  // "RB"; replies are matched by source address
constexpr std::size_t kRequestBytesReserved = 1500;

}  // namespace

DhcpService::DhcpService(io::Ring& ring, const Tick& tick, io::BufferRing& buffers, const dhcp::DhcpConfig& config,
                         SharedFleet* fleet)
    : ring_(ring),
      tick_(tick),
      fleet_(fleet),
      buffers_(buffers),
      config_(config),
      engine_(config),
      rate_limiter_(config.requests_per_second_per_client, config.rate_limit_burst, config.rate_limit_clients_max),
      sends_(ring, kDhcpSend, kSendSlots),
      journal_(config.lease_file, "dhcp") {
  held_.reserve(kHeldMax);
  retry_request_.reserve(kRequestBytesReserved);
  if (config_.mode == dhcp::Mode::server && config_.conflict_check == dhcp::ConflictCheck::icmp) {
    probes_.resize(config_.probes_max);
    free_probes_.reserve(probes_.size());
    for (std::size_t i = probes_.size(); i > 0; --i) {
      probes_[i - 1].request.reserve(kRequestBytesReserved);
      free_probes_.push_back(static_cast<std::uint32_t>(i - 1));
    }
  }
}

DhcpService::~DhcpService() {
  for (int& fd : fds_) io::close_fd(fd);
}

bool DhcpService::open_socket(std::uint32_t socket, std::uint16_t port, std::string* error) {
  io::UdpOptions options;
  options.broadcast = true;
  options.packet_info = true;
  options.receive_buffer_bytes = kReceiveBufferBytes;
  options.device = config_.interface;
  // dhcp.shared_port: the address server on this host holds 67 too (dnsmasq,
  // dhcpd and Kea set SO_REUSEADDR). Bound to the broadcast address ringboot
  // gets every broadcast and none of the unicast, which the kernel would
  // otherwise hand to whichever socket bound last.
  const bool shared = port == dhcp::kServerPort && config_.shared_port;
  options.reuse_addr = shared;
  fds_[socket] = io::udp_open(Endpoint{shared ? dhcp::kBroadcast : Ipv4{0}, port}, options, error);
  if (fds_[socket] < 0) {
    *error = "dhcp on " + config_.interface + ": " + *error;
    if (port == dhcp::kServerPort && errno == EADDRINUSE && !config_.shared_port)
      *error += " (another DHCP server on this host? in proxy mode set dhcp.shared_port = true)";
    return false;
  }
  io::udp_receive(ring_, buffers_, fds_[socket], io::Tag{kDhcpReceive, socket, 0});
  return true;
}

bool DhcpService::start(std::string* error) {
  std::string lookup_error;
  const auto address = io::interface_address(config_.interface, &lookup_error);
  if (!address && !config_.server_address) {
    *error = "dhcp: " + lookup_error + " (dhcp.interface needs an IPv4 address unless dhcp.server_address is set)";
    return false;
  }
  interface_address_ = address.value_or(*config_.server_address);
  const std::int64_t now = tick_.unix_seconds;
  if (config_.mode == dhcp::Mode::server) {
    std::string text;
    if (!journal_.read(&text, error)) return false;
    const dhcp::ReplayStats replayed = engine_.leases().replay(text);
    log(LogLevel::info, "dhcp.replayed", "lease_file=\"{}\" applied={} malformed={} ignored={}", config_.lease_file,
        replayed.applied, replayed.malformed, replayed.ignored);
    // Also proves the directory is writable before the first ACK depends on it.
    if (!compact(now, error)) return false;
  }
  if (!open_socket(kServerSocket, dhcp::kServerPort, error)) return false;
  if (config_.mode == dhcp::Mode::proxy && !open_socket(kPxeSocket, dhcp::kPxePort, error)) return false;
  if (config_.mode == dhcp::Mode::server && config_.conflict_check == dhcp::ConflictCheck::icmp) {
    fds_[kIcmpSocket] = io::icmp_open(error);
    if (fds_[kIcmpSocket] < 0) {
      *error = "dhcp conflict check: " + *error;
      return false;
    }
    io::udp_receive(ring_, buffers_, fds_[kIcmpSocket], io::Tag{kDhcpReceive, kIcmpSocket, 0});
  }
  engine_.tick(now);
  next_tick_ = tick_.now + kTick;
  log(LogLevel::info, "dhcp.started",
      "mode={} interface={} interface_address={} server_address={} leases={} conflict_check={} conflict_check_ms={} "
      "probes_max={}",
      dhcp::to_string(config_.mode), config_.interface, interface_address_.to_string(),
      config_.server_address.value_or(interface_address_).to_string(), engine_.leases().size(),
      config_.mode == dhcp::Mode::server ? dhcp::to_string(config_.conflict_check) : "none", config_.conflict_check_ms,
      probes_.size());
  return true;
}

void DhcpService::on_completion(const io::Completion& c, Instant) {
  if (c.tag.kind == kDhcpReceive) {
    on_receive(c);
  } else if (c.tag.kind == kDhcpSend) {
    if (c.res < 0) {
      engine_.count_unsent();
      log(LogLevel::debug, "dhcp.send_error", "errno={}", -c.res);
    }
    sends_.complete(c);
  }
}

void DhcpService::on_receive(const io::Completion& c) {
  const std::uint32_t socket = c.tag.index;
  if (socket >= kSocketCount) return;
  const auto status = io::udp_consume(ring_, buffers_, c, [&](const io::Datagram& d) {
    if (socket == kIcmpSocket)
      on_echo_reply(d);
    else
      handle(d, socket);
  });
  if (status == io::ReceiveStatus::truncated)
    log(LogLevel::debug, "dhcp.dropped", "reason=\"datagram larger than a receive buffer\"");
  io::udp_rearm(ring_, buffers_, c, fds_[socket], io::Tag{kDhcpReceive, socket, 0});
}

void DhcpService::handle(const io::Datagram& d, std::uint32_t socket) {
  // chaddr's first 6 bytes (offset 28) name the client even through a relay;
  // a packet too short for it is left to the parser to count as malformed.
  constexpr std::size_t kChaddrOffset = 28;
  if (rate_limiter_.enabled() && d.payload.size() >= kChaddrOffset + 6) {
    std::uint64_t mac = 0;
    for (std::size_t i = 0; i < 6; ++i) mac = (mac << 8) | d.payload[kChaddrOffset + i];
    if (rate_limiter_.check(mac, tick_.now) == RateVerdict::limited) return engine_.count_rate_limited();
  }
  const dhcp::Received rx{d.from, socket == kPxeSocket ? dhcp::kPxePort : dhcp::kServerPort, interface_address_};
  const std::optional<dhcp::Reply> reply = engine_.handle(d.payload, rx, tick_.unix_seconds, journal_);
  report_decision(d.from, true);
  if (reply) dispatch(socket, rx, d.payload, *reply, 0);
}

// A parsed request names its machine: the fleet keeps its UUID, arch,
// relay, host name and, once ACKed, its address. `detail`: the decision as
// its log line says it.
void DhcpService::observe(const dhcp::Decision& decision, std::string_view detail) {
  fleet::DhcpSighting s;
  s.mac = decision.mac;
  s.facts.arch = decision.arch;
  if (decision.relay.value != 0) s.facts.relay = decision.relay;
  if (fleet::hostname_ok(decision.hostname)) s.facts.dhcp_hostname = std::string(decision.hostname);
  s.uuid = decision.uuid;
  if (decision.sent == dhcp::MessageType::ack && decision.address.value != 0) s.ip = decision.address;
  s.ipxe = decision.ipxe;
  s.file = decision.file;
  s.detail = detail;  // client strings escaped already
  fleet_->observe_dhcp(std::move(s), tick_.unix_ms);
}

void DhcpService::emit(std::uint32_t socket, const dhcp::Reply& reply) {
  // Nothing may reveal a lease before its record is durable: once a record
  // is buffered, every reply waits for the flush, in order.
  if (!journal_.pending()) return send(socket, reply);
  held_.push_back(Held{socket, reply});
  if (held_.size() == kHeldMax) flush_journal();
}

void DhcpService::dispatch(std::uint32_t socket, const dhcp::Received& rx, Bytes request, const dhcp::Reply& reply,
                           std::uint32_t round) {
  if (reply.probe.value == 0) return emit(socket, reply);
  if (fds_[kIcmpSocket] < 0 || free_probes_.empty()) {
    engine_.count_probe(dhcp::Engine::ProbeOutcome::skipped);
    log(LogLevel::debug, "dhcp.conflict_check_skipped", "address={} reason=\"probes_max OFFERs held already\"",
        reply.probe.to_string());
    return emit(socket, reply);
  }
  std::array<std::uint8_t, dhcp::kEchoRequestBytes> echo{};
  const std::size_t n = dhcp::icmp_echo_request(echo, kEchoId, ++echo_sequence_);
  if (!sends_.send_copy(fds_[kIcmpSocket], Endpoint{reply.probe, 0}, Bytes(echo.data(), n))) {
    engine_.count_probe(dhcp::Engine::ProbeOutcome::failed);
    return emit(socket, reply);
  }
  const std::uint32_t index = free_probes_.back();
  free_probes_.pop_back();
  Probe& p = probes_[index];
  RINGBOOT_ASSERT(!p.active);  // a free slot holds no probe
  p.active = true;
  ++p.generation;
  p.socket = socket;
  p.round = round;
  p.deadline = tick_.now + milliseconds(config_.conflict_check_ms);
  p.address = reply.probe;
  p.mac = engine_.last_decision().mac;
  p.rx = rx;
  p.request.assign(request.begin(), request.end());
  p.reply = reply;
  probe_order_.emplace_back(index, p.generation);
  ++probes_active_;
}

void DhcpService::release_probe(std::uint32_t index) {
  // Released once: a second release would put the slot on the free list twice.
  RINGBOOT_ASSERT(index < probes_.size() && probes_[index].active);
  probes_[index].active = false;
  free_probes_.push_back(index);
  --probes_active_;
  RINGBOOT_ASSERT(probes_active_ + free_probes_.size() == probes_.size());
}

void DhcpService::on_echo_reply(const io::Datagram& d) {
  const auto echo = dhcp::icmp_parse_echo_reply(d.payload);
  if (!echo || probes_active_ == 0) return;
  // Any echo reply from a probed address proves it in use, whoever asked.
  for (std::uint32_t i = 0; i < probes_.size(); ++i) {
    Probe& p = probes_[i];
    if (!p.active || p.address != echo->from) continue;
    const std::int64_t now = tick_.unix_seconds;
    const bool quarantined = engine_.conflict(p.address, now, journal_);
    const bool retry = p.round + 1 < kProbeRounds;
    log(LogLevel::warn, "dhcp.conflict", "address={} mac={} quarantined={} action={}", p.address.to_string(),
        p.mac.to_string(), quarantined ? "yes" : "no", retry ? "offer-another" : "drop-discover");
    // Free the slot first: the retry may probe again.
    const std::uint32_t socket = p.socket;
    const std::uint32_t round = p.round + 1;
    const dhcp::Received rx = p.rx;
    retry_request_.assign(p.request.begin(), p.request.end());
    release_probe(i);
    if (!retry) continue;
    const std::optional<dhcp::Reply> reply = engine_.handle(Bytes(retry_request_), rx, now, journal_, true);
    report_decision(rx.from, false);  // the DISCOVER again: seen by the fleet the first time
    if (reply) dispatch(socket, rx, Bytes(retry_request_), *reply, round);
  }
}

void DhcpService::expire_probes(Instant now) {
  while (!probe_order_.empty()) {
    const auto [index, generation] = probe_order_.front();
    Probe& p = probes_[index];
    if (p.active && p.generation == generation) {
      if (p.deadline > now) return;
      engine_.count_probe(dhcp::Engine::ProbeOutcome::clear);
      log(LogLevel::debug, "dhcp.conflict_check_clear", "address={} mac={}", p.address.to_string(), p.mac.to_string());
      emit(p.socket, p.reply);
      release_probe(index);
    }
    probe_order_.pop_front();
  }
}

// The decision's log line and the fleet's sighting share one formatting of
// it, made only when one of them wants it.
void DhcpService::report_decision(const Endpoint& from, bool sighting) {
  const dhcp::Decision& decision = engine_.last_decision();
  const bool dropped = !decision.drop_reason.empty();
  const LogLevel level = dropped ? LogLevel::debug : LogLevel::info;
  const bool logged = level >= log_level();
  const bool observed =
      sighting && fleet_ != nullptr && fleet_->enabled() && decision.received != dhcp::MessageType::none;
  if (!logged && !observed) return;
  dhcp::format_decision_to(decision_text_, decision);  // one buffer: no allocation per packet
  if (observed) observe(decision, decision_text_);
  // The decision's fields are escaped already; log_line takes them as they are.
  if (logged)
    log_line(level, dropped ? "dhcp.dropped" : "dhcp.decision",
             decision_text_ + log_fields(" from={}", from.to_string()));
}

void DhcpService::send(std::uint32_t socket, const dhcp::Reply& reply) {
  // Replies leave by the socket that received the request: 4011 answers from 4011.
  if (!sends_.send_copy(fds_[socket], reply.to, reply.bytes())) {
    engine_.count_unsent();
    log(LogLevel::debug, "dhcp.send_dropped", "to={} bytes={} reason=\"send pool full or reply too large\"",
        reply.to.to_string(), reply.size);
  }
}

void DhcpService::flush_journal() {
  std::string error;
  if (!journal_.flush(&error)) {
    // Not durable, so not promised: the clients retry their REQUESTs.
    log(LogLevel::error, "dhcp.journal_failed", "error=\"{}\" replies_dropped={}", error, held_.size());
    held_.clear();
    return;
  }
  for (const Held& h : held_) send(h.socket, h.reply);
  held_.clear();
}

bool DhcpService::compact(std::int64_t now_unix, std::string* error) {
  flush_journal();
  return journal_.compact(engine_.leases().snapshot_lines(now_unix), now_unix, error);
}

Instant DhcpService::next_deadline() const {
  if (!held_.empty() || journal_.pending()) return Instant::min();
  Instant deadline = next_tick_;
  for (const auto& [index, generation] : probe_order_) {  // stale entries first, at most a few
    const Probe& p = probes_[index];
    if (!p.active || p.generation != generation) continue;
    deadline = std::min(deadline, p.deadline);
    break;
  }
  return deadline;
}

void DhcpService::on_timers(Instant now) {
  flush_journal();
  if (!probe_order_.empty()) {
    expire_probes(now);
    flush_journal();
  }
  if (now < next_tick_) return;
  next_tick_ = now + kTick;
  const std::int64_t now_unix = tick_.unix_seconds;
  engine_.tick(now_unix);
  if (config_.mode != dhcp::Mode::server) return;
  if (journal_.compaction_due(engine_.leases().size(), now_unix)) {
    std::string error;
    // On failure the journal goes on in the old file; try again next time.
    if (!compact(now_unix, &error)) log(LogLevel::error, "dhcp.compaction_failed", "error=\"{}\"", error);
  }
}

void DhcpService::reload(const dhcp::DhcpConfig&) {
  log(LogLevel::info, "dhcp.reload", "reason=\"[dhcp] changes take effect on restart: the lease table stays as is\"");
}

void DhcpService::shutdown() {
  flush_journal();
  if (config_.mode == dhcp::Mode::server) {
    std::string error;
    if (!compact(tick_.unix_seconds, &error)) log(LogLevel::error, "dhcp.compaction_failed", "error=\"{}\"", error);
  }
  for (int& fd : fds_) {
    io::close_fd(fd);
    fd = -1;
  }
  journal_.close();
}

}  // namespace ringboot
