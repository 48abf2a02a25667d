// `ringboot machines list|show|reinstall|local|reset|forget|rollouts|watch`: the admin
// API's client, in the same binary. It speaks only HTTP to the API (libcurl),
// so it works against any ringboot it can reach, and prints a table (the
// API's JSON with --json). An error prints the API's reason and exits 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ringboot {

struct MachinesOptions {
  std::string command;                 // list, show, reinstall, local, reset, forget, rollouts
  std::string api = "127.0.0.1:8081";  // ADDR:PORT or http://HOST:PORT
  std::string token_file;              // else $RINGBOOT_API_TOKEN
  bool json = false;
  std::vector<std::string> macs;
  // reinstall, local: a bulk next boot by selector instead of MAC by MAC.
  std::vector<std::string> labels;
  std::optional<std::string> group;
  // reinstall
  std::optional<std::string> profile;  // default: the profile of the machine's group
  bool always = false;                 // install on every boot (once = false)
  // reinstall: the rollout the machines join; list and watch: its machines; rollouts: that one.
  std::optional<std::string> rollout;
  // list
  std::optional<std::string> state;
  std::optional<std::string> list_profile;
  // watch: the table, then a line per change from GET /api/v1/events
  // (like `kubectl get -w`), only machines in `stage`; SIGINT ends it with 0.
  std::optional<std::string> stage;
};

inline constexpr const char* kApiTokenEnvironment = "RINGBOOT_API_TOKEN";

int run_machines(const MachinesOptions& options);

}  // namespace ringboot
