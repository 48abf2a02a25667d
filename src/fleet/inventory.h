// The machines the server has seen or been told about, keyed by MAC, at most
// `machines_max`: over it a new machine is not added (counted by the caller)
// and existing ones are never evicted, so a flood of invented MACs cannot
// push out the fleet's state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "base/mac.h"

namespace ringboot::fleet {

// local: boots from disk; install: an install is assigned, not started;
// installing: its install script was rendered (one install boot); done: the
// installer reported success; failed: install_attempts_max starts without a
// done, local boot until reset.
enum class State : std::uint8_t { local, install, installing, done, failed };
std::string_view to_string(State state);

inline constexpr std::size_t kTokenBytes = 16;
using Token = std::array<std::uint8_t, kTokenBytes>;

struct Machine {
  Mac mac;
  // Reported by the machine (iPXE) or its connection; kept from the last boot.
  std::string uuid;
  std::string buildarch;  // i386, x86_64, arm32, arm64
  std::string platform;   // pcbios, efi
  std::optional<Ipv4> ip;
  std::int64_t first_seen_unix = 0;  // 0: declared in the config, never seen
  std::int64_t last_seen_unix = 0;
  // Declared by the operator ([[machine]], later the API).
  bool declared = false;
  std::string hostname;
  std::vector<std::string> labels;
  std::optional<std::string> next_profile;  // explicit next boot
  bool next_once = true;
  // The boot state machine.
  State state = State::local;
  std::uint32_t install_attempts = 0;  // starts since the last done or reset
  std::string install_profile;         // the profile of the install in progress
  std::optional<Token> token;          // of the latest install rendering; cleared by done
  std::int64_t done_unix = 0;
};

class Inventory {
 public:
  explicit Inventory(std::size_t machines_max);
  Machine* find(const Mac& mac);
  const Machine* find(const Mac& mac) const;
  // nullptr: the inventory is full and `mac` is not in it.
  Machine* find_or_add(const Mac& mac);
  std::size_t size() const { return machines_.size(); }
  std::size_t capacity() const { return machines_max_; }
  template <typename F>
  void for_each(F f) {
    for (auto& [key, machine] : machines_) f(machine);
  }

 private:
  std::size_t machines_max_;
  std::unordered_map<std::uint64_t, Machine> machines_;
};

}  // namespace ringboot::fleet
