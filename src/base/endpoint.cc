#include "base/endpoint.h"

#include <charconv>

namespace ringboot {

void Ipv4::append_to(std::string& out) const {
  char text[16];  // "255.255.255.255"
  char* p = text;
  for (int shift = 24; shift >= 0; shift -= 8) {
    p = std::to_chars(p, text + sizeof text, (value >> shift) & 0xff).ptr;
    if (shift > 0) *p++ = '.';
  }
  out.append(text, static_cast<std::size_t>(p - text));
}

std::string Ipv4::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t out = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc{} || octet > 255 || next - p > 3) return std::nullopt;
    out = (out << 8) | octet;
    p = next;
    if (i < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return Ipv4{out};
}

std::string Endpoint::to_string() const { return ip.to_string() + ':' + std::to_string(port); }

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [next, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || next != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
    return std::nullopt;
  Ipv4 ip{};
  if (!host.empty() && host != "*") {
    auto parsed = Ipv4::parse(host);
    if (!parsed) return std::nullopt;
    ip = *parsed;
  }
  return Endpoint{ip, static_cast<std::uint16_t>(port)};
}

std::string Cidr::to_string() const { return network.to_string() + '/' + std::to_string(prefix); }

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = Ipv4::parse(text.substr(0, slash));
  std::string_view bits = text.substr(slash + 1);
  unsigned prefix = 0;
  auto [next, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (!ip || bits.empty() || ec != std::errc{} || next != bits.data() + bits.size() || prefix > 32) return std::nullopt;
  Cidr c{*ip, static_cast<std::uint8_t>(prefix)};
  if ((ip->value & ~c.mask()) != 0) return std::nullopt;
  return c;
}

}  // namespace ringboot
