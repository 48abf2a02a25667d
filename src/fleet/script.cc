#include "fleet/script.h"

#include <fmt/format.h>

namespace ringboot::fleet {

namespace {
Variables sample_variables() {
  Variables v;
  v.mac = "52:54:00:12:34:56";
  v.mac_hyphens = "52-54-00-12-34-56";
  v.mac_hex = "525400123456";
  v.uuid = "00000000-0000-0000-0000-000000000000";
  v.ip = "10.0.0.50";
  v.hostname = "node1";
  v.buildarch = "x86_64";
  v.platform = "efi";
  v.profile = "sample";
  v.http_base = "http://10.0.0.1";
  v.done_url = "http://10.0.0.1/api/v1/machines/52-54-00-12-34-56/done?token=00000000000000000000000000000000";
  v.events_url = "http://10.0.0.1/api/v1/machines/52-54-00-12-34-56/events?token=00000000000000000000000000000000";
  v.labels = {"rack=a1", "gpu"};
  v.label = {{"rack", "a1"}};
  return v;
}

std::optional<ProfileError> check_one(std::string_view key, const std::string& text, bool one_line) {
  if (one_line && text.find_first_of("\r\n") != std::string::npos)
    return ProfileError{std::string(key), "must be one line"};
  if (auto e = check_template(text))
    return ProfileError{std::string(key), fmt::format("{} (at byte {})", e->reason, e->offset)};
  return std::nullopt;
}
}  // namespace

std::string script_template(const Profile& p) {
  if (!p.script.empty()) return p.script;
  std::string names;
  std::string fetches;
  for (std::size_t i = 0; i < p.initrd.size(); ++i) {
    names += fmt::format(" initrd=initrd{}", i);
    fetches += fmt::format("initrd --name initrd{} {}\n", i, p.initrd[i]);
  }
  return fmt::format("#!ipxe\nkernel {}{}{}{}\n{}boot\n", p.kernel, names, p.cmdline.empty() ? "" : " ", p.cmdline,
                     fetches);
}

std::optional<ProfileError> check_profile(const Profile& p) {
  if (!p.script.empty()) {
    if (!p.kernel.empty() || !p.initrd.empty() || !p.cmdline.empty())
      return ProfileError{"script", "a profile has either script or kernel (with initrd, cmdline), not both"};
    if (auto e = check_one("script", p.script, false)) return e;
  } else {
    if (p.kernel.empty()) return ProfileError{"kernel", "a profile needs script or kernel"};
    if (auto e = check_one("kernel", p.kernel, true)) return e;
    for (const std::string& initrd : p.initrd)
      if (auto e = check_one("initrd", initrd, true)) return e;
    if (auto e = check_one("cmdline", p.cmdline, true)) return e;
  }
  const Rendered r = render_template(script_template(p), sample_variables());
  if (!r.ok) return ProfileError{p.script.empty() ? "kernel" : "script", r.error};
  return std::nullopt;
}

std::string local_script(const FleetSettings& settings, std::string_view platform, std::string_view why,
                         std::initializer_list<const LocalBoot*> overrides) {
  const bool pcbios = platform == "pcbios";
  const std::string* command = pcbios ? &settings.local_boot_pcbios : &settings.local_boot_efi;
  for (const LocalBoot* o : overrides) {
    if (o == nullptr) continue;
    const std::optional<std::string>& mine = pcbios ? o->pcbios : o->efi;
    if (mine) {
      command = &*mine;
      break;
    }
  }
  return fmt::format("#!ipxe\necho ringboot: {}: booting from the local disk\n{}\n", why, *command);
}

std::string failed_script(const FleetSettings& settings, std::string_view platform, std::string_view why,
                          std::initializer_list<const LocalBoot*> overrides) {
  if (settings.failed_script.empty()) return local_script(settings, platform, why, overrides);
  // The operator's script after its first line ("#!ipxe"), with why first.
  std::string_view body = settings.failed_script;
  const auto eol = body.find('\n');
  body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
  return fmt::format("#!ipxe\necho ringboot: {}\n{}", why, body);
}

std::vector<ScriptFile> script_files(std::string_view script) {
  std::vector<ScriptFile> files;
  while (!script.empty()) {
    const auto eol = script.find('\n');
    std::string_view line = script.substr(0, eol);
    script = eol == std::string_view::npos ? std::string_view() : script.substr(eol + 1);
    const auto word = [&line]() {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      const auto end = line.find_first_of(" \t");
      const std::string_view w = line.substr(0, end);
      line = end == std::string_view::npos ? std::string_view() : line.substr(end);
      return w;
    };
    const std::string_view command = word();
    const bool kernel = command == "kernel" || command == "chain" || command == "imgexec";
    if (!kernel && command != "initrd" && command != "imgfetch" && command != "module") continue;
    // The first word that is not an option ("--name x", "-n x", "--autofree") is the URL.
    for (std::string_view w = word(); !w.empty(); w = word()) {
      if (w.front() != '-') {
        files.push_back(ScriptFile{kernel, w});
        break;
      }
      if (w == "--name" || w == "-n" || w == "--timeout" || w == "-t") word();
    }
  }
  return files;
}

std::string chain_script(std::string_view http_base) {
  return fmt::format(
      "#!ipxe\nchain {}/ipxe?mac=${{mac:hexhyp}}&uuid=${{uuid}}&buildarch=${{buildarch}}&platform=${{platform}}\n",
      http_base);
}

}  // namespace ringboot::fleet
