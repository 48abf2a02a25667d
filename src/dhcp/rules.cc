#include "dhcp/rules.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "base/enum_count.h"

namespace ringboot::dhcp {

ClientFacts facts_of(const Packet& request, Ipv4 client_address) {
  ClientFacts f;
  f.mac = request.mac();
  f.arch = request.client_arch();
  f.ipxe = request.is_ipxe();
  f.vendor_class = request.vendor_class();
  f.client_address = client_address;
  f.relay_address = request.giaddr;
  return f;
}

bool is_http_boot_arch(std::uint16_t arch) { return arch == 15 || arch == 16 || arch == 18 || arch == 19; }

bool is_http_boot(const ClientFacts& facts) {
  // iPXE reports its build's arch; it never needs the HTTPClient dance.
  if (facts.ipxe) return false;
  return (facts.arch && is_http_boot_arch(*facts.arch)) || facts.vendor_class.starts_with("HTTPClient");
}

bool matches(const BootMatch& match, const ClientFacts& facts) {
  if (!match.arch.empty() &&
      (!facts.arch || std::find(match.arch.begin(), match.arch.end(), *facts.arch) == match.arch.end()))
    return false;
  if (match.ipxe && *match.ipxe != facts.ipxe) return false;
  if (match.vendor_class && !facts.vendor_class.starts_with(*match.vendor_class)) return false;
  if (match.mac && !match.mac->matches(facts.mac)) return false;
  if (match.subnet) {
    const bool client_in = facts.client_address.value != 0 && match.subnet->contains(facts.client_address);
    const bool relay_in = facts.relay_address.value != 0 && match.subnet->contains(facts.relay_address);
    if (!client_in && !relay_in) return false;
  }
  return true;
}

const BootRule* match_boot_rule(std::span<const BootRule> rules, const ClientFacts& facts) {
  for (const BootRule& rule : rules)
    if (matches(rule.match, facts)) return &rule;
  return nullptr;
}

std::vector<BootRule> default_boot_rules(Ipv4 http_server) {
  std::string base = "http://";
  http_server.append_to(base);
  base += '/';
  return default_boot_rules(std::string_view(base));
}

std::vector<BootRule> default_boot_rules(std::string_view base) {
  std::vector<BootRule> rules(5);
  rules[0].match.ipxe = true;
  rules[0].file.assign(base).append("boot.ipxe");
  rules[1].match.arch = {0};
  rules[1].file = "undionly.kpxe";
  rules[2].match.arch = {7, 9};
  rules[2].file = "ipxe.efi";
  rules[3].match.arch = {11};
  rules[3].file = "snp.efi";
  rules[4].match.arch = {16};  // x64 HTTP boot; other HTTP arches need their own binary
  rules[4].file.assign(base).append("ipxe.efi");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    rules[i].index = i;
    rules[i].name = "default[" + std::to_string(i) + "]";
  }
  return rules;
}

ArchClass classify(const ClientFacts& facts) {
  if (facts.ipxe) return ArchClass::ipxe;
  if (is_http_boot(facts)) return ArchClass::http;
  if (!facts.arch) return ArchClass::other;
  switch (*facts.arch) {
    case 0:
      return ArchClass::bios;
    case 7:
    case 9:
      return ArchClass::uefi_x64;
    case 11:
      return ArchClass::uefi_arm64;
    default:
      return ArchClass::other;
  }
}

namespace {
// Without a default: kArchClassCount is checked against it (base/enum_count.h).
constexpr std::string_view name_of(ArchClass arch) {
  switch (arch) {
    case ArchClass::bios:
      return "bios";
    case ArchClass::uefi_x64:
      return "uefi_x64";
    case ArchClass::uefi_arm64:
      return "uefi_arm64";
    case ArchClass::http:
      return "http";
    case ArchClass::ipxe:
      return "ipxe";
    case ArchClass::other:
      return "other";
  }
  return {};
}
static_assert(counts_named_enumerators<ArchClass>(name_of, kArchClassCount),
              "kArchClassCount is not the number of ArchClass enumerators");
}  // namespace

std::string_view to_string(ArchClass arch) {
  const std::string_view name = name_of(arch);
  return name.empty() ? "other" : name;
}

}  // namespace ringboot::dhcp
