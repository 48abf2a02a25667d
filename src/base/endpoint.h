// An IPv4 address and port in host byte order. The engines use this instead
// of sockaddr so they need no kernel headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringboot {

struct Ipv4 {
  std::uint32_t value = 0;  // host byte order: 10.0.0.1 == 0x0a000001
  friend bool operator==(Ipv4, Ipv4) = default;
  friend auto operator<=>(Ipv4, Ipv4) = default;
  std::string to_string() const;
  void append_to(std::string& out) const;  // the same, appended
  static std::optional<Ipv4> parse(std::string_view text);
};

// An IPv4 network: "10.0.0.0/24".
struct Cidr {
  Ipv4 network;
  std::uint8_t prefix = 0;
  std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
  bool contains(Ipv4 ip) const { return (ip.value & mask()) == network.value; }
  Ipv4 broadcast() const { return Ipv4{network.value | ~mask()}; }
  std::string to_string() const;
  // "10.0.0.0/24"; host bits must be zero.
  static std::optional<Cidr> parse(std::string_view text);
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

struct Endpoint {
  Ipv4 ip;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  std::string to_string() const;
  // "ADDR:PORT"; ADDR may be "*" or empty for 0.0.0.0.
  static std::optional<Endpoint> parse(std::string_view text);
};

}  // namespace ringboot
