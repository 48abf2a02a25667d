#include "app/metrics_page.h"

#include <fmt/format.h>

#include <array>

#include "app/store_writer.h"
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
void write_fleet(MetricsWriter& out, const SharedFleet& fleet, std::int64_t now_ms) {
  const fleet::FleetCounters c = fleet.counters();
  single(out, "ringboot_fleet_machines", MetricType::gauge, "Machines in the fleet inventory.", fleet.machines());
  single(out, "ringboot_fleet_machines_refused_total", MetricType::counter,
         "New machines not added because the inventory held machines_max; they boot local.", c.machines_refused);
  out.family("ringboot_fleet_boots_total", MetricType::counter,
             "Boot decisions answered on /ipxe and on GRUB's config names.");
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
  // Bounded labels: one series per stage, never per machine.
  const fleet::Fleet::StageCounts stages = fleet.stage_counts(now_ms);
  out.family("ringboot_machines", MetricType::gauge, "Machines of the inventory by stage of the boot chain.");
  for (std::size_t i = 0; i < fleet::kStageCount; ++i)
    out.sample("ringboot_machines", fmt::format("stage=\"{}\"", fleet::to_string(static_cast<fleet::Stage>(i))),
               std::uint64_t{stages.machines[i]});
  out.family("ringboot_machines_stuck", MetricType::gauge,
             "Machines with no step for [fleet] stuck_after_seconds in a boot in progress, by stage.");
  for (std::size_t i = 0; i < fleet::kStageCount; ++i)
    if (fleet::in_progress(static_cast<fleet::Stage>(i)))
      out.sample("ringboot_machines_stuck", fmt::format("stage=\"{}\"", fleet::to_string(static_cast<fleet::Stage>(i))),
                 std::uint64_t{stages.stuck[i]});
  out.family("ringboot_boot_stage_seconds", MetricType::histogram,
             "Time machines spent in a stage of the boot chain, observed when they leave it for a later stage "
             "(a reboot from the middle of the chain observes nothing).");
  for (std::size_t i = 0; i < fleet::kStageCount; ++i)
    if (fleet::in_progress(static_cast<fleet::Stage>(i)))
      out.histogram("ringboot_boot_stage_seconds",
                    fmt::format("stage=\"{}\"", fleet::to_string(static_cast<fleet::Stage>(i))),
                    fleet::kStageBucketsSeconds, c.stage_seconds[i]);
  out.family("ringboot_machines_failed_total", MetricType::counter,
             "Machines the boot-loop breaker put in failed, by the furthest stage their last install boot reached "
             "(discovered: not seen since ringboot started).");
  for (std::size_t i = 0; i < fleet::kStageCount; ++i)
    if (const auto stage = static_cast<fleet::Stage>(i); stage == fleet::Stage::discovered || fleet::in_progress(stage))
      out.sample("ringboot_machines_failed_total", fmt::format("stage=\"{}\"", fleet::to_string(stage)),
                 c.failed_by_stage[i]);
  // One series per rollout: at most [fleet] rollouts_max, names of a checked form.
  const std::vector<fleet::RolloutSummary> rollouts =
      fleet.read([&](const fleet::Fleet& f) { return f.rollout_summaries(now_ms); });
  const auto per_rollout = [&](std::string_view name, std::string_view help, auto value) {
    out.family(name, MetricType::gauge, help);
    for (const fleet::RolloutSummary& r : rollouts)
      out.sample(name, fmt::format("rollout=\"{}\"", r.name), std::uint64_t{value(r)});
  };
  per_rollout("ringboot_rollout_machines", "Machines of each rollout (GET /api/v1/rollouts).",
              [](const fleet::RolloutSummary& r) { return r.machines; });
  per_rollout("ringboot_rollout_done", "Machines of each rollout whose install reported done.",
              [](const fleet::RolloutSummary& r) { return r.done; });
  per_rollout("ringboot_rollout_failed", "Machines of each rollout the boot-loop breaker stopped.",
              [](const fleet::RolloutSummary& r) { return r.failed; });
  per_rollout("ringboot_rollout_stuck", "Machines of each rollout stuck in a stage of the boot chain.",
              [](const fleet::RolloutSummary& r) { return r.stuck; });
  single(out, "ringboot_fleet_sightings_total", MetricType::counter,
         "DHCP requests, TFTP reads and HTTP requests recorded against a machine of the inventory.", c.sightings);
  if (const StoreWriter* writer = fleet.writer()) {
    const std::array<const StoreCounters*, 1> store{&writer->counters()};
    metric_table_of_store().write(out, store);
  }
}

}  // namespace

std::string render_metrics(const Workers& workers, const SharedFleet* fleet, std::int64_t now_ms, bool api) {
  MetricsWriter out;
  out.family("ringboot_build_info", MetricType::gauge, "ringboot's version.");
  out.sample("ringboot_build_info", fmt::format("version=\"{}\"", kVersion), std::uint64_t{1});
  out.family("ringboot_worker_threads", MetricType::gauge, "Worker threads, one io_uring each.");
  out.sample("ringboot_worker_threads", "", std::uint64_t{workers.size()});
  write(out, io::metric_table(), workers, [](const WorkerStats& w) { return &w.io; });
  write(out, tftp::metric_table(), workers, [](const WorkerStats& w) { return &w.tftp; });
  write(out, http::metric_table(), workers, [](const WorkerStats& w) { return &w.http; });
  write(out, dhcp::metric_table(), workers, [](const WorkerStats& w) { return w.dhcp.load(); });
  write(out, dhcp6::metric_table(), workers, [](const WorkerStats& w) { return w.dhcp6.load(); });
  const bool fleet_on = fleet != nullptr && fleet->enabled();
  if (fleet_on) write_fleet(out, *fleet, now_ms);
  // The API's listener, and the installer's callbacks while the fleet is on.
  if (api || fleet_on) write(out, api::metric_table(), workers, [](const WorkerStats& w) { return &w.api; });
  return out.take();
}

}  // namespace ringboot
