#include "fleet/timeline.h"

#include <algorithm>

namespace ringboot::fleet {

namespace {
constexpr std::array<std::string_view, kStageCount> kStageNames{
    "discovered", "firmware_dhcp", "loader", "script", "kernel", "initrd", "installing", "done", "local", "failed",
};

// The stage a step of the chain reaches; nullopt: it moves no stage.
std::optional<Stage> reached(Step step) {
  switch (step) {
    case Step::dhcp_firmware:
      return Stage::firmware_dhcp;
    case Step::dhcp_loader:
    case Step::loader_fetch:
      return Stage::loader;
    case Step::script:
      return Stage::script;
    case Step::kernel_fetch:
      return Stage::kernel;
    case Step::initrd_fetch:
      return Stage::initrd;
    case Step::handoff:
    case Step::progress:
      return Stage::installing;
    case Step::done:
      return Stage::done;
    case Step::local:
      return Stage::local;
    case Step::failed:
      return Stage::failed;
    case Step::other:
      return std::nullopt;
  }
  return std::nullopt;
}

// Steps that set the stage whatever it was: a new boot, a decision, the
// installer's word.
bool sets_outright(Step step) {
  return step == Step::dhcp_firmware || step == Step::script || step == Step::local || step == Step::failed ||
         step == Step::progress || step == Step::done;
}
}  // namespace

std::string_view to_string(Stage stage) { return kStageNames[static_cast<std::size_t>(stage)]; }

std::optional<Stage> parse_stage(std::string_view text) {
  for (std::size_t i = 0; i < kStageNames.size(); ++i)
    if (kStageNames[i] == text) return static_cast<Stage>(i);
  return std::nullopt;
}

std::string_view to_string(Step step) {
  switch (step) {
    case Step::dhcp_firmware:
      return "dhcp_firmware";
    case Step::dhcp_loader:
      return "dhcp_loader";
    case Step::loader_fetch:
      return "loader_fetch";
    case Step::script:
      return "script";
    case Step::kernel_fetch:
      return "kernel_fetch";
    case Step::initrd_fetch:
      return "initrd_fetch";
    case Step::handoff:
      return "handoff";
    case Step::progress:
      return "progress";
    case Step::done:
      return "done";
    case Step::local:
      return "local";
    case Step::failed:
      return "failed";
    case Step::other:
      return "other";
  }
  return "other";
}

bool in_progress(Stage stage) { return stage >= Stage::firmware_dhcp && stage <= Stage::installing; }

void Timeline::enter(Stage stage, std::int64_t unix_ms) {
  stage_ = stage;
  entered_ms_[static_cast<std::size_t>(stage)] = unix_ms;
}

bool Timeline::record(std::int64_t unix_ms, Step step, std::string_view detail, std::size_t events_max) {
  const std::int64_t at = unix_ms;
  if (at > last_event_ms_) last_event_ms_ = at;
  const std::optional<Stage> next = reached(step);
  bool changed = false;
  if (next && *next != stage_) {
    // Within a boot the chain only moves on: a fetch recorded late does not
    // undo the step after it, and a fetch after done or local (a retry, a
    // reboot seen by its HTTP first) starts no stage by itself.
    const bool forward = in_progress(stage_) && *next > stage_ && in_progress(*next);
    const bool from_rest = !in_progress(stage_) && *next == Stage::loader;
    if (sets_outright(step) || forward || from_rest) {
      enter(*next, at);
      changed = true;
    }
  }
  if (events_max == 0) {
    dropped_ += events_.size() + 1;
    events_.clear();
    oldest_ = 0;
    return changed;
  }
  if (events_.size() != events_max && oldest_ != 0) {  // the bound changed by a reload: oldest first again
    std::rotate(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(oldest_), events_.end());
    oldest_ = 0;
  }
  if (events_.size() > events_max) {  // lowered: keep the newest
    dropped_ += events_.size() - events_max;
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(events_.size() - events_max));
  }
  if (events_.size() < events_max) {
    events_.push_back(TimelineEvent{at, step, std::string(detail)});
    return changed;
  }
  // Full: the oldest slot takes it, its string keeps its capacity.
  TimelineEvent& slot = events_[oldest_];
  slot.unix_ms = at;
  slot.step = step;
  slot.detail.assign(detail);
  oldest_ = (oldest_ + 1) % events_.size();
  ++dropped_;
  return changed;
}

bool Timeline::stuck(std::int64_t now_ms, std::int64_t stuck_after_ms) const {
  return in_progress(stage_) && now_ms - std::max(last_event_ms_, stage_since_ms()) > stuck_after_ms;
}

}  // namespace ringboot::fleet
