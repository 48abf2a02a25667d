#include "app/tftp_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "app/kinds.h"
#include "base/assert.h"
#include "base/log.h"
#include "io/netif.h"
#include "tftp/netascii.h"
#include "tftp/packet.h"
#include "tftp/path.h"

namespace ringboot {

namespace {
// Added to an upload's log lines; a read's have no direction field.
constexpr std::string_view kUpload = " direction=upload";
io::UdpOptions session_socket_options() {
  io::UdpOptions options;
  options.packet_info = false;
  return options;
}
}  // namespace

// What the session engine asks for, carried out on this slot's socket.
class TftpService::Sink final : public tftp::Sink {
 public:
  Sink(TftpService& service, Slot& slot) : service_(service), slot_(slot) {}
  void send_control(Endpoint to, Bytes packet) override { service_.sends_.send_copy(slot_.fd, to, packet); }
  void send_block(std::uint16_t block, std::uint64_t offset, std::uint32_t length) override {
    const auto header = tftp::build_data_header(block);
    // Each in-flight datagram keeps the mapping it points into alive.
    io::OpenFile* file = slot_.netascii.empty() ? slot_.file : nullptr;
    if (file != nullptr) service_.files_.retain(file);
    const std::uint8_t* base = service_.content(slot_);
    if (!service_.sends_.send_gather(slot_.fd, slot_.peer, Bytes(header), base == nullptr ? nullptr : base + offset,
                                     length, reinterpret_cast<std::uint64_t>(file)) &&
        file != nullptr)
      service_.files_.release(file);
  }

 private:
  TftpService& service_;
  Slot& slot_;
};

// An upload's ACKs on this slot's socket, its bytes to the file.
class TftpService::UploadSink final : public tftp::UploadSink {
 public:
  UploadSink(TftpService& service, Slot& slot) : service_(service), slot_(slot) {}
  void send_control(Endpoint to, Bytes packet) override { service_.sends_.send_copy(slot_.fd, to, packet); }
  bool write(std::uint64_t offset, Bytes data) override { return io::UploadDir::write(slot_.upload_fd, offset, data); }

 private:
  TftpService& service_;
  Slot& slot_;
};

TftpService::TftpService(io::Ring& ring, const Tick& tick, io::BufferRing& buffers, io::FileCache& files,
                         const TftpSettings& settings, std::uint32_t sessions_max, tftp::TftpCounters& counters,
                         SharedFleet* fleet, std::uint16_t http_port)
    : ring_(ring),
      tick_(tick),
      fleet_(fleet),
      http_port_(http_port),
      buffers_(buffers),
      files_(files),
      settings_(settings),
      counters_(counters),
      sends_(ring, kTftpSend, settings.send_slots),
      admission_(sessions_max, settings.sessions_per_client_max),
      rate_limiter_(settings.requests_per_second_per_client, settings.rate_limit_burst,
                    settings.rate_limit_clients_max),
      timers_(sessions_max),
      slots_(sessions_max) {
  // Admission bounds the sessions to exactly the slots there are, and a
  // slot's index must fit a Tag.
  RINGBOOT_ASSERT(admission_.capacity() == slots_.size());
  RINGBOOT_ASSERT(sessions_max <= std::uint64_t{io::Tag::kIndexMax} + 1);
  free_.reserve(sessions_max);
  for (std::uint32_t i = sessions_max; i > 0; --i) free_.push_back(i - 1);
}

TftpService::~TftpService() {
  for (auto& slot : slots_) {
    if (slot.fd >= 0) io::close_fd(slot.fd);
    if (slot.upload_fd >= 0 && upload_dir_) upload_dir_->close(slot.upload_fd, slot.filename, false);
  }
  for (const int fd : listen_fds_) io::close_fd(fd);
}

bool TftpService::start(std::string* error) {
  if (!settings_.upload_dir.empty()) {
    upload_dir_ = io::UploadDir::open(settings_.upload_dir, error);
    if (!upload_dir_) return false;
  }
  io::UdpOptions options;
  options.reuse_port = true;
  options.receive_buffer_bytes = settings_.receive_buffer_bytes;
  for (const Endpoint& e : settings_.listen) {
    const int fd = io::udp_open(e, options, error);
    if (fd < 0) return false;
    const auto index = static_cast<std::uint32_t>(listen_fds_.size());
    listen_fds_.push_back(fd);
    io::udp_receive(ring_, buffers_, fd, io::Tag{kTftpListen, index, 0});
  }
  return true;
}

void TftpService::on_completion(const io::Completion& c, Instant now) {
  switch (c.tag.kind) {
    case kTftpListen:
      on_listen(c, now);
      break;
    case kTftpSession:
      on_session(c, now);
      break;
    case kTftpSend:
      on_send(c);
      break;
    default:
      break;
  }
}

void TftpService::stop_accepting() {
  for (std::uint32_t i = 0; i < listen_fds_.size(); ++i) {
    if (listen_fds_[i] < 0) continue;
    io::cancel(ring_, io::Tag{kTftpListen, i, 0});
    io::close_fd(listen_fds_[i]);
    listen_fds_[i] = -1;
  }
}

void TftpService::on_listen(const io::Completion& c, Instant now) {
  // A completion after stop_accepting, for a socket already closed: only its buffer to give back.
  const int fd = c.tag.index < listen_fds_.size() ? listen_fds_[c.tag.index] : -1;
  request_fd_ = fd;
  const auto status = io::udp_consume(ring_, buffers_, c, [&](const io::Datagram& d) {
    if (fd >= 0) handle_request(d, now);
  });
  if (status == io::ReceiveStatus::truncated) counters_.malformed.inc();
  io::udp_rearm(ring_, buffers_, c, fd, io::Tag{kTftpListen, c.tag.index, 0});
  request_fd_ = -1;
}

void TftpService::refuse(const io::Datagram& d, tftp::ErrorCode code, std::string_view message) {
  std::uint8_t buf[256];
  sends_.send_copy(request_fd_, d.from, tftp::build_error(code, message, MutableBytes(buf)));
}

tftp::SessionConfig TftpService::session_config(int ifindex, bool v6) {
  tftp::SessionConfig config;
  config.limits.blksize_max = settings_.blksize_max;
  config.limits.windowsize_max = settings_.windowsize_max;
  config.limits.window_bytes_max = settings_.window_bytes_max;
  config.limits.client_receive_buffer_bytes = settings_.client_receive_buffer_bytes;
  if (settings_.mtu_clamp) {
    auto [it, inserted] = mtu_by_interface_.try_emplace(ifindex, 0);
    if (inserted) it->second = io::interface_mtu(ifindex);
    if (const std::uint16_t largest = tftp::blksize_for_mtu(it->second, v6); largest != 0)
      config.limits.blksize_max = std::min(config.limits.blksize_max, largest);
  }
  config.rto_min = settings_.rto_min;
  config.rto_max = settings_.rto_max;
  config.rto_initial = settings_.rto_initial;
  config.retries_max = static_cast<int>(settings_.retries_max);
  return config;
}

void TftpService::handle_request(const io::Datagram& d, Instant now) {
  counters_.requests.inc();
  // Before parsing: a flood from one address costs a table lookup, and gets no answer.
  // An IPv6 client is limited by its /64: it can pick any address in its prefix.
  switch (rate_limiter_.check(d.from.ip.client_key(), now)) {
    case RateVerdict::allowed:
      break;
    case RateVerdict::limited:
      counters_.rate_limited.inc();
      return;
    case RateVerdict::untracked:
      counters_.rate_untracked.inc();
      break;
  }
  auto parsed = tftp::parse_request(d.payload);
  if (const auto* error = std::get_if<tftp::ParseError>(&parsed)) {
    counters_.malformed.inc();
    log(LogLevel::debug, "tftp.malformed", "client={} reason={}", d.from.to_string(), error->text());
    // A stray DATA/ACK for a finished transfer gets no answer: answering could start a storm.
    if (error->reason != tftp::ParseReason::unexpected_opcode)
      refuse(d, tftp::ErrorCode::illegal_operation, error->text());
    return;
  }
  auto& request = std::get<tftp::Request>(parsed);
  if (request.op == tftp::Opcode::wrq && upload_dir_) return handle_upload(d, request, now);
  if (request.op == tftp::Opcode::wrq) {
    counters_.refused_access.inc();
    log(refusals_.level(now, LogLevel::warn), "tftp.refused", "client={} file=\"{}\" reason=uploads_disabled",
        d.from.to_string(), request.filename);
    return refuse(d, tftp::ErrorCode::access_violation, "uploads are disabled");
  }
  const std::optional<std::string> admitted = admit(d, request, "", now);
  if (!admitted) return;
  const std::string& path = *admitted;
  io::OpenError open_error{};
  io::OpenFile* file = files_.open(path, &open_error);
  std::vector<std::uint8_t> netascii;
  // No file of that name: GRUB's config names are the fleet's (a file in
  // the root wins where it exists).
  if (file == nullptr && open_error == io::OpenError::not_found && fleet_ != nullptr && fleet_->enabled()) {
    const std::string host = http_port_ == 0 ? std::string() : Endpoint{d.local, http_port_}.to_string();
    if (std::optional<std::string> config = fleet_->grub(
            path, d.from.ip, http_port_ == 0 ? std::nullopt : std::optional<std::string_view>(host), tick_.unix_ms)) {
      netascii.assign(config->begin(), config->end());
      if (request.mode == tftp::Mode::netascii) netascii = tftp::netascii_encode(Bytes(netascii));
    }
  }
  if (file == nullptr && netascii.empty()) {
    admission_.release(d.from);
    const bool missing = open_error == io::OpenError::not_found;
    (missing ? counters_.not_found : counters_.refused_access).inc();
    log(refusals_.level(now, missing ? LogLevel::info : LogLevel::warn), "tftp.refused",
        "client={} file=\"{}\" reason={}", d.from.to_string(), path, io::to_string(open_error));
    if (open_error == io::OpenError::too_many) return refuse(d, tftp::ErrorCode::undefined, "server busy, try again");
    return refuse(d, missing ? tftp::ErrorCode::file_not_found : tftp::ErrorCode::access_violation,
                  missing ? "file not found" : "access violation");
  }
  if (file != nullptr && request.mode == tftp::Mode::netascii) {
    std::vector<std::uint8_t> raw(file->stat.size);
    if (file->stat.size > settings_.netascii_bytes_max || !files_.read(*file, 0, MutableBytes(raw))) {
      files_.release(file);
      admission_.release(d.from);
      counters_.refused_access.inc();
      return refuse(d, tftp::ErrorCode::access_violation, "file too large for netascii; use octet");
    }
    netascii = tftp::netascii_encode(Bytes(raw));
  }
  const int fd = open_transfer_socket(d, path, "", now);
  if (fd < 0) {
    if (file != nullptr) files_.release(file);
    return;
  }
  const std::uint32_t index = claim_slot(d, fd, path);
  Slot& slot = slots_[index];
  slot.file = file;
  slot.netascii = std::move(netascii);
  slot.session.emplace(session_config(d.interface, d.from.ip.is_v6()), d.from);
  const std::uint64_t size =
      file == nullptr || request.mode == tftp::Mode::netascii ? slot.netascii.size() : file->stat.size;
  Sink sink(*this, slot);
  slot.session->start_read(request, size, now, sink);
  count_options(slot.session->negotiated());
  finish_if_done(index, now);
}

void TftpService::on_session(const io::Completion& c, Instant now) {
  Slot& slot = slots_[c.tag.index];
  const bool current = slot.busy() && slot.generation == c.tag.generation;
  if (!current) {  // a completion for a finished session: its slot moved on
    if (c.has_buffer()) buffers_.recycle(c.buffer_id());
    return;
  }
  const auto status = io::udp_consume(ring_, buffers_, c, [&](const io::Datagram& d) {
    if (slot.upload) {
      UploadSink sink(*this, slot);
      slot.upload->on_datagram(d.from, d.payload, now, sink);
    } else {
      Sink sink(*this, slot);
      slot.session->on_datagram(d.from, d.payload, now, sink);
    }
  });
  if (status == io::ReceiveStatus::truncated) counters_.malformed.inc();
  io::udp_rearm(ring_, buffers_, c, slot.fd, io::Tag{kTftpSession, c.tag.index, slot.generation});
  finish_if_done(c.tag.index, now);
}

void TftpService::on_send(const io::Completion& c) {
  if (c.res < 0) log(LogLevel::debug, "tftp.send_error", "errno={}", -c.res);
  if (auto* file = reinterpret_cast<io::OpenFile*>(sends_.complete(c))) files_.release(file);
}

void TftpService::reload(const TftpSettings& settings) {
  TftpSettings next = settings;
  next.listen = settings_.listen;
  next.sessions_max = settings_.sessions_max;
  next.sessions_per_client_max = settings_.sessions_per_client_max;
  next.send_slots = settings_.send_slots;
  next.receive_buffer_bytes = settings_.receive_buffer_bytes;
  next.rate_limit_clients_max = settings_.rate_limit_clients_max;
  next.upload_dir = settings_.upload_dir;  // opened at start
  settings_ = next;
  rate_limiter_.reconfigure(settings_.requests_per_second_per_client, settings_.rate_limit_burst);
}

void TftpService::on_timers(Instant now) {
  for (std::int64_t id; (id = timers_.pop_expired(now)) >= 0;) {
    const auto index = static_cast<std::uint32_t>(id);
    Slot& slot = slots_[index];
    if (slot.upload) {
      UploadSink sink(*this, slot);
      slot.upload->on_timer(now, sink);
    } else if (slot.session) {
      Sink sink(*this, slot);
      slot.session->on_timer(now, sink);
    } else {
      continue;
    }
    finish_if_done(index, now);
  }
}

void TftpService::finish_if_done(std::uint32_t index, Instant now) {
  Slot& slot = slots_[index];
  if (slot.upload) {
    if (!slot.upload->finished()) {
      timers_.set(index, slot.upload->deadline());
      return;
    }
    return end_upload(index, now);
  }
  if (!slot.session->finished()) {
    timers_.set(index, slot.session->deadline());
    return;
  }
  end_session(index, now);
}

void TftpService::end_session(std::uint32_t index, Instant now) {
  Slot& slot = slots_[index];
  if (slot.upload) return end_upload(index, now);
  const tftp::Session& s = *slot.session;
  const double elapsed = std::chrono::duration<double>(now - s.started()).count();
  const tftp::Result result = s.result();
  count_result(result, elapsed, s.bytes_sent(), s.retransmits(), s.timer_resends(), s.ignored());
  // A size probe (EDK2's tsize query, then ERROR 8) is normal traffic: debug only.
  log(result == tftp::Result::probe ? LogLevel::debug : LogLevel::info, "tftp.transfer",
      "client={} file=\"{}\" bytes={} sent_bytes={} blksize={} windowsize={} duration_ms={:.1f} retransmits={} "
      "timeouts={} result={}",
      slot.peer.to_string(), slot.filename, s.bytes_acked(), s.bytes_sent(), s.blksize(), s.windowsize(),
      elapsed * 1000.0, s.retransmits(), s.timer_resends(), tftp::to_string(result));
  if (fleet_ != nullptr && fleet_->enabled() && result != tftp::Result::probe) {
    fleet::Fetch f;
    f.peer = slot.peer.ip;
    f.path = slot.filename;
    f.ok = result == tftp::Result::ok;
    f.detail = log_fields("tftp file=\"{}\" bytes={} duration_ms={:.1f} result={}", slot.filename, s.bytes_acked(),
                          elapsed * 1000.0, tftp::to_string(result));
    fleet_->fetched(std::move(f), tick_.unix_ms);
  }
  close_transfer(index);
  if (slot.file != nullptr) files_.release(slot.file);
  slot.file = nullptr;
  slot.session.reset();
  std::vector<std::uint8_t>().swap(slot.netascii);
  release_slot(index);
}

void TftpService::handle_upload(const io::Datagram& d, const tftp::Request& request, Instant now) {
  const std::optional<std::string> admitted = admit(d, request, kUpload, now);
  if (!admitted) return;
  const std::string& path = *admitted;
  io::CreateError create_error{};
  const int file_fd = upload_dir_->create(path, &create_error);
  if (file_fd < 0) {
    admission_.release(d.from);
    counters_.refused_access.inc();
    log(refusals_.level(now, LogLevel::warn), "tftp.refused", "client={} file=\"{}\" direction=upload reason={}",
        d.from.to_string(), path, io::to_string(create_error));
    switch (create_error) {
      case io::CreateError::exists:
        return refuse(d, tftp::ErrorCode::file_exists, "file already exists");
      case io::CreateError::too_many:
        return refuse(d, tftp::ErrorCode::undefined, "server busy, try again");
      default:
        return refuse(d, tftp::ErrorCode::access_violation, "access violation");
    }
  }
  const int fd = open_transfer_socket(d, path, kUpload, now);
  if (fd < 0) return upload_dir_->close(file_fd, path, false);
  const std::uint32_t index = claim_slot(d, fd, path);
  Slot& slot = slots_[index];
  slot.upload_fd = file_fd;
  tftp::UploadConfig config;
  static_cast<tftp::SessionConfig&>(config) = session_config(d.interface, d.from.ip.is_v6());
  config.bytes_max = settings_.upload_bytes_max;
  slot.upload.emplace(config, d.from);
  UploadSink sink(*this, slot);
  slot.upload->start(request, now, sink);
  count_options(slot.upload->negotiated());
  finish_if_done(index, now);
}

void TftpService::end_upload(std::uint32_t index, Instant now) {
  Slot& slot = slots_[index];
  const tftp::Upload& u = *slot.upload;
  (void)now;  // the transfer ended when its result was decided, not after the linger
  const double elapsed = std::chrono::duration<double>(u.decided() - u.started()).count();
  const tftp::Result result = u.result();
  count_result(result, elapsed, u.bytes_received(), u.retransmits(), u.retransmits(), u.ignored());  // all on timeout
  log(LogLevel::info, "tftp.transfer",
      "client={} file=\"{}\" direction=upload bytes={} blksize={} duration_ms={:.1f} retransmits={} result={}",
      slot.peer.to_string(), slot.filename, u.bytes_received(), u.blksize(), elapsed * 1000.0, u.retransmits(),
      tftp::to_string(result));
  close_transfer(index);
  // Only a complete upload stays; a failed or aborted one leaves no partial file.
  upload_dir_->close(slot.upload_fd, slot.filename, result == tftp::Result::ok);
  slot.upload_fd = -1;
  slot.upload.reset();
  release_slot(index);
}

// The front a read and an upload share: the path beneath the root, then an
// admission for the peer. nullopt: refused (counted, logged, answered) or a
// resent request of a transfer that already runs.
std::optional<std::string> TftpService::admit(const io::Datagram& d, const tftp::Request& request,
                                              std::string_view direction, Instant now) {
  auto normalized = tftp::normalize_request_path(request.filename);
  if (const auto* path_error = std::get_if<tftp::PathError>(&normalized)) {
    counters_.refused_access.inc();
    log(refusals_.level(now, LogLevel::warn), "tftp.refused", "client={} file=\"{}\"{} reason=\"{}\"",
        d.from.to_string(), request.filename, direction, tftp::to_string(*path_error));
    refuse(d, tftp::ErrorCode::access_violation, "access violation");
    return std::nullopt;
  }
  std::string& path = std::get<std::string>(normalized);
  switch (admission_.try_admit(d.from)) {
    case tftp::Verdict::admitted:
      return std::move(path);
    case tftp::Verdict::duplicate:
      // The client resent its request before our first reply arrived: the transfer already runs.
      counters_.duplicates.inc();
      return std::nullopt;
    case tftp::Verdict::over_global:
    case tftp::Verdict::over_client:
      break;
  }
  counters_.refused_busy.inc();
  log(refusals_.level(now, LogLevel::warn), "tftp.refused", "client={} file=\"{}\"{} reason=busy", d.from.to_string(),
      path, direction);
  refuse(d, tftp::ErrorCode::undefined, "server busy, try again");
  return std::nullopt;
}

// A socket of the transfer's own: its port is the server's TID. -1: refused
// and the admission released.
int TftpService::open_transfer_socket(const io::Datagram& d, const std::string& path, std::string_view direction,
                                      Instant now) {
  std::string socket_error;
  const int fd = io::udp_open(Endpoint{d.local, 0}, session_socket_options(), &socket_error);
  if (fd >= 0) return fd;
  admission_.release(d.from);
  counters_.refused_busy.inc();
  log(refusals_.level(now, LogLevel::warn), "tftp.refused", "client={} file=\"{}\"{} reason=\"{}\"", d.from.to_string(),
      path, direction, socket_error);
  refuse(d, tftp::ErrorCode::undefined, "server busy, try again");
  return -1;
}

// A slot for the admitted peer, receiving on the transfer's socket.
std::uint32_t TftpService::claim_slot(const io::Datagram& d, int fd, const std::string& path) {
  const std::uint32_t index = take_slot();
  Slot& slot = slots_[index];
  slot.fd = fd;
  slot.peer = d.from;
  slot.filename = path;
  counters_.sessions_active.add(1);
  io::udp_receive(ring_, buffers_, fd, io::Tag{kTftpSession, index, slot.generation});
  return index;
}

void TftpService::count_options(const tftp::Negotiated& n) {
  if (n.accepted(tftp::OptionKind::blksize)) counters_.option_blksize.inc();
  if (n.accepted(tftp::OptionKind::windowsize)) counters_.option_windowsize.inc();
  if (n.accepted(tftp::OptionKind::tsize)) counters_.option_tsize.inc();
  if (n.accepted(tftp::OptionKind::timeout)) counters_.option_timeout.inc();
}

void TftpService::count_result(tftp::Result result, double elapsed_seconds, std::uint64_t bytes,
                               std::uint64_t retransmits, std::uint64_t timer_resends, std::uint64_t ignored) {
  counters_.bytes.inc(bytes);
  counters_.retransmits.inc(retransmits);
  counters_.timer_resends.inc(timer_resends);
  counters_.malformed.inc(ignored);
  switch (result) {
    case tftp::Result::ok:
      counters_.transfers_ok.inc();
      counters_.transfer_seconds.observe(elapsed_seconds);
      break;
    case tftp::Result::probe:
      counters_.probes.inc();
      break;
    case tftp::Result::client_error:
      counters_.transfers_aborted.inc();
      break;
    default:
      counters_.transfers_failed.inc();
      break;
  }
}

// The end a read and an upload share: its timer, its receive, its socket and
// its admission. The caller then drops what is its own and releases the slot.
void TftpService::close_transfer(std::uint32_t index) {
  Slot& slot = slots_[index];
  timers_.cancel(index);
  io::cancel(ring_, io::Tag{kTftpSession, index, slot.generation});
  // A final packet (an ERROR, the last ACK) may still be queued naming this
  // descriptor: hand it to the kernel before the number can be reused.
  ring_.flush();
  io::close_fd(slot.fd);
  admission_.release(slot.peer);
  counters_.sessions_active.add(-1);
  slot.fd = -1;
}

void TftpService::release_slot(std::uint32_t index) {
  ++slots_[index].generation;
  free_slot(index);
}

// Every admitted peer holds a slot, and admission admits no more peers than
// there are slots: an admitted request always finds one free.
std::uint32_t TftpService::take_slot() {
  RINGBOOT_ASSERT(!free_.empty());
  RINGBOOT_ASSERT(admission_.active() == active() + 1);  // the peer just admitted
  const std::uint32_t index = free_.back();
  free_.pop_back();
  RINGBOOT_ASSERT(!slots_[index].busy());
  return index;
}

void TftpService::free_slot(std::uint32_t index) {
  RINGBOOT_ASSERT(index < slots_.size() && !slots_[index].busy() && free_.size() < slots_.size());
  free_.push_back(index);
  RINGBOOT_ASSERT(admission_.active() == active());
}

const std::uint8_t* TftpService::content(const Slot& slot) const {
  if (!slot.netascii.empty()) return slot.netascii.data();
  return slot.file == nullptr || slot.file->data.empty() ? nullptr : slot.file->data.data();
}

}  // namespace ringboot
