// The /metrics page: every worker's counters, summed at scrape time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/fleet_service.h"
#include "app/worker.h"

namespace ringboot {

// `fleet`: its ringboot_fleet_* families when per-machine boot is on.
// `now_ms` (unix): for the fleet's stuck machines.
// `api`: the admin API listens; ringboot_api_* then (and while the fleet is
// on: its installer callbacks count there too).
std::string render_metrics(const std::vector<std::unique_ptr<WorkerStats>>& workers, const SharedFleet* fleet = nullptr,
                           std::int64_t now_ms = 0, bool api = false);

}  // namespace ringboot
