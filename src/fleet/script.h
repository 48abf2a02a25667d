// The iPXE scripts the engine answers: a profile's install script (its own
// `script`, or one built from kernel/initrd/cmdline), local boot per
// platform, and the chain script /boot.ipxe serves.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/config.h"
#include "fleet/template.h"

namespace ringboot::fleet {

// A kernel/initrd/cmdline profile as one template: `kernel`, not `linux`
// (iPXE's EFI loader wants it), each initrd named (`initrd --name initrd0`)
// and passed as `initrd=initrd0` on the command line, which an EFI kernel
// needs to find it in iPXE's virtual filesystem. A `script` profile: as is.
std::string script_template(const Profile& profile);

// Checks each template of the profile and renders it against a sample
// machine. The error names the key ("script", "kernel", "initrd",
// "cmdline") and its reason.
struct ProfileError {
  std::string key;
  std::string reason;
};
std::optional<ProfileError> check_profile(const Profile& profile);

// Local boot: `local_boot_pcbios` for pcbios, `local_boot_efi` for
// everything else (efi, or a platform not sent). `why` is ours, never a
// client's string: it is echoed on the machine's console.
// `overrides`: a group's then a profile's local boot, the first non-empty
// command for the platform wins over [fleet]'s.
std::string local_script(const FleetSettings& settings, std::string_view platform, std::string_view why,
                         std::initializer_list<const LocalBoot*> overrides = {});
// A failed machine's answer: [fleet] failed_script with why echoed first,
// or local boot when none is configured.
std::string failed_script(const FleetSettings& settings, std::string_view platform, std::string_view why,
                          std::initializer_list<const LocalBoot*> overrides = {});

// The files a rendered iPXE script fetches with `kernel` (or `chain`,
// `imgexec`) and `initrd` (or `imgfetch`, `module`), in order, as URLs.
struct ScriptFile {
  bool kernel = false;
  std::string_view url;  // into the script
};
std::vector<ScriptFile> script_files(std::string_view script);

// /boot.ipxe: iPXE fills in its own facts and asks for its decision.
std::string chain_script(std::string_view http_base);

}  // namespace ringboot::fleet
