#include "fleet/grub.h"

#include <fmt/format.h>

#include <algorithm>

namespace ringboot::fleet {

namespace {
constexpr std::string_view kGeneric = "grub.cfg";
constexpr std::string_view kMacPrefix = "grub.cfg-01-";
constexpr std::string_view kIpPrefix = "grub.cfg-";

bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool upper_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return c <= '9' ? c - '0' : c - 'A' + 10; }

// "aa-bb-cc-dd-ee-ff", lower case, exactly.
std::optional<Mac> hyphen_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator = i % 3 == 2;
    if (separator ? text[i] != '-' : !lower_hex(text[i])) return std::nullopt;
  }
  return Mac::parse_any(text);
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const auto end = text.find_first_of(" \t");
    out.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end);
  }
  return out;
}

// `why` echoed on the console, quoted for GRUB.
std::string echo(std::string_view why) { return "echo " + grub_quote(fmt::format("ringboot: {}", why)) + "\n"; }
}  // namespace

std::optional<GrubName> parse_grub_name(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const auto slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  GrubName name;
  name.dir = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
  if (base == kGeneric) {
    name.kind = GrubNameKind::generic;
    return name;
  }
  if (base.starts_with(kMacPrefix)) {
    name.mac = hyphen_mac(base.substr(kMacPrefix.size()));
    if (!name.mac) return std::nullopt;
    name.kind = GrubNameKind::mac;
    return name;
  }
  if (!base.starts_with(kIpPrefix)) return std::nullopt;
  const std::string_view hex = base.substr(kIpPrefix.size());
  if (hex.empty() || hex.size() > 8 || !std::all_of(hex.begin(), hex.end(), upper_hex)) return std::nullopt;
  if (hex.size() < 8) {
    name.kind = GrubNameKind::ip_prefix;
    return name;
  }
  std::uint32_t value = 0;
  for (char c : hex) value = value << 4 | static_cast<std::uint32_t>(hex_value(c));
  name.kind = GrubNameKind::ip;
  name.ip = Ipv4{value};
  return name;
}

std::string grub_mac_name(std::string_view dir, const Mac& mac) {
  return fmt::format("{}{}{}", dir, kMacPrefix, mac.to_string("-"));
}

std::string grub_chain_config() {
  // $prefix: (tftp,SERVER)/grub for the signed netboot image, whichever
  // name under it (grub.cfg, x86_64-efi/grub.cfg) brought GRUB here.
  return "# ringboot: this machine's own config, by the MAC GRUB booted from\n"
         "set timeout=0\n"
         "if regexp --set=1:m1 --set=2:m2 --set=3:m3 --set=4:m4 --set=5:m5 --set=6:m6 "
         "'^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$' "
         "\"$net_default_mac\"; then\n"
         "  configfile \"$prefix/grub.cfg-01-$m1-$m2-$m3-$m4-$m5-$m6\"\n"
         "  echo \"ringboot: the config for $net_default_mac did not boot: booting from the local disk\"\n"
         "else\n"
         "  echo \"ringboot: no MAC address from GRUB ($net_default_mac): booting from the local disk\"\n"
         "fi\n"
         "exit\n";
}

std::string grub_parts_template(const Profile& p) {
  if (!p.script.empty()) return {};
  std::string out = fmt::format("k{}\nc{}\n", p.kernel, p.cmdline);
  for (const std::string& initrd : p.initrd) out += fmt::format("i{}\n", initrd);
  return out;
}

std::optional<std::string> grub_path(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    if (url.starts_with('/')) return std::string(url);
    std::string rooted(1, '/');
    rooted += url;
    return rooted;
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "tftp") return std::nullopt;
  std::string_view rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (host.empty()) return std::nullopt;
  const std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  // TFTP has no ports in GRUB's device names; port 69 is the only one.
  if (scheme == "tftp" && host.find(':') != std::string_view::npos) return std::nullopt;
  return fmt::format("({},{}){}", scheme, host, path);
}

std::string grub_quote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

GrubRendered grub_install_config(std::string_view parts, std::string_view profile) {
  GrubRendered r;
  std::string kernel;
  std::string cmdline;
  std::vector<std::string> initrds;
  bool have_kernel = false;
  while (!parts.empty()) {
    const auto eol = parts.find('\n');
    const std::string_view line = parts.substr(0, eol);
    parts = eol == std::string_view::npos ? std::string_view() : parts.substr(eol + 1);
    if (line.empty()) continue;
    const std::string_view value = line.substr(1);
    switch (line.front()) {
      case 'k': {
        const std::vector<std::string_view> w = words(value);
        if (w.size() != 1) {
          r.error = "kernel: renders to no URL or to more than one word";
          return r;
        }
        const std::optional<std::string> path = grub_path(w.front());
        if (!path) {
          r.error = fmt::format("kernel: GRUB cannot fetch \"{}\" (http, tftp or a path)", w.front());
          return r;
        }
        kernel = grub_quote(*path);
        have_kernel = true;
        break;
      }
      case 'c':
        for (std::string_view w : words(value)) {
          cmdline += ' ';
          cmdline += grub_quote(w);
        }
        break;
      case 'i':
        for (std::string_view w : words(value)) {
          const std::optional<std::string> path = grub_path(w);
          if (!path) {
            r.error = fmt::format("initrd: GRUB cannot fetch \"{}\" (http, tftp or a path)", w);
            return r;
          }
          initrds.push_back(grub_quote(*path));
        }
        break;
      default:
        r.error = "not a GRUB parts rendering";
        return r;
    }
  }
  if (!have_kernel) {
    r.error = "kernel: renders to no URL";
    return r;
  }
  r.config = "# ringboot: rendered for this machine\nset timeout=0\n";
  r.config += echo(fmt::format("install {}", profile));
  r.config += fmt::format("linux {}{}\n", kernel, cmdline);
  if (!initrds.empty()) {
    r.config += "initrd";
    for (const std::string& i : initrds) r.config += " " + i;
    r.config += "\n";
  }
  r.config += "boot\n";
  r.ok = true;
  return r;
}

std::vector<GrubFile> grub_files(std::string_view config) {
  std::vector<GrubFile> files;
  // Only what grub_install_config writes: quoted words, no quote inside a path.
  const auto unquote_path = [](std::string_view w) {
    if (w.size() >= 2 && w.front() == '\'' && w.back() == '\'') w = w.substr(1, w.size() - 2);
    if (w.starts_with('(')) {
      const auto close = w.find(')');
      w = close == std::string_view::npos ? std::string_view() : w.substr(close + 1);
    }
    return std::string(w);
  };
  while (!config.empty()) {
    const auto eol = config.find('\n');
    const std::string_view line = config.substr(0, eol);
    config = eol == std::string_view::npos ? std::string_view() : config.substr(eol + 1);
    const std::vector<std::string_view> w = words(line);
    if (w.size() < 2) continue;
    if (w[0] == "linux") files.push_back(GrubFile{true, unquote_path(w[1])});
    if (w[0] == "initrd")
      for (std::size_t i = 1; i < w.size(); ++i) files.push_back(GrubFile{false, unquote_path(w[i])});
  }
  return files;
}

std::string grub_local_config(std::string_view why) {
  return "# ringboot: local boot\n" + echo(fmt::format("{}: booting from the local disk", why)) + "exit\n";
}

std::string grub_hold_config(std::string_view why) {
  return "# ringboot: held\n" + echo(why) +
         echo("held: reset the machine through ringboot's API, then power-cycle it") +
         "while true; do sleep 3600; done\n";
}

}  // namespace ringboot::fleet
