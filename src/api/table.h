// The CLI's readable forms of the API's JSON answers (`ringboot machines`
// without --json). Pure: JSON in, text out.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ringboot::api {

// {"machines": [...]}: one line per machine under a header, columns padded.
std::string machines_table(const nlohmann::json& list);
// One machine's view: "field: value" lines, then its events.
std::string machine_details(const nlohmann::json& machine);
// {"rollouts": [...]}: one line per rollout (machines, booting, done,
// failed, stuck, time to done p50/p99, started) under a header.
std::string rollouts_table(const nlohmann::json& list);
// One rollout: its line, its counts per stage, its failed and stuck machines.
std::string rollout_details(const nlohmann::json& rollout);

}  // namespace ringboot::api
