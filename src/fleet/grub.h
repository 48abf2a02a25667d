// GRUB's side of per-machine boot: the config file names a netbooted GRUB
// asks for, and a GRUB rendering of the same profiles the iPXE scripts
// come from, so one profile serves iPXE and GRUB machines alike.
//
// Names (grub-core/net/net.c, grub_net_search_config_file, run by `normal`
// when the prefix is on tftp): under its prefix, `grub.cfg-01-<mac>` (the
// MAC in lower case with hyphens), then `grub.cfg-<IPv4 in upper-case hex>`
// shortened by one digit at a time (C0A80A05, C0A80A0, ..., C), then
// `grub.cfg`. Debian's signed grubnetx64.efi (grub-efi-amd64-signed) runs no
// such search: its prefix is `/grub` and its built-in memdisk config sources
// `$prefix/x86_64-efi/grub.cfg` if it exists, else `$prefix/grub.cfg`. So
// the generic name answers a config that asks for the per-MAC name itself,
// built from GRUB's own `$net_default_mac` (see grub_chain_config).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "base/mac.h"
#include "fleet/config.h"

namespace ringboot::fleet {

// The kinds of name: by MAC, by address (all 8 digits: one machine; fewer:
// a subnet, never one machine), the generic `grub.cfg`.
enum class GrubNameKind : std::uint8_t { mac, ip, ip_prefix, generic };

struct GrubName {
  GrubNameKind kind = GrubNameKind::generic;
  std::optional<Mac> mac;  // kind mac
  std::optional<Ipv4> ip;  // kind ip
  std::string_view dir;    // the directory asked in, "grub/" or "" (into the path)
};

// A requested path (TFTP "grub/grub.cfg-01-52-54-00-12-34-56" or HTTP
// "/grub/grub.cfg"): which GRUB config name it is, if any. Only the exact
// forms GRUB asks for: lower-case MAC digits, upper-case address digits.
std::optional<GrubName> parse_grub_name(std::string_view path);

// The per-MAC name for `mac` in `dir`: "grub/grub.cfg-01-52-54-00-12-34-56".
std::string grub_mac_name(std::string_view dir, const Mac& mac);

// The generic config: the per-MAC name of the interface GRUB booted from,
// through `configfile`, with `$net_default_mac` rewritten by `regexp` into
// the hyphen form. What a GRUB that searched itself would have asked first,
// so a machine is known by its MAC wherever its address came from.
std::string grub_chain_config();

// A kernel/initrd/cmdline profile as one template whose rendering
// grub_install_config turns into a GRUB config: the parts one to a line,
// each line marked by its kind (no line is ever a standalone mustache tag).
// A `script` profile (iPXE's) has no GRUB rendering: "".
std::string grub_parts_template(const Profile& profile);

// A URL of a profile as a GRUB path: "http://h:p/x" -> "(http,h:p)/x",
// "tftp://h/x" -> "(tftp,h)/x", a bare path -> "/x" (on GRUB's root, the
// TFTP server it booted from). nullopt: a scheme GRUB cannot fetch (https).
std::optional<std::string> grub_path(std::string_view url);

// A word for GRUB's script parser: single-quoted, a quote as '\''.
std::string grub_quote(std::string_view word);

struct GrubRendered {
  bool ok = false;
  std::string config;  // when ok
  std::string error;   // when not
};
// The rendered parts template as a config: `linux` with the command line
// word by word quoted (GRUB passes it on joined by single spaces),
// `initrd` with every initrd, `boot`; timeout 0, no menu.
GrubRendered grub_install_config(std::string_view rendered_parts, std::string_view profile);

// The files a rendered install config fetches, as paths without the
// device ("(http,h:p)/linux" -> "/linux"): the kernel first, then each
// initrd, for the machine's timeline.
struct GrubFile {
  bool kernel = false;
  std::string path;
};
std::vector<GrubFile> grub_files(std::string_view config);

// Local boot: `exit`, GRUB returns to the firmware's next boot entry.
// `why` is ours, never a client's string.
std::string grub_local_config(std::string_view why);
// A failed machine: a hold on its console (it does not boot a disk whose
// install failed) until it is reset and power-cycled.
std::string grub_hold_config(std::string_view why);

}  // namespace ringboot::fleet
