// The API's JSON views of the engine's state. Rendered under the engine's
// lock from what it holds; callback tokens are never part of a view.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "fleet/engine.h"

namespace ringboot::api {

using Json = nlohmann::ordered_json;  // fields in the order they are set

// What a machine boots next and why: its explicit next boot (the API's,
// else its [[machine]]'s), else its group's, else local.
struct Assignment {
  std::string profile = std::string(fleet::kLocalProfile);
  bool once = true;
  std::string_view source = "none";  // "api", "config", "group", "none"
};
Assignment assignment_of(const fleet::Fleet& fleet, const fleet::Machine& m);

enum class Detail : std::uint8_t { summary, full };
// mac, hostname, labels, profile, once, profile_source, group, state,
// install_attempts, install_profile, uuid, buildarch, platform, ip, dhcp,
// first_seen, last_seen, stage, stage_since, rollout, last_event ({time, step,
// detail} or null), stuck_at (in a boot in progress: when it is stuck
// without a further step; else null), ...; `full` adds the installer's events and
// the boot chain's timeline.
Json machine_view(const fleet::Fleet& fleet, const fleet::Machine& m, Detail detail);
Json profile_view(const fleet::Profile& p);
// name, machines, stages (every stage name, a count each), done, failed,
// stuck, started, time_to_done_p50_s, time_to_done_p99_s (null: none done);
// `full` adds failed_machines and stuck_machines ({mac, hostname, stage}).
Json rollout_view(const fleet::RolloutSummary& r, Detail detail);

// One line's worth for the audit log: what an operator may change of a
// machine ("absent" for none).
std::string audit_summary(const fleet::Fleet& fleet, const fleet::Machine* m);

// JSON text; strings that are not UTF-8 (an installer's event) get U+FFFD
// rather than an exception.
std::string dump(const Json& j);
std::string error_body(std::string_view reason);

}  // namespace ringboot::api
