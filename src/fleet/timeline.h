// A machine's way through the boot chain, as the services see it: a bounded
// list of steps (DHCP, TFTP, HTTP, the script decision, the installer's
// callbacks) and the stage each step puts the machine in, with the time it
// entered each stage. Pure: the caller passes every step's time.
//
// Stages follow the chain: discovered -> firmware_dhcp -> loader -> script
// -> kernel -> initrd -> installing -> done, or local / failed from a
// decision. Within one boot a step never moves a machine back (a transfer's
// completion can be recorded after the next step began, on another
// thread); a firmware DHCP request starts a new boot, and a decision
// (script, local, failed) or a callback sets its stage outright.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringboot::fleet {

enum class Stage : std::uint8_t {
  discovered,     // known (declared, or seen) but not booting yet
  firmware_dhcp,  // the firmware's DHCP: a boot began
  loader,         // the network loader (iPXE, GRUB, shim) is fetched or running
  script,         // its install script was rendered
  kernel,         // the installer's kernel is fetched
  initrd,         // an initrd is fetched
  installing,     // every initrd is fetched (the hand-off), or the installer reported progress
  done,           // the installer reported done
  local,          // it was told to boot its disk
  failed,         // the boot-loop breaker stopped it
};
inline constexpr std::size_t kStageCount = static_cast<std::size_t>(Stage::failed) + 1;
std::string_view to_string(Stage stage);
std::optional<Stage> parse_stage(std::string_view text);

// What happened, in the services' words.
enum class Step : std::uint8_t {
  dhcp_firmware,  // a DHCP request from the firmware (not iPXE)
  dhcp_loader,    // a DHCP request from iPXE
  loader_fetch,   // the loader file the DHCP decision named, fetched (TFTP or HTTP)
  script,         // an install script rendered
  kernel_fetch,   // the script's kernel, fetched
  initrd_fetch,   // one of the script's initrds, fetched
  handoff,        // the last of the script's initrds, fetched
  progress,       // an installer event
  done,           // the installer's done
  local,          // a local-boot decision
  failed,         // the breaker
  other,          // any other request of the machine: kept, moves no stage
};
std::string_view to_string(Step step);

struct TimelineEvent {
  std::int64_t unix_ms = 0;
  Step step = Step::other;
  std::string detail;  // "DISCOVER->OFFER arch=7 file=ipxe.efi", "GET /debian12/linux 200 bytes=..."; ours or escaped
};

class Timeline {
 public:
  // Keeps at most `events_max` events (the oldest dropped; 0: none kept,
  // stages still move). Returns true when the stage changed. `detail` is
  // copied into the slot of the event it replaces once the timeline is
  // full, so a machine's steady stream of steps allocates nothing.
  bool record(std::int64_t unix_ms, Step step, std::string_view detail, std::size_t events_max);
  Stage stage() const { return stage_; }
  // When the machine entered `stage` last; 0 when never.
  std::int64_t entered_ms(Stage stage) const { return entered_ms_[static_cast<std::size_t>(stage)]; }
  std::int64_t stage_since_ms() const { return entered_ms(stage_); }
  std::int64_t last_event_ms() const { return last_event_ms_; }
  // No step for `stuck_after_ms` in a stage that should move on by itself
  // (a boot in progress: firmware_dhcp through installing).
  bool stuck(std::int64_t now_ms, std::int64_t stuck_after_ms) const;
  // The events kept, oldest first.
  std::size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  const TimelineEvent& event(std::size_t i) const { return events_[(oldest_ + i) % events_.size()]; }
  const TimelineEvent& back() const { return event(events_.size() - 1); }
  template <typename F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < events_.size(); ++i) f(event(i));
  }
  std::uint64_t dropped() const { return dropped_; }

 private:
  void enter(Stage stage, std::int64_t unix_ms);

  Stage stage_ = Stage::discovered;
  std::array<std::int64_t, kStageCount> entered_ms_{};
  std::int64_t last_event_ms_ = 0;
  // A ring once it holds events_max: events_[oldest_] is the oldest.
  std::vector<TimelineEvent> events_;
  std::size_t oldest_ = 0;
  std::uint64_t dropped_ = 0;
};

// Whether a stage is a boot in progress (may be stuck), as opposed to a rest.
bool in_progress(Stage stage);

}  // namespace ringboot::fleet
