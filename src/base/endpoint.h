// Addresses of both families and ports, in host terms. The engines use
// these instead of sockaddr so they need no kernel headers; src/io converts.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
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

// An IPv6 address in network byte order, and the zone (interface index) a
// link-local address is scoped to (0: none).
struct Ipv6 {
  std::array<std::uint8_t, 16> bytes{};
  std::uint32_t scope = 0;
  friend bool operator==(const Ipv6&, const Ipv6&) = default;
  bool is_unspecified() const { return *this == Ipv6{}; }
  bool is_link_local() const { return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }
  // The first 64 bits: the prefix a client may pick any address in.
  std::uint64_t prefix64() const;
  // RFC 5952: lower case, no leading zeros, the longest run of two or more
  // zero groups as "::" (the first of equal runs), ::ffff:a.b.c.d for a
  // mapped IPv4 address (and ::a.b.c.d, as inet_ntop prints it); "%N" after a scoped one (RFC 4007, N its index).
  std::string to_string() const;
  // RFC 4291 text ("2001:db8::1", "::", "::ffff:10.0.0.1"), no brackets, no zone.
  static std::optional<Ipv6> parse(std::string_view text);
};

// An address of either family. Built from an Ipv4 implicitly, so code that
// knows only IPv4 (DHCP) reads as before.
class IpAddress {
 public:
  constexpr IpAddress() = default;
  constexpr IpAddress(Ipv4 v4) : v4_(v4) {}                       // NOLINT(google-explicit-constructor)
  constexpr IpAddress(const Ipv6& v6) : v6_(v6), is_v6_(true) {}  // NOLINT(google-explicit-constructor)
  bool is_v6() const { return is_v6_; }
  // The IPv4 address; 0.0.0.0 for an IPv6 one (check is_v6() first where it matters).
  Ipv4 v4() const { return is_v6_ ? Ipv4{} : v4_; }
  const Ipv6& v6() const { return v6_; }
  // The IPv4 address, or nullopt for an IPv6 one.
  std::optional<Ipv4> if_v4() const { return is_v6_ ? std::nullopt : std::optional<Ipv4>(v4_); }
  // 0.0.0.0 or ::, the wildcard a listener binds to.
  bool is_unspecified() const { return is_v6_ ? v6_.is_unspecified() : v4_.value == 0; }
  // The key a client is counted and rate limited under: an IPv4 address, or
  // the /64 of an IPv6 one (a client can pick any address in its prefix).
  // The two never collide: IPv4 keys sit in ffff:ffff::/32, multicast, never a source.
  std::uint64_t client_key() const;
  std::size_t hash() const;
  std::string to_string() const { return is_v6_ ? v6_.to_string() : v4_.to_string(); }
  // Either family, IPv6 without brackets.
  static std::optional<IpAddress> parse(std::string_view text);
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Ipv4 v4_;
  Ipv6 v6_;
  bool is_v6_ = false;
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
  IpAddress ip;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  // "10.0.0.1:69", "[2001:db8::1]:69" (RFC 5952 with brackets).
  std::string to_string() const;
  // "ADDR:PORT" with ADDR an IPv4 address, "*" or empty for 0.0.0.0, or an
  // IPv6 address in brackets: "0.0.0.0:69", "[::]:69", "[2001:db8::1]:80".
  // nullopt with *reason (when given) saying what is wrong.
  static std::optional<Endpoint> parse(std::string_view text, std::string* reason = nullptr);
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const { return e.ip.hash() * 31 + e.port; }
};

}  // namespace ringboot
