// Rollouts: named batches of machines. A next boot through the API may name
// one ("rack1-2024.06"); each machine records the rollout it was last named
// in and when, so a rollout's machines are those whose field names it:
// forgetting a machine takes it out, naming another rollout moves it. At
// most [fleet] rollouts_max exist at once (a name no machine holds any more
// is gone, which frees its place).
//
// A rollout's progress is counted from its machines when asked (a pass over
// the inventory, for the API, not the hot path): machines per stage of the
// boot chain, done and failed (their state: it survives a restart, the
// timeline does not), stuck (the timeline), and the time to done: from the
// machine's first firmware DHCP after it joined (or from joining, if it was
// already booting or its DHCP is not ringboot's) to its done. Pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/inventory.h"
#include "fleet/timeline.h"

namespace ringboot::fleet {

class Rollouts {
 public:
  struct Entry {
    std::size_t machines = 0;
    std::int64_t started_unix = 0;  // when it was first named (at start: its earliest join)
  };
  // Whether naming `name` for the machines `moving` keeps at most `max`
  // rollouts, counting those the move empties as gone.
  bool fits(std::string_view name, const std::vector<const Machine*>& moving, std::size_t max) const;
  // `m` joins `name` at `now_unix` (leaving the one it was in): its time to
  // done starts again.
  void join(Machine& m, const std::string& name, std::int64_t now_unix);
  // `m` is forgotten: its rollout no longer counts it.
  void leave(const Machine& m);
  // A stored machine, at start.
  void restore(const Machine& m);
  const Entry* find(std::string_view name) const;
  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }

 private:
  void drop(const std::string& name);
  std::map<std::string, Entry, std::less<>> entries_;
};

struct RolloutMachine {
  Mac mac;
  std::string hostname;
  Stage stage = Stage::discovered;
};

struct RolloutSummary {
  std::string name;
  std::int64_t started_unix = 0;
  std::size_t machines = 0;
  std::array<std::size_t, kStageCount> stages{};
  std::size_t done = 0;
  std::size_t failed = 0;
  std::size_t stuck = 0;
  std::optional<double> time_to_done_p50_s;  // nullopt: none done
  std::optional<double> time_to_done_p99_s;
  // Only when asked for one rollout, in MAC order.
  std::vector<RolloutMachine> failed_machines;
  std::vector<RolloutMachine> stuck_machines;
};

// A machine done in its rollout: seconds from its boot start to its done.
std::optional<std::int64_t> time_to_done_seconds(const Machine& m);
// The nearest-rank percentile (q in (0, 1]) of `values`, which it sorts;
// nullopt when there are none.
std::optional<double> percentile(std::vector<double>& values, double q);

struct RolloutQuery {
  std::int64_t now_ms = 0;
  std::int64_t stuck_after_ms = 0;
  std::optional<std::string_view> only;  // one rollout, with its failed and stuck machines
};
// The rollouts asked for, in name order; one pass over the inventory.
std::vector<RolloutSummary> summarize(const Rollouts& rollouts, const Inventory& inventory, const RolloutQuery& query);

}  // namespace ringboot::fleet
