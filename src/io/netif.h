// Network interfaces by name.
#pragma once

#include <optional>
#include <string>

#include "base/endpoint.h"
#include "base/mac.h"

namespace ringboot::io {

// The primary IPv4 address of interface `name`; nullopt with *error when the
// interface does not exist or has no IPv4 address.
std::optional<Ipv4> interface_address(const std::string& name, std::string* error);

// The hardware (Ethernet) address of interface `name`; nullopt with *error.
std::optional<Mac> interface_mac(const std::string& name, std::string* error);

// The MTU of interface `ifindex`, or 0 when unknown.
int interface_mtu(int ifindex);

}  // namespace ringboot::io
