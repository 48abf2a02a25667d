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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleet/config.h"
#include "fleet/inventory.h"

namespace ringboot::fleet {

// What a boot request says about the machine. Strings are the client's, as
// sent: the engine keeps only what has the expected form.
struct BootFacts {
  std::optional<Mac> mac;  // nullopt: missing or malformed
  std::string_view uuid;
  std::string_view buildarch;
  std::string_view platform;
  std::optional<Ipv4> ip;  // the connection's peer
  std::string http_base;   // "http://10.0.0.1:8080": where the script's URLs point
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
  std::string script;   // the whole iPXE script to answer
  State state = State::local;
  std::uint32_t install_attempts = 0;
  std::string error;  // render_error: what went wrong
  bool install() const { return reason == Reason::install; }
};

enum class DoneResult : std::uint8_t { accepted, unknown_machine, not_installing, wrong_token };
std::string_view to_string(DoneResult result);

struct FleetCounters {
  std::uint64_t boots_install = 0;
  std::uint64_t boots_local = 0;
  std::uint64_t machines_refused = 0;  // new machines over machines_max
  std::uint64_t failed = 0;            // transitions to failed
  std::uint64_t done_accepted = 0;
  std::uint64_t done_refused = 0;
  std::uint64_t render_errors = 0;
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

  Decision boot(const BootFacts& facts, std::int64_t now_unix, const Token& random);
  // The installer's report, with the token of the latest install rendering.
  DoneResult done(const Mac& mac, std::string_view token_hex, std::int64_t now_unix);
  // Back to `install` with no attempts (a failed or done machine installs again).
  bool reset(const Mac& mac);

  const Machine* machine(const Mac& mac) const { return inventory_.find(mac); }
  std::size_t machines() const { return inventory_.size(); }
  const FleetCounters& counters() const { return counters_; }

 private:
  struct Assignment {
    std::string_view profile;  // "local" or a profile name
    bool once = true;
  };
  void declare_machines();
  Assignment assignment(const Machine& m) const;
  Decision local(Reason reason, const Machine* m, std::string_view platform);
  Decision install(Machine& m, const Profile& profile, const BootFacts& facts, const Token& random);

  FleetConfig config_;
  Inventory inventory_;
  FleetCounters counters_;
};

// Token bytes as the 32 lower-case hex digits the URLs carry.
std::string token_hex(const Token& token);

}  // namespace ringboot::fleet
