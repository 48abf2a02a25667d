// The CLI's readable forms of the API's JSON answers (`ringboot machines`
// without --json). Pure: JSON in, text out.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// `ringboot machines watch`: the header, then one row per machine as its
// changes arrive, in fixed columns (MAC, HOSTNAME, IP, ARCH, STAGE,
// IN-STAGE, LAST EVENT); IN-STAGE is `now_unix` less its stage_since.
std::string watch_header();
std::string watch_row(const nlohmann::json& machine, std::int64_t now_unix);
// "45s", "3m05s", "2h04m", "3d02h"; "-" for a negative span.
std::string short_duration(std::int64_t seconds);
// "1994-11-06T08:49:37Z" (the API's times) as unix seconds; nullopt for anything else.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace ringboot::api
