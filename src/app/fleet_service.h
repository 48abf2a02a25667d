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
//
// Persistence: every change bumps a sequence and wakes the StoreWriter
// (app/store_writer.h), which takes the engine's changes under the lock and
// writes them on its own thread. change() waits for its sequence; a boot, a
// sighting and a reload never wait. Without a writer (per-machine boot was
// off at start, so no store was opened) changes are dropped and change()
// reports them not durable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/service.h"
#include "base/endpoint.h"
#include "base/time.h"
#include "fleet/config.h"
#include "fleet/engine.h"

namespace ringboot {

class StoreWriter;

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
  std::string ipxe(std::string_view target, std::optional<IpAddress> peer, std::optional<std::string_view> host,
                   std::int64_t now_ms);
  // A GRUB config name (fleet/grub.h) asked over TFTP or HTTP: the
  // machine's rendered config (a boot decision, like /ipxe), found by the
  // MAC in the name or through the address index for an address name; the
  // chain config for the generic name. nullopt: not a name ringboot
  // answers (a subnet's, an address no machine was seen at). `host`: the
  // request's Host, or over TFTP the address it came to with the HTTP port.
  std::optional<std::string> grub(std::string_view path, std::optional<IpAddress> peer,
                                  std::optional<std::string_view> host, std::int64_t now_ms);
  fleet::FleetCounters counters() const;
  fleet::Fleet::StageCounts stage_counts(std::int64_t now_ms) const;
  std::size_t machines() const;

  // Facts from the DHCP, TFTP and HTTP services; never wait on the store.
  void observe_dhcp(fleet::DhcpSighting sighting, std::int64_t now_ms);
  void fetched(fleet::Fetch fetch, std::int64_t now_ms);

  // Runs `f` on the engine under the lock. When it changed anything, returns
  // only once the store has the change on disk: an acknowledged change (an
  // API 2xx, an accepted done) survives kill -9.
  template <typename F>
  auto change(F f) -> Changed<decltype(f(std::declval<fleet::Fleet&>()))> {
    std::unique_lock lock(mutex_);
    auto result = f(engine_);
    const std::uint64_t sequence = note_changes_locked();
    StoreWriter* writer = writer_;
    const Duration bound = engine_.config().settings.store_wait;
    lock.unlock();
    return {std::move(result), sequence == 0 || wait_durable(writer, sequence, bound)};
  }
  // Runs `f` on the engine under the lock, for reads (the API's views).
  template <typename F>
  auto read(F f) const -> decltype(f(std::declval<const fleet::Fleet&>())) {
    std::lock_guard lock(mutex_);
    return f(engine_);
  }

  // At start, before serving: the change feed's bound ([api] events_buffer)
  // and first sequence (the start time in ms times 1000: no id of an
  // earlier run is one of this run's).
  void configure_feed(std::size_t capacity, std::uint64_t base);
  // The feed's newest sequence, without the lock: a subscriber at it has
  // nothing to take.
  std::uint64_t feed_last() const { return feed_last_.load(std::memory_order_acquire); }

  // At start, before serving: the store's machines into the engine. The
  // number that did not fit in machines_max (0: all restored).
  std::size_t restore(std::vector<fleet::Machine> machines);
  // The store's writer from now on (it outlives every caller of change()).
  void attach(StoreWriter* writer);
  // The writer's side: what changed, and the sequence it covers.
  fleet::Changes take_changes(std::uint64_t* sequence);
  // The writer's counters for /metrics; nullptr without a store.
  const StoreWriter* writer() const;

 private:
  std::string http_base(std::optional<std::string_view> host) const;
  std::string grub_http_base(std::optional<std::string_view> host) const;
  // One boot decision, logged (fleet.boot); facts.http_base is filled here.
  std::string boot(fleet::BootFacts& facts, std::optional<std::string_view> host, std::string_view mac_text,
                   std::int64_t now_ms);
  // Under the lock: hands what changed to the store's writer; returns the
  // sequence number to wait for, 0 when nothing changed.
  // `urgent`: false for sightings only, which the writer may hold back and
  // batch (StoreWriterOptions::coalesce); a decision or an API change is urgent.
  std::uint64_t note_changes_locked(bool urgent = true);
  // Blocks until the store has written `sequence` (true), has failed or
  // `bound` has passed (false).
  static bool wait_durable(StoreWriter* writer, std::uint64_t sequence, Duration bound);

  mutable std::mutex mutex_;
  fleet::Fleet engine_;
  std::uint64_t sequence_ = 0;  // bumped by every change to the engine
  StoreWriter* writer_ = nullptr;
  std::atomic<bool> enabled_{false};
  std::atomic<std::uint64_t> feed_last_{0};
};

// The API's way to the engine (api::FleetAccess) over a SharedFleet. A
// change blocks the calling worker until the store has written it: an API
// call or an installer callback is rare next to the transfers, and a 2xx
// must mean the change survives a crash.
class FleetApiAccess final : public api::FleetAccess {
 public:
  explicit FleetApiAccess(SharedFleet& fleet) : fleet_(fleet) {}
  void read(const std::function<void(const fleet::Fleet&)>& f) const override {
    fleet_.read([&](const fleet::Fleet& engine) {
      f(engine);
      return 0;
    });
  }
  bool change(const std::function<void(fleet::Fleet&)>& f) override {
    return fleet_
        .change([&](fleet::Fleet& engine) {
          f(engine);
          return 0;
        })
        .durable;
  }

 private:
  SharedFleet& fleet_;
};

}  // namespace ringboot
