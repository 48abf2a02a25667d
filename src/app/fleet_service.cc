#include "app/fleet_service.h"

#include <algorithm>
#include <array>

#include "app/store_writer.h"
#include "base/log.h"
#include "fleet/grub.h"
#include "fleet/script.h"
#include "http/query.h"
#include "io/random.h"

namespace ringboot {

namespace {
// A Host header goes into the scripts' URLs: only a host name or address and
// a port, nothing iPXE would expand or split on.
bool plain_host(std::string_view host) {
  return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
           c == ':' || c == '[' || c == ']';
  });
}

// Token bytes from a pool of this thread's, refilled 4 KiB at a time: one
// getrandom(2) per 256 boots rather than one per boot. A byte handed out is
// wiped from the pool.
bool token_bytes(fleet::Token& out) {
  thread_local std::array<std::uint8_t, 4096> pool;
  thread_local std::size_t left = 0;
  static_assert(std::tuple_size_v<decltype(pool)> % fleet::kTokenBytes == 0);
  if (left < out.size()) {
    if (!io::random_bytes(pool)) return false;
    left = pool.size();
  }
  std::uint8_t* const from = pool.data() + (pool.size() - left);
  std::copy_n(from, out.size(), out.begin());
  std::fill_n(from, out.size(), std::uint8_t{0});
  left -= out.size();
  return true;
}
}  // namespace

SharedFleet::SharedFleet(fleet::FleetConfig config) : engine_(std::move(config)) {
  enabled_.store(engine_.enabled(), std::memory_order_release);
}

void SharedFleet::configure(fleet::FleetConfig config) {
  std::lock_guard lock(mutex_);
  engine_.configure(std::move(config));
  enabled_.store(engine_.enabled(), std::memory_order_release);
}

std::string SharedFleet::http_base(std::optional<std::string_view> host) const {
  // Read under the caller's lock.
  const std::string& configured = engine_.config().settings.http_base;
  if (!configured.empty()) return configured;
  if (host && plain_host(*host)) return "http://" + std::string(*host);
  // No usable Host (HTTP/1.0): iPXE fills in the server it booted from.
  return "http://${next-server}";
}

std::string SharedFleet::grub_http_base(std::optional<std::string_view> host) const {
  const std::string& configured = engine_.config().settings.http_base;
  if (!configured.empty()) return configured;
  if (host && plain_host(*host)) return "http://" + std::string(*host);
  // Nothing to name the server by: {{http_base}}/x is the path /x on GRUB's
  // root, the TFTP server it booted from.
  return {};
}

std::string SharedFleet::chain(std::optional<std::string_view> host) const {
  std::lock_guard lock(mutex_);
  return fleet::chain_script(http_base(host));
}

std::string SharedFleet::ipxe(std::string_view target, std::optional<IpAddress> peer,
                              std::optional<std::string_view> host, std::int64_t now_ms) {
  const std::optional<std::string> mac_text = http::query_value(target, "mac");
  const std::string uuid = http::query_value(target, "uuid").value_or("");
  const std::string buildarch = http::query_value(target, "buildarch").value_or("");
  const std::string platform = http::query_value(target, "platform").value_or("");
  fleet::BootFacts facts;
  facts.mac = mac_text ? Mac::parse_any(*mac_text) : std::nullopt;
  facts.uuid = uuid;
  facts.buildarch = buildarch;
  facts.platform = platform;
  facts.ip = peer;
  return boot(facts, host, mac_text.value_or(""), now_ms);
}

std::optional<std::string> SharedFleet::grub(std::string_view path, std::optional<IpAddress> peer,
                                             std::optional<std::string_view> host, std::int64_t now_ms) {
  const std::optional<fleet::GrubName> name = fleet::parse_grub_name(path);
  if (!name) return std::nullopt;
  fleet::BootFacts facts;
  facts.loader = fleet::Loader::grub;
  facts.ip = peer;
  switch (name->kind) {
    case fleet::GrubNameKind::generic:
      return fleet::grub_chain_config();
    case fleet::GrubNameKind::ip_prefix:
      return std::nullopt;  // a subnet's name: a static file's, if any
    case fleet::GrubNameKind::mac:
      facts.mac = name->mac;
      break;
    case fleet::GrubNameKind::ip: {
      // The machine last seen at that address (its DHCP ACK, a transfer).
      std::lock_guard lock(mutex_);
      const fleet::Machine* m = engine_.inventory().find_by_ip(*name->ip);
      if (m == nullptr) return std::nullopt;
      facts.mac = m->mac;
      break;
    }
  }
  return boot(facts, host, "", now_ms);
}

std::string SharedFleet::boot(fleet::BootFacts& facts, std::optional<std::string_view> host, std::string_view mac_text,
                              std::int64_t now_ms) {
  const bool grub = facts.loader == fleet::Loader::grub;
  fleet::Token random{};
  if (!token_bytes(random)) {
    // Without an unguessable token no install is started: local boot.
    log(LogLevel::error, "fleet.random_error", "reason=\"getrandom failed: local boot\"");
    if (grub) return fleet::grub_local_config("no random bytes for a token");
    std::lock_guard lock(mutex_);
    return fleet::local_script(engine_.config().settings, facts.platform, "no random bytes for a token");
  }
  fleet::Decision d;
  {
    std::lock_guard lock(mutex_);
    facts.http_base = grub ? grub_http_base(host) : http_base(host);
    d = engine_.boot(facts, now_ms / 1000, random, now_ms);
    note_changes_locked();  // a boot is not acknowledged: it never waits on the disk
  }
  // iPXE's lines as they were; a GRUB config's say so at the end.
  const std::string_view loader = grub ? " loader=grub" : "";
  if (!facts.mac) {
    log(LogLevel::warn, "fleet.boot", "mac=\"{}\" decision=local reason={}{}", mac_text, fleet::to_string(d.reason),
        loader);
  } else if (d.reason == fleet::Reason::render_error) {
    log(LogLevel::error, "fleet.boot", "mac={} decision=local reason={} error=\"{}\"{}", facts.mac->to_string(),
        fleet::to_string(d.reason), d.error, loader);
  } else if (log_level() <= LogLevel::info) {  // the MAC is spelt only for a line that is written
    log(LogLevel::info, "fleet.boot", "mac={} decision={} profile=\"{}\" reason={} state={} install_attempts={}{}",
        facts.mac->to_string(), d.install() ? "install" : "local", d.profile, fleet::to_string(d.reason),
        fleet::to_string(d.state), d.install_attempts, loader);
  }
  return std::move(d.script);
}

void SharedFleet::observe_dhcp(fleet::DhcpSighting sighting, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  engine_.observe_dhcp(std::move(sighting), now_ms);
  note_changes_locked(false);
}

void SharedFleet::fetched(fleet::Fetch fetch, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  engine_.fetched(std::move(fetch), now_ms);
  note_changes_locked(false);
}

std::uint64_t SharedFleet::note_changes_locked(bool urgent) {
  feed_last_.store(engine_.feed().last(), std::memory_order_release);
  if (!engine_.has_changes()) return 0;
  ++sequence_;
  if (writer_ != nullptr)
    writer_->notify(sequence_, urgent);
  else
    (void)engine_.take_changes();  // no store: nothing to write them to
  return sequence_;
}

bool SharedFleet::wait_durable(StoreWriter* writer, std::uint64_t sequence, Duration bound) {
  return writer != nullptr && writer->wait_durable(sequence, bound);
}

std::size_t SharedFleet::restore(std::vector<fleet::Machine> machines) {
  std::lock_guard lock(mutex_);
  std::size_t refused = 0;
  for (fleet::Machine& m : machines)
    if (!engine_.restore(std::move(m))) ++refused;
  return refused;
}

void SharedFleet::configure_feed(std::size_t capacity, std::uint64_t base) {
  std::lock_guard lock(mutex_);
  engine_.configure_feed(capacity, base);
  feed_last_.store(engine_.feed().last(), std::memory_order_release);
}

void SharedFleet::attach(StoreWriter* writer) {
  std::lock_guard lock(mutex_);
  writer_ = writer;
  note_changes_locked();  // anything changed before (a machine declared by the config is not: it is not stored)
}

fleet::Changes SharedFleet::take_changes(std::uint64_t* sequence) {
  std::lock_guard lock(mutex_);
  *sequence = sequence_;
  return engine_.take_changes();
}

const StoreWriter* SharedFleet::writer() const {
  std::lock_guard lock(mutex_);
  return writer_;
}

fleet::FleetCounters SharedFleet::counters() const {
  std::lock_guard lock(mutex_);
  return engine_.counters();
}

fleet::Fleet::StageCounts SharedFleet::stage_counts(std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  return engine_.stage_counts(now_ms);
}

std::size_t SharedFleet::machines() const {
  std::lock_guard lock(mutex_);
  return engine_.machines();
}

}  // namespace ringboot
