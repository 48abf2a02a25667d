// The machines the server has seen or been told about, keyed by MAC, at most
// `machines_max`: over it a new machine is not added (counted by the caller)
// and existing ones are never evicted, so a flood of invented MACs cannot
// push out the fleet's state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "base/flat_map.h"
#include "base/mac.h"
#include "fleet/timeline.h"

namespace ringboot::fleet {

// local: boots from disk; install: an install is assigned, not started;
// installing: its install script was rendered (one install boot); done: the
// installer reported success; failed: install_attempts_max starts without a
// done, local boot until reset.
enum class State : std::uint8_t { local, install, installing, done, failed };
std::string_view to_string(State state);

inline constexpr std::size_t kTokenBytes = 16;
using Token = std::array<std::uint8_t, kTokenBytes>;

// An explicit next boot: a profile name (or "local") and whether it installs
// once (then local) or on every boot.
struct NextBoot {
  std::string profile;
  bool once = true;
  bool operator==(const NextBoot&) const = default;
};

// One progress message from the installer (POST .../events).
struct Event {
  std::int64_t unix = 0;
  std::string message;
};

// What a DHCP request tells about the machine beyond its MAC.
struct DhcpFacts {
  std::optional<std::uint16_t> arch;  // option 93, the first code
  std::optional<Ipv4> relay;          // giaddr
  std::string dhcp_hostname;          // option 12, kept when of host-name form
  bool operator==(const DhcpFacts&) const = default;
};

// The files of the machine's current boot, to tell its fetches apart:
// the loader its DHCP answer named, the kernel and initrds of its script
// (paths as requested, without scheme and host).
struct BootFiles {
  std::string loader;
  std::string kernel;
  std::vector<std::string> initrds;
  std::size_t initrds_fetched = 0;
};

struct Machine {
  Mac mac;
  // Reported by the machine (DHCP, iPXE) or its connection; kept from the last report.
  std::string uuid;
  std::string buildarch;  // i386, x86_64, arm32, arm64
  std::string platform;   // pcbios, efi
  // Its addresses, one of each family: the DHCPv4 ACK's (or an IPv4
  // peer's) and the DHCPv6 binding's (or an IPv6 peer's).
  std::optional<Ipv4> ip;
  std::optional<Ipv6> ip6;
  DhcpFacts dhcp;
  std::int64_t first_seen_unix = 0;  // 0: declared, never seen
  std::int64_t last_seen_unix = 0;
  // What every sighting touches sits here, next to the above (one machine,
  // few cache lines); the declarations and the install state follow.
  // Where it is in the boot chain (not stored: a restart begins a new view).
  Timeline timeline;
  BootFiles boot_files;
  // The furthest stage its latest install boot reached (the stage a boot
  // loop breaks in, for ringboot_machines_failed_total); discovered: none.
  Stage install_reached = Stage::discovered;
  // Bookkeeping for the store: queued for the next write, and the last_seen
  // the store holds (a sighting alone rewrites it only now and then).
  bool dirty = false;
  std::int64_t stored_seen_unix = 0;
  // Declared by the operator: [[machine]] (not stored: the config is its
  // home) and the API (stored). The API's hostname and labels win over the
  // config's; the API's next boot wins over the config's.
  bool declared = false;  // by [[machine]]
  std::string config_hostname;
  std::vector<std::string> config_labels;
  std::optional<NextBoot> config_next;
  std::optional<std::string> api_hostname;
  std::optional<std::vector<std::string>> api_labels;
  std::optional<NextBoot> next;  // set by the API
  // Effective, recomputed from the above: what selectors and templates see.
  std::string hostname;
  std::vector<std::string> labels;
  // The boot state machine.
  State state = State::local;
  std::uint32_t install_attempts = 0;  // starts since the last done or reset
  std::string install_profile;         // the profile of the install in progress
  std::optional<Token> token;          // of the latest install rendering; cleared by done
  std::int64_t token_unix = 0;         // when that token was issued
  std::int64_t install_started_unix = 0;
  std::int64_t done_unix = 0;
  std::vector<Event> events;  // oldest first, at most [fleet] events_max
  // The rollout the API last named it in ("": none), when it joined, and
  // its first firmware DHCP since then (0: none yet): where its time to
  // done starts (fleet/rollout.h).
  std::string rollout;
  std::int64_t rollout_joined_unix = 0;
  std::int64_t rollout_boot_unix = 0;

  const std::optional<NextBoot>& explicit_next() const { return next ? next : config_next; }
  // Whether `a` is its address of a's family.
  bool at(const IpAddress& a) const { return a.is_v6() ? ip6 == a.v6() : ip == a.v4(); }
  void recompute_declared();
  // A copy of the fields the store keeps (store/machine_store.h lists them),
  // the rest default: what take_changes hands the store, without the
  // timeline, the boot files or the config's declarations.
  Machine stored() const;
};

class Inventory {
 public:
  explicit Inventory(std::size_t machines_max);
  // The address index points into the table: a copy would point into the original.
  Inventory(const Inventory&) = delete;
  Inventory& operator=(const Inventory&) = delete;
  Inventory(Inventory&&) = default;
  Inventory& operator=(Inventory&&) = default;
  Machine* find(const Mac& mac);
  const Machine* find(const Mac& mac) const;
  // nullptr: the inventory is full and `mac` is not in it.
  Machine* find_or_add(const Mac& mac);
  bool erase(const Mac& mac);
  // The machine last seen at `ip` (a TFTP or HTTP peer, of either family), if any.
  Machine* find_by_ip(const IpAddress& ip);
  const Machine* find_by_ip(const IpAddress& ip) const;
  // Sets m.ip or m.ip6, by the family, and points the address index at m:
  // its old address of that family names it no more. true: the field changed.
  bool set_ip(Machine& m, const IpAddress& ip);
  // Entries in the address index: at most two per machine (one a family).
  std::size_t addresses() const { return by_ip_.size() + by_ip6_.size(); }
  std::size_t size() const { return machines_.size(); }
  std::size_t capacity() const { return machines_max_; }
  template <typename F>
  void for_each(F f) {
    machines_.for_each([&](std::uint64_t, std::unique_ptr<Machine>& m) { f(*m); });
  }
  template <typename F>
  void for_each(F f) const {
    machines_.for_each([&](std::uint64_t, const std::unique_ptr<Machine>& m) { f(static_cast<const Machine&>(*m)); });
  }

 private:
  // Drops m's address of that family from the index, if the entry is m's.
  void unindex(const Machine& m, bool v6);

  std::size_t machines_max_;
  // Each machine in a block of its own, found by one probe of a flat table
  // (the DHCP hot path), and staying where it is until erased.
  FlatMap64<std::unique_ptr<Machine>> machines_;
  // At most one entry per machine in each. The machine itself, not its key:
  // a transfer's sighting is one lookup (erase() drops the entries first).
  // IPv6 addresses are 128 bits, over FlatMap64's keys: a map of their own.
  struct Ipv6Hash {
    std::size_t operator()(const Ipv6& a) const { return IpAddress(a).hash(); }
  };
  FlatMap64<Machine*> by_ip_;
  std::unordered_map<Ipv6, Machine*, Ipv6Hash> by_ip6_;
};

}  // namespace ringboot::fleet
