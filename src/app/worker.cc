#include "app/worker.h"

#include <array>
#include <bit>

#include "app/dhcp6_service.h"
#include "app/dhcp_service.h"
#include "app/http_service.h"
#include "app/kinds.h"
#include "app/tftp_service.h"
#include "io/file.h"
#include "io/udp.h"

namespace ringboot {

namespace {
constexpr unsigned kRingEntries = 4096;
constexpr unsigned kReceiveBuffers = 4096;
static_assert(std::has_single_bit(kReceiveBuffers), "a provided-buffer ring holds a power of two");
constexpr unsigned kReceiveBufferBytes = 2048;  // RRQs, ACKs and DHCP packets fit
constexpr std::uint16_t kUdpBufferGroup = 1;
// Wake at least this often to notice a stop request.
constexpr Duration kStopPoll = milliseconds(200);

// The worker's only clock reads: once per loop turn, handed to the services.
void read_clocks(Tick& tick) {
  tick.now = Clock::now();
  tick.unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  tick.unix_seconds = tick.unix_ms / 1000;
}

std::uint32_t share(std::uint32_t total, unsigned threads) {
  return std::max<std::uint32_t>(1, (total + threads - 1) / threads);
}
}  // namespace

struct Worker::State {
  Tick tick;
  std::unique_ptr<io::Ring> ring;
  std::unique_ptr<io::BufferRing> buffers;
  std::unique_ptr<io::FileCache> files;
  std::unique_ptr<TftpService> tftp;
  std::unique_ptr<HttpService> http;
  std::unique_ptr<DhcpService> dhcp;
  std::unique_ptr<Dhcp6Service> dhcp6;
  std::array<io::Completion, std::size_t{4} * kRingEntries> completions;
};

Worker::Worker(const SettingsBox& settings, unsigned id, unsigned threads, WorkerStats& stats,
               std::function<std::string()> metrics, SharedFleet* fleet, ApiShared* api)
    : box_(settings),
      settings_(settings.get()),
      started_with_(settings_),
      settings_version_(settings.version()),
      id_(id),
      threads_(threads),
      stats_(stats),
      metrics_(std::move(metrics)),
      fleet_(fleet),
      api_(api) {}

Worker::~Worker() = default;

bool Worker::init(std::string* error) {
  state_ = std::make_unique<State>();
  State& s = *state_;
  read_clocks(s.tick);
  s.ring = io::Ring::create(kRingEntries, stats_.io, error);
  if (!s.ring) return false;
  s.buffers = io::BufferRing::create(*s.ring, kUdpBufferGroup, kReceiveBuffers, kReceiveBufferBytes, error);
  if (!s.buffers) return false;
  const std::uint32_t sessions = share(settings_->tftp.sessions_max, threads_);
  // Every session and connection may hold a different file open.
  s.files = io::FileCache::create(settings_->root, sessions + share(settings_->http.connections_max, threads_) + 64,
                                  256, error);
  if (!s.files) return false;
  if (!settings_->tftp.listen.empty()) {
    s.tftp = std::make_unique<TftpService>(
        *s.ring, s.tick, *s.buffers, *s.files, settings_->tftp, sessions, stats_.tftp, fleet_,
        settings_->http.listen.empty() ? std::uint16_t{0} : settings_->http.listen.front().port);
    if (!s.tftp->start(error)) return false;
  }
  if (!settings_->http.listen.empty() || !settings_->http.metrics_listen.empty() || settings_->api.enabled()) {
    s.http = std::make_unique<HttpService>(*s.ring, s.tick, *s.files, settings_->http, settings_->api,
                                           share(settings_->http.connections_max, threads_), stats_.http, stats_.api,
                                           metrics_, fleet_, api_);
    if (!s.http->start(error)) return false;
  }
  if (id_ == 0 && settings_->dhcp.mode != dhcp::Mode::off) {
    s.dhcp = std::make_unique<DhcpService>(*s.ring, s.tick, *s.buffers, settings_->dhcp, fleet_);
    if (!s.dhcp->start(error)) return false;
    stats_.dhcp.store(&s.dhcp->counters());
  }
  if (id_ == 0 && settings_->dhcp6.mode != dhcp6::Mode::off) {
    dhcp6::Dhcp6Config config = settings_->dhcp6;
    config.boot = settings_->dhcp.boot;  // one set of boot rules for both families
    if (!settings_->http.listen.empty()) config.http_port = settings_->http.listen.front().port;
    s.dhcp6 = std::make_unique<Dhcp6Service>(*s.ring, s.tick, *s.buffers, config, fleet_);
    if (!s.dhcp6->start(error)) return false;
    stats_.dhcp6.store(&s.dhcp6->counters());
  }
  return true;
}

void Worker::run(const std::atomic<RunPhase>& phase) {
  State& s = *state_;
  bool draining = false;
  Instant drain_deadline = kNever;
  for (;;) {
    read_clocks(s.tick);
    Instant now = s.tick.now;
    const RunPhase p = phase.load(std::memory_order_relaxed);
    if (p == RunPhase::stopped) break;
    if (box_.version() != settings_version_) {
      // SIGHUP: new transfers use the new settings, those in flight keep theirs.
      settings_version_ = box_.version();
      settings_ = box_.get();
      if (s.tftp) s.tftp->reload(settings_->tftp);
      if (s.http) s.http->reload(settings_->http, settings_->api);
      if (s.dhcp) s.dhcp->reload(settings_->dhcp);
    }
    if (p == RunPhase::draining && !draining) {
      draining = true;
      drain_deadline = now + settings_->shutdown_grace;
      if (s.tftp) s.tftp->stop_accepting();
      if (s.http) s.http->stop_accepting();
    }
    if (draining) {
      const bool busy = (s.tftp && s.tftp->active() > 0) || (s.http && s.http->active() > 0);
      if (!busy || now >= drain_deadline) break;
    }
    Instant deadline = now + kStopPoll;
    if (s.tftp) deadline = std::min(deadline, s.tftp->next_deadline());
    if (s.http) deadline = std::min(deadline, s.http->next_deadline());
    if (s.dhcp) deadline = std::min(deadline, s.dhcp->next_deadline());
    if (s.dhcp6) deadline = std::min(deadline, s.dhcp6->next_deadline());
    s.ring->submit_and_wait(deadline, now);
    read_clocks(s.tick);
    now = s.tick.now;
    if (s.http) s.http->begin_turn(now);
    // Reap, then run: handlers may queue new operations but never recurse.
    for (;;) {
      const std::size_t n = s.ring->reap(s.completions);
      if (n == 0) break;
      read_clocks(s.tick);
      now = s.tick.now;
      for (std::size_t i = 0; i < n; ++i) {
        const io::Completion& c = s.completions[i];
        switch (c.tag.kind) {
          case kTftpListen:
          case kTftpSession:
          case kTftpSend:
            if (s.tftp) s.tftp->on_completion(c, now);
            break;
          case kHttpAccept:
          case kHttpReceive:
          case kHttpSend:
          case kHttpPoll:
            if (s.http) s.http->on_completion(c, now);
            break;
          case kDhcpReceive:
          case kDhcpSend:
            if (s.dhcp) s.dhcp->on_completion(c, now);
            break;
          case kDhcp6Receive:
          case kDhcp6Send:
            if (s.dhcp6) s.dhcp6->on_completion(c, now);
            break;
          default:
            break;
        }
      }
      if (n < s.completions.size()) break;
    }
    read_clocks(s.tick);
    now = s.tick.now;
    if (s.tftp) s.tftp->on_timers(now);
    if (s.http) s.http->on_timers(now);
    if (s.dhcp) s.dhcp->on_timers(now);
    if (s.dhcp6) s.dhcp6->on_timers(now);
  }
  if (s.dhcp) s.dhcp->shutdown();
  if (s.dhcp6) s.dhcp6->shutdown();
}

}  // namespace ringboot
