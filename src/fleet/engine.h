// The fleet engine: an inventory of machines, the operator's profiles,
// groups and machines, and each machine's boot decision. Pure: callers pass
// the facts a request carries, `now` (unix seconds) and random bytes for
// tokens; it reads no clock, makes no syscall and never throws on input.
//
// A machine's decision: its explicit next boot ([[machine]] profile) if set,
// else its group's (the first [[group]] whose selectors all match), else
// local. An install boot is one rendering of the install script and gets a
// fresh token; the installer reports done with it. `once` installs then
// boots local; not once installs on every boot. A machine whose install
// starts install_attempts_max times without a done goes to `failed` and
// boots local until reset: the boot-loop breaker.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "fleet/config.h"
#include "fleet/feed.h"
#include "fleet/inventory.h"
#include "fleet/rollout.h"
#include "fleet/template.h"

namespace ringboot::fleet {

// Which loader asks, and so in which language the answer is: an iPXE
// script (/ipxe) or a GRUB config (fleet/grub.h, the grub.cfg names).
enum class Loader : std::uint8_t { ipxe, grub };

// What a boot request says about the machine. Strings are the client's, as
// sent: the engine keeps only what has the expected form.
struct BootFacts {
  std::optional<Mac> mac;  // nullopt: missing or malformed
  std::string_view uuid;
  std::string_view buildarch;
  std::string_view platform;
  std::optional<IpAddress> ip;  // the connection's peer, of either family
  std::string http_base;        // "http://10.0.0.1:8080": where the script's URLs point
  Loader loader = Loader::ipxe;
};

// A DHCP or DHCPv6 request, as the DHCP service saw it.
struct DhcpSighting {
  Mac mac;
  DhcpFacts facts;
  std::string_view uuid;        // option 97 as text, "" when absent
  std::optional<IpAddress> ip;  // the address ACKed to it (DHCPv4) or bound to it (DHCPv6's IA_NA)
  bool ipxe = false;            // from iPXE (options 77, 175), not the firmware
  std::string_view file;        // the boot file the answer named
  std::string_view detail;      // the decision, for the timeline (escaped); copied into it
};

// A finished TFTP or HTTP transfer.
struct Fetch {
  IpAddress peer;         // either family
  std::string_view path;  // as requested: "ipxe.efi", "/debian12/linux"
  bool ok = false;        // every byte delivered
  std::string detail;     // "tftp bytes=... duration_ms=...", escaped
};

// Why a decision is what it is, for logs and counters.
enum class Reason : std::uint8_t {
  install,         // its install script
  no_mac,          // the request named no valid MAC: never an install
  inventory_full,  // a new machine over machines_max: not tracked, so never an install
  unassigned,      // no explicit next boot and no group matched
  assigned_local,  // its next boot or group says "local"
  done,            // installed once
  failed,          // the boot-loop breaker
  render_error,    // its template did not render for this machine (bound exceeded)
};
std::string_view to_string(Reason reason);

struct Decision {
  Reason reason = Reason::unassigned;
  std::string profile;  // the install profile, when reason == install
  std::string script;   // the whole iPXE script (or GRUB config, for Loader::grub) to answer
  State state = State::local;
  std::uint32_t install_attempts = 0;
  std::string error;  // render_error: what went wrong
  bool install() const { return reason == Reason::install; }
};

// An installer callback (done or an event) and why it is refused: each
// refusal is a 403 to the caller and changes nothing.
enum class DoneResult : std::uint8_t { accepted, unknown_machine, not_installing, wrong_token, expired, too_large };
std::string_view to_string(DoneResult result);

// An operator's change through the API.
// rollouts_full: it names a new rollout and [fleet] rollouts_max exist.
enum class ChangeResult : std::uint8_t { ok, unknown_machine, unknown_profile, inventory_full, invalid, rollouts_full };
std::string_view to_string(ChangeResult result);

// The machines a bulk next boot names: listed MACs (created when new), or
// the known machines with all of `labels`, or those whose first matching
// [[group]] is `group`. At least one is given; all given must hold.
struct BulkSelector {
  std::vector<Mac> macs;
  std::vector<std::string> labels;
  std::optional<std::string> group;
};
struct BulkResult {
  ChangeResult result = ChangeResult::ok;
  std::size_t changed = 0;
  std::size_t refused = 0;  // listed MACs that did not fit in the inventory
};

// The machines to write to the store since the last take, and the ones forgotten.
struct Changes {
  std::vector<Machine> machines;
  std::vector<Mac> forgotten;
  bool empty() const { return machines.empty() && forgotten.empty(); }
};

// ringboot_boot_stage_seconds' bounds: a stage of the chain takes from
// under a second (a DHCP exchange) to an hour (an install).
inline constexpr std::array<double, 13> kStageBucketsSeconds = {1,   2,   5,   10,   20,   30,  60,
                                                                120, 300, 600, 1200, 1800, 3600};
using StageHistogram = BucketHistogram<kStageBucketsSeconds.size()>;

struct FleetCounters {
  std::uint64_t boots_install = 0;
  std::uint64_t boots_local = 0;
  std::uint64_t machines_refused = 0;  // new machines over machines_max
  std::uint64_t failed = 0;            // transitions to failed
  std::uint64_t done_accepted = 0;
  std::uint64_t done_refused = 0;
  std::uint64_t render_errors = 0;
  std::uint64_t events_accepted = 0;
  std::uint64_t events_refused = 0;
  std::uint64_t events_dropped = 0;  // the oldest message of a machine over events_max
  std::uint64_t sightings = 0;       // DHCP, TFTP and HTTP facts recorded
  // Time spent in a stage of the chain, observed when a machine leaves it
  // for a later one of the chain (through installing to done). A new boot
  // from the middle of the chain, or a decision that ends it (local,
  // failed), observes nothing: that stage did not end, it was abandoned.
  // Rest stages (discovered, done, local, failed) stay empty.
  std::array<StageHistogram, kStageCount> stage_seconds{};
  // Transitions to failed by the furthest stage the last install boot
  // reached (discovered: none seen, e.g. since a restart).
  std::array<std::uint64_t, kStageCount> failed_by_stage{};
};

class Fleet {
 public:
  // machines_max is taken from `config` here and kept (a restart key).
  explicit Fleet(FleetConfig config);
  // Reload: new profiles, groups and declared machines; every machine's
  // state, attempts and token stay.
  void configure(FleetConfig config);
  bool enabled() const { return config_.enabled(); }
  const FleetConfig& config() const { return config_; }

  Decision boot(const BootFacts& facts, std::int64_t now_unix, const Token& random, std::int64_t now_ms = 0);
  // The installer's report, with the token of the latest install rendering.
  DoneResult done(const Mac& mac, std::string_view token_hex, std::int64_t now_unix);
  // A progress message from the installer, with the same token. A message
  // over event_bytes_max is too_large (the caller answers 413), kept nowhere.
  DoneResult event(const Mac& mac, std::string_view token_hex, std::string_view message, std::int64_t now_unix);

  // What a DHCP request says; adds the machine when new (bounded).
  void observe_dhcp(DhcpSighting sighting, std::int64_t now_ms);
  // A TFTP or HTTP transfer from `peer` ended: the machine last seen at
  // that address (of either family: a machine holds one of each) was seen
  // again, and its timeline moves on.
  void fetched(Fetch fetch, std::int64_t now_ms);

  // The API. A next boot for a MAC not seen yet creates the machine (a
  // rollout is set up before the machines power on); it restarts the
  // machine's state machine: install (no attempts) or local.
  // A non-empty `rollout` (of rollout_name_ok's form, else invalid) moves
  // the machines into that rollout; a new name over [fleet] rollouts_max is
  // rollouts_full and changes nothing. Empty: their rollout stays.
  ChangeResult set_next_boot(const Mac& mac, const NextBoot& next, std::int64_t now_unix,
                             const std::string& rollout = {});
  BulkResult set_next_boot(const BulkSelector& selector, const NextBoot& next, std::int64_t now_unix,
                           const std::string& rollout = {});
  // Unset values are left as they are; labels and hostname of the checked forms.
  ChangeResult declare(const Mac& mac, const std::optional<std::string>& hostname,
                       const std::optional<std::vector<std::string>>& labels);
  // Back to `install` with no attempts (a failed or done machine installs again).
  ChangeResult reset(const Mac& mac);
  // Drops the machine and its state; a [[machine]] comes back as declared.
  ChangeResult forget(const Mac& mac);

  // The store: what changed since the last take; and, at start, what it held.
  Changes take_changes();
  bool has_changes() const { return !dirty_.empty() || !forgotten_.empty(); }
  // Loads a stored machine (its persisted fields), then applies the config's
  // declarations to it. false: the inventory is full.
  bool restore(Machine machine);

  // Every change of a machine (a decision, a stage change, an API change, a
  // callback; not a repeated sighting of an unchanged machine), for the
  // API's event stream. configure_feed starts it afresh (at start-up).
  const ChangeFeed& feed() const { return feed_; }
  void configure_feed(std::size_t capacity, std::uint64_t base) { feed_ = ChangeFeed(capacity, base); }

  const Machine* machine(const Mac& mac) const { return inventory_.find(mac); }
  std::size_t machines() const { return inventory_.size(); }
  const Inventory& inventory() const { return inventory_; }
  const FleetCounters& counters() const { return counters_; }
  // Machines per stage of the boot chain, and those stuck in one, counted
  // now (a pass over the inventory: for scrapes, not for the hot path).
  struct StageCounts {
    std::array<std::size_t, kStageCount> machines{};
    std::array<std::size_t, kStageCount> stuck{};
  };
  StageCounts stage_counts(std::int64_t now_ms) const;
  const Rollouts& rollouts() const { return rollouts_; }
  // Rollout progress now (fleet/rollout.h); `only`: that one, with its lists.
  std::vector<RolloutSummary> rollout_summaries(std::int64_t now_ms,
                                                std::optional<std::string_view> only = std::nullopt) const;
  // The first [[group]] matching the machine, for the API's views.
  const Group* group_of(const Machine& m) const;

 private:
  struct Assignment {
    std::string_view profile;  // "local" or a profile name
    bool once = true;
  };
  void declare_machines();
  void compile_templates();
  void declare_from_config(Machine& m, const MachineConfig& c);
  Assignment assignment(const Machine& m) const;
  void mark(Machine& m);
  void seen(Machine& m, std::int64_t now_unix);
  // Records a step; true when it moved the machine to another stage.
  bool step(Machine& m, Step step, std::string_view detail, std::int64_t now_ms);
  void changed(const Machine& m) { feed_.push(m.mac); }
  // The checks of a next boot before it changes anything.
  ChangeResult check_next_boot(const NextBoot& next, const std::string& rollout,
                               const std::vector<const Machine*>& moving) const;
  ChangeResult apply_next_boot(const Mac& mac, const NextBoot& next, std::int64_t now_unix, const std::string& rollout);
  DoneResult check_callback(const Machine* m, std::string_view token_text, std::int64_t now_unix) const;
  Decision local(Reason reason, const Machine* m, std::string_view platform, Loader loader = Loader::ipxe);
  Decision decide(Machine& m, const BootFacts& facts, const Token& random, std::int64_t now_unix);
  Decision install(Machine& m, const Profile& profile, const BootFacts& facts, const Token& random,
                   std::int64_t now_unix);

  FleetConfig config_;
  std::vector<CompiledTemplate> templates_;       // config_.profiles' scripts, in the same order
  std::vector<CompiledTemplate> grub_templates_;  // and their GRUB parts (fleet/grub.h)
  Inventory inventory_;
  FleetCounters counters_;
  std::vector<Mac> dirty_;  // machines with `dirty` set, at most one entry each
  std::vector<Mac> forgotten_;
  ChangeFeed feed_;
  Rollouts rollouts_;
};

// Token bytes as the 32 lower-case hex digits the URLs carry.
std::string token_hex(const Token& token);
// The 32 lower-case hex digits back to the bytes; nullopt for anything else.
std::optional<Token> parse_token(std::string_view hex);

}  // namespace ringboot::fleet
