// The fleet engine as the HTTP service asks it: GET /boot.ipxe (the chain
// script) and GET /ipxe?mac=...&uuid=...&buildarch=...&platform=... (the
// machine's script).
//
// Threads: one engine for the whole process, shared by every worker and
// guarded by a mutex. Workers share nothing else, but a machine's state
// (attempts, token, done) must not depend on which worker its connection
// landed on, and a decision is a map lookup and at most one 64 KiB render,
// rare next to the file bytes the workers move. This is the first slice's
// choice; a later one may give the engine one owning thread and a queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/endpoint.h"
#include "fleet/config.h"
#include "fleet/engine.h"

namespace ringboot {

// What a change through SharedFleet::change returns: the engine's answer
// and whether the store has it on disk (false: the store failed; the change
// stays in memory and the caller answers 503).
template <typename R>
struct Changed {
  R result;
  bool durable = true;
};

class SharedFleet {
 public:
  explicit SharedFleet(fleet::FleetConfig config);
  // SIGHUP: new profiles, groups and machines; every machine's state stays.
  void configure(fleet::FleetConfig config);
  // Profiles or groups are configured: /boot.ipxe and /ipxe are the fleet's.
  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  // `host`: the request's Host header, used for URLs unless [fleet] http_base is set.
  std::string chain(std::optional<std::string_view> host) const;
  std::string ipxe(std::string_view target, std::optional<Ipv4> peer, std::optional<std::string_view> host,
                   std::int64_t now_ms);
  fleet::FleetCounters counters() const;
  std::size_t machines() const;

  // Facts from the DHCP, TFTP and HTTP services; never wait on the store.
  void observe_dhcp(const fleet::DhcpSighting& sighting, std::int64_t now_ms);
  void fetched(const fleet::Fetch& fetch, std::int64_t now_ms);

  // Runs `f` on the engine under the lock. When it changed anything, returns
  // only once the store has the change on disk: an acknowledged change (an
  // API 2xx, an accepted done) survives kill -9.
  template <typename F>
  auto change(F f) -> Changed<decltype(f(std::declval<fleet::Fleet&>()))> {
    std::unique_lock lock(mutex_);
    auto result = f(engine_);
    const std::uint64_t sequence = note_changes_locked();
    lock.unlock();
    return {std::move(result), sequence == 0 || wait_durable(sequence)};
  }
  // Runs `f` on the engine under the lock, for reads (the API's views).
  template <typename F>
  auto read(F f) const -> decltype(f(std::declval<const fleet::Fleet&>())) {
    std::lock_guard lock(mutex_);
    return f(engine_);
  }

 private:
  std::string http_base(std::optional<std::string_view> host) const;
  // Under the lock: hands what changed to the store's writer; returns the
  // sequence number to wait for, 0 when nothing changed.
  std::uint64_t note_changes_locked();
  // Blocks until the store has written `sequence` (true) or has failed.
  bool wait_durable(std::uint64_t sequence);

  mutable std::mutex mutex_;
  fleet::Fleet engine_;
  std::atomic<bool> enabled_{false};
};

}  // namespace ringboot
