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

#include "base/endpoint.h"
#include "fleet/config.h"
#include "fleet/engine.h"

namespace ringboot {

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
                   std::int64_t now_unix);
  fleet::FleetCounters counters() const;
  std::size_t machines() const;

 private:
  std::string http_base(std::optional<std::string_view> host) const;

  mutable std::mutex mutex_;
  fleet::Fleet engine_;
  std::atomic<bool> enabled_{false};
};

}  // namespace ringboot
