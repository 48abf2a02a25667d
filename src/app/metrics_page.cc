#include "app/metrics_page.h"

#include <fmt/format.h>

#include "base/metrics.h"
#include "base/version.h"

namespace ringboot {
namespace {

using Workers = std::vector<std::unique_ptr<WorkerStats>>;

// One table's families over every worker's part `of` it (null: not running there).
template <typename S, typename Of>
void write(MetricsWriter& out, const MetricTable<S>& table, const Workers& workers, Of of) {
  std::vector<const S*> parts;
  for (const auto& w : workers) parts.push_back(of(*w));
  table.write(out, parts);
}

}  // namespace

std::string render_metrics(const Workers& workers) {
  MetricsWriter out;
  out.family("ringboot_build_info", MetricType::gauge, "ringboot's version.");
  out.sample("ringboot_build_info", fmt::format("version=\"{}\"", kVersion), std::uint64_t{1});
  out.family("ringboot_worker_threads", MetricType::gauge, "Worker threads, one io_uring each.");
  out.sample("ringboot_worker_threads", "", std::uint64_t{workers.size()});
  write(out, io::metric_table(), workers, [](const WorkerStats& w) { return &w.io; });
  write(out, tftp::metric_table(), workers, [](const WorkerStats& w) { return &w.tftp; });
  write(out, http::metric_table(), workers, [](const WorkerStats& w) { return &w.http; });
  write(out, dhcp::metric_table(), workers, [](const WorkerStats& w) { return w.dhcp.load(); });
  return out.take();
}

}  // namespace ringboot
