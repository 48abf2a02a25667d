// The /metrics page: every worker's counters, summed at scrape time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/fleet_service.h"
#include "app/worker.h"

namespace ringboot {

// `fleet`: its ringboot_fleet_* families when per-machine boot is on.
// `api`: the admin API listens; ringboot_api_* then (and while the fleet is
// on: its installer callbacks count there too).
std::string render_metrics(const std::vector<std::unique_ptr<WorkerStats>>& workers, const SharedFleet* fleet = nullptr,
                           bool api = false);

}  // namespace ringboot
