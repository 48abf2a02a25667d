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

// A family of one unlabelled sample.
void single(MetricsWriter& out, std::string_view name, MetricType type, std::string_view help, std::uint64_t value) {
  out.family(name, type, help);
  out.sample(name, "", value);
}

// The fleet engine is one for the process: its counters are read, not summed.
void write_fleet(MetricsWriter& out, const SharedFleet& fleet) {
  const fleet::FleetCounters c = fleet.counters();
  single(out, "ringboot_fleet_machines", MetricType::gauge, "Machines in the fleet inventory.", fleet.machines());
  single(out, "ringboot_fleet_machines_refused_total", MetricType::counter,
         "New machines not added because the inventory held machines_max; they boot local.", c.machines_refused);
  out.family("ringboot_fleet_boots_total", MetricType::counter, "Boot decisions answered on /ipxe.");
  out.sample("ringboot_fleet_boots_total", "decision=\"install\"", c.boots_install);
  out.sample("ringboot_fleet_boots_total", "decision=\"local\"", c.boots_local);
  single(out, "ringboot_fleet_failed_total", MetricType::counter,
         "Machines put in failed by the boot-loop breaker (install_attempts_max starts without done).", c.failed);
  out.family("ringboot_fleet_done_total", MetricType::counter, "Install done reports, accepted or refused.");
  out.sample("ringboot_fleet_done_total", "result=\"accepted\"", c.done_accepted);
  out.sample("ringboot_fleet_done_total", "result=\"refused\"", c.done_refused);
  single(out, "ringboot_fleet_render_errors_total", MetricType::counter,
         "Install scripts that did not render for a machine (answered with local boot).", c.render_errors);
  out.family("ringboot_fleet_events_total", MetricType::counter,
             "Installer progress messages: kept, refused (token or size), or dropped as the oldest over events_max.");
  out.sample("ringboot_fleet_events_total", "result=\"accepted\"", c.events_accepted);
  out.sample("ringboot_fleet_events_total", "result=\"refused\"", c.events_refused);
  out.sample("ringboot_fleet_events_total", "result=\"dropped\"", c.events_dropped);
  single(out, "ringboot_fleet_sightings_total", MetricType::counter,
         "DHCP requests, TFTP reads and HTTP requests recorded against a machine of the inventory.", c.sightings);
}

}  // namespace

std::string render_metrics(const Workers& workers, const SharedFleet* fleet) {
  MetricsWriter out;
  out.family("ringboot_build_info", MetricType::gauge, "ringboot's version.");
  out.sample("ringboot_build_info", fmt::format("version=\"{}\"", kVersion), std::uint64_t{1});
  out.family("ringboot_worker_threads", MetricType::gauge, "Worker threads, one io_uring each.");
  out.sample("ringboot_worker_threads", "", std::uint64_t{workers.size()});
  write(out, io::metric_table(), workers, [](const WorkerStats& w) { return &w.io; });
  write(out, tftp::metric_table(), workers, [](const WorkerStats& w) { return &w.tftp; });
  write(out, http::metric_table(), workers, [](const WorkerStats& w) { return &w.http; });
  write(out, dhcp::metric_table(), workers, [](const WorkerStats& w) { return w.dhcp.load(); });
  if (fleet != nullptr && fleet->enabled()) write_fleet(out, *fleet);
  return out.take();
}

}  // namespace ringboot
