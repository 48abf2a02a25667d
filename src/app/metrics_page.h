// The /metrics page: every worker's counters, summed at scrape time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/worker.h"

namespace ringboot {

std::string render_metrics(const std::vector<std::unique_ptr<WorkerStats>>& workers);

}  // namespace ringboot
