#include "sim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#ifndef RINGBOOT_SIM_BINARY
#define RINGBOOT_SIM_BINARY "./build/tests/sim_test"
#endif

namespace ringboot::sim {

std::string ms(Duration d) { return fmt::format("{:.3f}ms", std::chrono::duration<double, std::milli>(d).count()); }

std::string NetConfig::describe() const {
  std::string s = fmt::format("loss={:.3f} duplicate={:.3f} reorder={:.3f} latency={}..{} reorder_delay_max={}", loss,
                              duplicate, reorder, ms(latency_min), ms(latency_max), ms(reorder_delay_max));
  for (const auto& [from, to] : outages)
    s += fmt::format(" outage={}+{}", ms(from.time_since_epoch() - std::chrono::hours(1)), ms(to - from));
  return s;
}

NetConfig random_net(World& world, bool lossless, Duration run_length) {
  NetConfig c;
  // A third of the runs get a clean network: the common case must be exact too.
  const bool clean = world.chance(0.25);
  c.loss = lossless || clean ? 0.0 : world.real(0.0, 0.15);
  c.duplicate = clean ? 0.0 : world.real(0.0, 0.05);
  c.reorder = clean ? 0.0 : world.real(0.0, 0.15);
  c.latency_min = microseconds(world.uniform(20, 500));
  c.latency_max = c.latency_min + microseconds(world.uniform(0, 5000));
  c.reorder_delay_max = milliseconds(world.uniform(1, 50));
  if (!lossless && !clean) {
    const auto outages = world.uniform(0, 2);
    for (std::uint64_t i = 0; i < outages; ++i) {
      const Instant from = world.start() + world.between(Duration::zero(), run_length);
      c.outages.emplace_back(from, from + world.between(milliseconds(100), seconds(12)));
    }
  }
  return c;
}

namespace {
std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}
}  // namespace

void run_seeds(std::uint64_t default_seeds, const std::function<RunReport(std::uint64_t seed)>& run) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string filter = fmt::format("{}.{}", info->test_suite_name(), info->name());
  const bool single = std::getenv("RINGBOOT_SIM_SEED") != nullptr;
  std::uint64_t first = 1;
  std::uint64_t last = env_u64("RINGBOOT_SIM_SEEDS", default_seeds);
  if (single) first = last = env_u64("RINGBOOT_SIM_SEED", 1);
  std::size_t failures = 0;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    RunReport report = run(seed);
    if (single)
      std::printf("[sim] %s seed %llu\n%s\n", filter.c_str(), static_cast<unsigned long long>(seed),
                  report.summary.c_str());
    if (report.violations.empty()) continue;
    if (++failures > 5) continue;  // enough to go on; the count is below
    std::string text;
    for (const std::string& v : report.violations.list()) text += "  - " + v + "\n";
    ADD_FAILURE() << "seed " << seed << " failed with " << report.violations.count() << " violation(s):\n"
                  << text << report.summary << "\nreplay: RINGBOOT_SIM_SEED=" << seed << " " << RINGBOOT_SIM_BINARY
                  << " --gtest_filter=" << filter;
  }
  EXPECT_EQ(failures, 0u) << "failing seeds in " << first << ".." << last;
}

}  // namespace ringboot::sim
