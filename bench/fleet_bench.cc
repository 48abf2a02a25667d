// Micro-benchmarks of the fleet layer's per-request work, without the kernel
// or the event loop: what GET /ipxe (SharedFleet::ipxe: query, token, lock,
// decision, render), a DHCP sighting (SharedFleet::observe_dhcp) and a TFTP
// or HTTP sighting (fetched) cost one worker, with bench/lib.sh's Debian
// profile and an inventory of 10,000 machines; and one render of that
// profile by mstch against the compiled template. bench/fleet_ipxe and
// bench/fleet_overhead measure the same through the whole server.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/fleet_service.h"
#include "base/log.h"
#include "dhcp/engine.h"
#include "fleet/script.h"
#include "fleet/template.h"

namespace {

using namespace ringboot;

constexpr int kMachines = 10000;

// Machines in a shuffled order, as requests come: no run of neighbours in
// the inventory's table for the cache to prefetch.
template <typename T>
void shuffle(std::vector<T>& v) {
  std::mt19937 rng(7);
  std::shuffle(v.begin(), v.end(), rng);
}

Mac machine_mac(int i) { return Mac{{0x02, 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}}; }

fleet::Profile debian() {
  fleet::Profile p;
  p.name = "debian12";
  p.kernel = "{{http_base}}/debian12/linux";
  p.initrd = {"{{http_base}}/debian12/initrd.gz", "{{http_base}}/firmware.cpio.gz"};
  p.cmdline =
      "auto=true priority=critical preseed/url={{http_base}}/preseed/{{mac_hyphens}}.cfg hostname={{hostname}} "
      "ringboot.done={{done_url}}";
  return p;
}

// The profile and group of bench/lib.sh (52:54:00, once = false) and
// kMachines declared machines 02:00:00:00:00:00 + i.
fleet::FleetConfig config() {
  fleet::FleetConfig c;
  c.settings.install_attempts_max = 1000;
  c.profiles = {debian()};
  fleet::Group g;
  g.name = "installers";
  g.match.mac = MacPattern::parse("52:54:00");
  g.profile = "debian12";
  g.once = false;
  c.groups = {g};
  for (int i = 0; i < kMachines; ++i) {
    fleet::MachineConfig m;
    m.mac = machine_mac(i);
    m.hostname = fmt::format("node{:05}", i);
    m.labels = {fmt::format("rack=r{:02}", i % 40)};
    c.machines.push_back(m);
  }
  return c;
}

// What iPXE's chain line asks for kMachines machines of PREFIX.
std::vector<std::string> targets(std::string_view prefix) {
  std::vector<std::string> out;
  for (int k = 0; k < kMachines; ++k)
    out.push_back(
        fmt::format("/ipxe?mac={}-{:02x}-{:02x}-{:02x}&uuid=4c4c4544-0000-1111-2222-525400{:06x}"
                    "&buildarch=x86_64&platform=efi",
                    prefix, k >> 16 & 255, k >> 8 & 255, k & 255, k));
  shuffle(out);
  return out;
}

// The server's default level is info: warn, as bench/fleet_ipxe runs it (no line per boot).
void ipxe(benchmark::State& state, std::string_view prefix) {
  set_log_level(LogLevel::warn);
  SharedFleet fleet(config());
  const std::vector<std::string> t = targets(prefix);
  for (const std::string& target : t) benchmark::DoNotOptimize(fleet.ipxe(target, Ipv4{0x7f000001}, "10.0.0.1", 1));
  std::size_t i = 0;
  for (auto _ : state) {
    std::string script = fleet.ipxe(t[i], Ipv4{0x7f000001}, "10.0.0.1:8080", 1);
    benchmark::DoNotOptimize(script);
    if (++i == t.size()) i = 0;
  }
}
void BM_IpxeInstall(benchmark::State& state) { ipxe(state, "52-54-00"); }
BENCHMARK(BM_IpxeInstall);
void BM_IpxeLocal(benchmark::State& state) { ipxe(state, "52-55-00"); }
BENCHMARK(BM_IpxeLocal);

// A DHCP request from a declared machine (the sighting after its first).
void BM_ObserveDhcpKnown(benchmark::State& state) {
  SharedFleet fleet(config());
  fleet::DhcpFacts facts;
  facts.arch = 7;
  facts.relay = Ipv4{0x0a4f0101};
  std::vector<Mac> macs;
  for (int i = 0; i < kMachines; ++i) macs.push_back(machine_mac(i));
  shuffle(macs);
  auto sighting = [&](const Mac& m) {
    fleet::DhcpSighting s;
    s.mac = m;
    s.facts = facts;
    return s;
  };
  for (const Mac& m : macs) fleet.observe_dhcp(sighting(m), 1000);
  std::size_t i = 0;
  for (auto _ : state) {
    fleet.observe_dhcp(sighting(macs[i]), 2000);
    if (++i == macs.size()) i = 0;
  }
}
BENCHMARK(BM_ObserveDhcpKnown);

// What DhcpService pays per answered request with the fleet on at log level
// warn: the decision's text (made only for the timeline there) and the
// sighting that carries it, for a declared machine.
void BM_DhcpSightingWithDetail(benchmark::State& state) {
  SharedFleet fleet(config());
  dhcp::BootRule rule;
  rule.name = "boot[2]";
  dhcp::Decision d;
  d.received = dhcp::MessageType::request;
  d.sent = dhcp::MessageType::ack;
  d.arch = 7;
  d.rule = &rule;
  d.file = "ipxe.efi";
  d.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  std::vector<Mac> macs;
  for (int i = 0; i < kMachines; ++i) macs.push_back(machine_mac(i));
  shuffle(macs);
  std::size_t i = 0;
  std::int64_t ms = 1000;
  std::string text;  // DhcpService's buffer
  for (auto _ : state) {
    d.mac = macs[i];
    d.address = Ipv4{static_cast<std::uint32_t>(0x0a4f0200 + i)};
    fleet::DhcpSighting s;
    s.mac = d.mac;
    s.facts.arch = d.arch;
    s.ip = d.address;
    s.file = d.file;
    dhcp::format_decision_to(text, d);
    s.detail = text;
    fleet.observe_dhcp(std::move(s), ms += 1);
    if (++i == macs.size()) i = 0;
  }
}
BENCHMARK(BM_DhcpSightingWithDetail);

void BM_FormatDecision(benchmark::State& state) {
  dhcp::BootRule rule;
  rule.name = "boot[2]";
  dhcp::Decision d;
  d.received = dhcp::MessageType::request;
  d.sent = dhcp::MessageType::ack;
  d.mac = machine_mac(1);
  d.arch = 7;
  d.rule = &rule;
  d.file = "ipxe.efi";
  d.address = Ipv4{0x0a4f0205};
  d.vendor_class = "PXEClient:Arch:00007:UNDI:003016";
  for (auto _ : state) benchmark::DoNotOptimize(dhcp::format_decision(d));
}
BENCHMARK(BM_FormatDecision);

// A TFTP read or HTTP request from a machine's address.
void BM_ObserveIp(benchmark::State& state) {
  SharedFleet fleet(config());
  fleet::DhcpFacts facts;
  std::vector<Ipv4> ips;
  for (int i = 0; i < kMachines; ++i) {
    ips.push_back(Ipv4{static_cast<std::uint32_t>(0x0a4f0200 + i)});
    fleet::DhcpSighting s;
    s.mac = machine_mac(i);
    s.facts = facts;
    s.ip = ips.back();
    fleet.observe_dhcp(s, 1000);
  }
  shuffle(ips);
  std::size_t i = 0;
  for (auto _ : state) {
    fleet::Fetch f;
    f.peer = ips[i];
    f.path = "/debian12/linux";
    f.ok = true;
    fleet.fetched(f, 2000);
    if (++i == ips.size()) i = 0;
  }
}
BENCHMARK(BM_ObserveIp);

fleet::Variables variables() {
  fleet::Variables v;
  v.mac = "52:54:00:12:34:56";
  v.mac_hyphens = "52-54-00-12-34-56";
  v.mac_hex = "525400123456";
  v.http_base = "http://10.0.0.1:8080";
  v.done_url = "http://10.0.0.1:8080/api/v1/machines/52-54-00-12-34-56/done?token=00112233445566778899aabbccddeeff";
  v.hostname = "node1";
  return v;
}

void BM_RenderMstch(benchmark::State& state) {
  const std::string text = fleet::script_template(debian());
  const fleet::Variables v = variables();
  for (auto _ : state) benchmark::DoNotOptimize(fleet::render_template(text, v));
}
BENCHMARK(BM_RenderMstch);

void BM_RenderCompiled(benchmark::State& state) {
  const fleet::CompiledTemplate compiled(fleet::script_template(debian()));
  const fleet::Variables v = variables();
  for (auto _ : state) benchmark::DoNotOptimize(compiled.render(v));
}
BENCHMARK(BM_RenderCompiled);

}  // namespace
