// One worker thread: its own ring, buffers, file cache and services; shares
// nothing with other workers but its counters, which a scrape reads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "api/counters.h"
#include "app/api_shared.h"
#include "app/config.h"
#include "app/fleet_service.h"
#include "app/settings_box.h"
#include "dhcp/counters.h"
#include "dhcp6/engine.h"
#include "http/counters.h"
#include "io/ring.h"
#include "tftp/counters.h"

namespace ringboot {

// Everything a scrape may read while the worker runs: atomics, one writer.
struct WorkerStats {
  io::IoCounters io;
  tftp::TftpCounters tftp;
  http::HttpCounters http;
  api::ApiCounters api;  // the admin API's listener and the installer's callbacks
  // The DHCP engine runs on worker 0 only (one lease table) and owns its counters.
  std::atomic<const dhcp::DhcpCounters*> dhcp{nullptr};
  std::atomic<const dhcp6::Counters*> dhcp6{nullptr};
};

// running -> draining (SIGTERM: stop accepting, finish what is in flight
// within the grace period) -> stopped.
enum class RunPhase { running, draining, stopped };

class Worker {
 public:
  // `fleet`: the per-machine boot engine, one for all workers (see SharedFleet);
  // `api`: the admin API's sessions and subscriber count, one for all workers.
  Worker(const SettingsBox& settings, unsigned id, unsigned threads, WorkerStats& stats,
         std::function<std::string()> metrics, SharedFleet* fleet, ApiShared* api = nullptr);
  ~Worker();
  // Runs on the worker's own thread: sets up the ring (a ring belongs to the
  // thread that made it), then serves until `phase` says stop.
  bool init(std::string* error);
  void run(const std::atomic<RunPhase>& phase);

 private:
  struct State;
  const SettingsBox& box_;
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<const Settings> started_with_;  // services built at start may refer into it
  std::uint64_t settings_version_ = 0;
  unsigned id_;
  unsigned threads_;
  WorkerStats& stats_;
  std::function<std::string()> metrics_;
  SharedFleet* fleet_;
  ApiShared* api_;
  std::unique_ptr<State> state_;
};

}  // namespace ringboot
