#include "fleet/rollout.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

namespace ringboot::fleet {

bool Rollouts::fits(std::string_view name, const std::vector<const Machine*>& moving, std::size_t max) const {
  if (entries_.find(name) != entries_.end()) return true;  // an existing rollout: no new one
  // The rollouts every one of whose machines moves are gone after the move.
  const std::set<const Machine*> unique(moving.begin(), moving.end());
  std::map<std::string_view, std::size_t> leaving;
  for (const Machine* m : unique)
    if (m != nullptr && !m->rollout.empty()) ++leaving[m->rollout];
  std::size_t emptied = 0;
  for (const auto& [left, count] : leaving)
    if (const Entry* e = find(left); e != nullptr && e->machines == count) ++emptied;
  return entries_.size() - emptied + 1 <= max;
}

void Rollouts::join(Machine& m, const std::string& name, std::int64_t now_unix) {
  if (m.rollout != name) {
    if (!m.rollout.empty()) drop(m.rollout);
    auto [it, added] = entries_.try_emplace(name);
    if (added) it->second.started_unix = now_unix;
    ++it->second.machines;
    m.rollout = name;
  }
  m.rollout_joined_unix = now_unix;
  m.rollout_boot_unix = 0;
}

void Rollouts::leave(const Machine& m) {
  if (!m.rollout.empty()) drop(m.rollout);
}

void Rollouts::restore(const Machine& m) {
  if (m.rollout.empty()) return;
  auto [it, added] = entries_.try_emplace(m.rollout);
  if (added || m.rollout_joined_unix < it->second.started_unix) it->second.started_unix = m.rollout_joined_unix;
  ++it->second.machines;
}

const Rollouts::Entry* Rollouts::find(std::string_view name) const {
  const auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

void Rollouts::drop(const std::string& name) {
  const auto it = entries_.find(name);
  if (it == entries_.end()) return;
  if (--it->second.machines == 0) entries_.erase(it);
}

std::optional<std::int64_t> time_to_done_seconds(const Machine& m) {
  if (m.rollout.empty() || m.state != State::done || m.done_unix < m.rollout_joined_unix) return std::nullopt;
  const std::int64_t start = m.rollout_boot_unix != 0 ? m.rollout_boot_unix : m.rollout_joined_unix;
  return std::max<std::int64_t>(0, m.done_unix - start);
}

std::optional<double> percentile(std::vector<double>& values, double q) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least q of them at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

std::vector<RolloutSummary> summarize(const Rollouts& rollouts, const Inventory& inventory, const RolloutQuery& query) {
  struct Tally {
    RolloutSummary summary;
    std::vector<double> times;
  };
  std::map<std::string_view, Tally> tallies;
  for (const auto& [name, entry] : rollouts.entries()) {
    if (query.only && *query.only != name) continue;
    Tally& t = tallies[name];
    t.summary.name = name;
    t.summary.started_unix = entry.started_unix;
  }
  if (tallies.empty()) return {};
  const bool lists = query.only.has_value();
  inventory.for_each([&](const Machine& m) {
    if (m.rollout.empty()) return;
    const auto it = tallies.find(m.rollout);
    if (it == tallies.end()) return;
    RolloutSummary& s = it->second.summary;
    const Stage stage = m.timeline.stage();
    ++s.machines;
    ++s.stages[static_cast<std::size_t>(stage)];
    if (m.state == State::done) ++s.done;
    if (m.state == State::failed) {
      ++s.failed;
      if (lists) s.failed_machines.push_back(RolloutMachine{m.mac, m.hostname, stage});
    }
    if (m.timeline.stuck(query.now_ms, query.stuck_after_ms)) {
      ++s.stuck;
      if (lists) s.stuck_machines.push_back(RolloutMachine{m.mac, m.hostname, stage});
    }
    if (const auto seconds = time_to_done_seconds(m)) it->second.times.push_back(static_cast<double>(*seconds));
  });
  std::vector<RolloutSummary> out;
  out.reserve(tallies.size());
  const auto by_mac = [](const RolloutMachine& a, const RolloutMachine& b) { return a.mac < b.mac; };
  for (auto& [name, t] : tallies) {
    t.summary.time_to_done_p50_s = percentile(t.times, 0.50);
    t.summary.time_to_done_p99_s = percentile(t.times, 0.99);
    std::sort(t.summary.failed_machines.begin(), t.summary.failed_machines.end(), by_mac);
    std::sort(t.summary.stuck_machines.begin(), t.summary.stuck_machines.end(), by_mac);
    out.push_back(std::move(t.summary));
  }
  return out;
}

}  // namespace ringboot::fleet
