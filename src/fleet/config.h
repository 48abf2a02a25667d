// What the operator declares: profiles (what to boot), groups (which machines
// get which profile) and machines (per-MAC facts and an explicit next boot).
// Filled by src/app's config schema; read by the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "base/mac.h"
#include "base/time.h"

namespace ringboot::fleet {

// The profile name that means "boot from the local disk"; no [[profile]] may take it.
inline constexpr std::string_view kLocalProfile = "local";

// Either `script` (a whole iPXE script template) or `kernel` with optional
// `initrd` and `cmdline` (each a one-line template), rendered by the engine.
// Local boot commands for one group or profile of machines whose firmware
// needs other than [fleet]'s; unset: inherited.
struct LocalBoot {
  std::optional<std::string> pcbios;
  std::optional<std::string> efi;
};

struct Profile {
  std::string name;
  std::string kernel;
  std::vector<std::string> initrd;
  std::string cmdline;
  std::string script;
  LocalBoot local_boot;
};

// Every selector given must match; an empty match matches every machine.
struct GroupMatch {
  std::optional<MacPattern> mac;    // full or prefix
  std::optional<std::string> uuid;  // lower case, as iPXE's ${uuid}
  std::vector<std::string> arch;    // "x86_64" (buildarch) or "x86_64/efi" (buildarch/platform), any of
  std::optional<Cidr> subnet;       // the machine's last address
  std::vector<std::string> labels;  // all of
};

struct Group {
  std::string name;
  GroupMatch match;
  std::string profile;  // a [[profile]] name or "local"
  bool once = true;     // true: install once, then local; false: always install
  LocalBoot local_boot;
};

struct MachineConfig {
  Mac mac;
  std::string hostname;
  std::vector<std::string> labels;
  std::optional<std::string> profile;  // the explicit next boot; unset: its group's
  bool once = true;
};

struct FleetSettings {
  std::uint32_t machines_max = 65536;      // inventory bound; over it new machines boot local, counted
  std::uint32_t install_attempts_max = 3;  // install starts without a done before `failed`
  std::string local_boot_pcbios = "sanboot --no-describe --drive 0x80";
  std::string local_boot_efi = "exit 1";         // back to the firmware's next boot entry
  std::string http_base;                         // "http://10.0.0.1"; empty: from the request's Host
  std::uint32_t token_lifetime_seconds = 21600;  // a done or event after this long from the install boot: 403
  std::uint32_t events_max = 32;                 // progress messages kept per machine, the oldest dropped
  std::uint32_t event_bytes_max = 512;           // one progress message's bound
  std::string failed_script;                     // a whole iPXE script for a failed machine (a hold); empty: local boot
  std::uint32_t timeline_events_max = 64;        // steps kept per machine, the oldest dropped
  std::uint32_t stuck_after_seconds = 900;       // no step this long in a boot in progress: stuck
  std::uint32_t rollouts_max = 64;               // named batches at once; a new name over it is refused
  // Not the engine's: how long an acknowledged change (an API 2xx, a done)
  // waits for the machine store to have it on disk before the caller gives
  // up (503). Read by src/app's SharedFleet.
  Duration store_wait = milliseconds(5000);
};

struct FleetConfig {
  FleetSettings settings;
  std::vector<Profile> profiles;
  std::vector<Group> groups;
  std::vector<MachineConfig> machines;
  // Per-machine boot is on only when something is declared to decide it.
  bool enabled() const { return !profiles.empty() || !groups.empty(); }
  const Profile* profile(std::string_view name) const;
};

}  // namespace ringboot::fleet
