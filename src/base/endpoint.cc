#include "base/endpoint.h"

#include <charconv>

namespace ringboot {

void Ipv4::append_to(std::string& out) const {
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned octet = (value >> shift) & 0xff;
    if (octet >= 100) out += static_cast<char>('0' + octet / 100);
    if (octet >= 10) out += static_cast<char>('0' + octet / 10 % 10);
    out += static_cast<char>('0' + octet % 10);
    if (shift > 0) out += '.';
  }
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

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::uint64_t Ipv6::prefix64() const {
  std::uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | bytes[static_cast<std::size_t>(i)];
  return out;
}

std::string Ipv6::to_string() const {
  std::uint16_t groups[8];
  for (std::size_t i = 0; i < 8; ++i) groups[i] = static_cast<std::uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // The longest run of zero groups, two or more; the first of equal runs.
  int best = -1;
  int best_length = 1;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j;
  }
  // ::ffff:a.b.c.d, an IPv4-mapped address, keeps its dotted quad; so does
  // a deprecated IPv4-compatible ::a.b.c.d, as inet_ntop prints it.
  const bool mapped = best == 0 && (best_length == 6 || (best_length == 5 && groups[5] == 0xffff));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(48);
  const int last = mapped ? 6 : 8;
  for (int i = 0; i < last; ++i) {
    if (i == best) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    const std::uint16_t g = groups[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (g >> shift) & 0xf;
      if (nibble == 0 && !started && shift > 0) continue;
      started = true;
      out += kHex[nibble];
    }
  }
  if (mapped && out.back() != ':') out += ':';
  if (mapped)
    out += Ipv4{(std::uint32_t{bytes[12]} << 24) | (std::uint32_t{bytes[13]} << 16) | (std::uint32_t{bytes[14]} << 8) |
                bytes[15]}
               .to_string();
  if (scope != 0) out += '%' + std::to_string(scope);
  return out;
}

std::optional<Ipv6> Ipv6::parse(std::string_view text) {
  if (text.size() < 2 || text.size() > 45) return std::nullopt;
  std::uint16_t head[8]{};
  std::uint16_t tail[8]{};
  int heads = 0;
  int tails = 0;
  bool compressed = false;
  std::size_t p = 0;
  if (text.substr(0, 2) == "::") {
    compressed = true;
    p = 2;
  } else if (text[0] == ':') {
    return std::nullopt;
  }
  while (p < text.size()) {
    const int groups = heads + tails;
    // A dotted IPv4 tail takes the last two groups.
    const std::size_t next_colon = text.find(':', p);
    const std::string_view field = text.substr(p, next_colon == std::string_view::npos ? text.npos : next_colon - p);
    if (next_colon == std::string_view::npos && field.find('.') != std::string_view::npos) {
      const auto v4 = Ipv4::parse(field);
      if (!v4 || groups > 6) return std::nullopt;
      std::uint16_t* out = compressed ? tail : head;
      int& n = compressed ? tails : heads;
      out[n++] = static_cast<std::uint16_t>(v4->value >> 16);
      out[n++] = static_cast<std::uint16_t>(v4->value & 0xffff);
      p = text.size();
      break;
    }
    if (field.empty() || field.size() > 4 || groups >= 8) return std::nullopt;
    std::uint16_t value = 0;
    for (const char c : field) {
      const int d = hex_digit(c);
      if (d < 0) return std::nullopt;
      value = static_cast<std::uint16_t>((value << 4) | d);
    }
    (compressed ? tail[tails++] : head[heads++]) = value;
    p += field.size();
    if (p == text.size()) break;
    ++p;  // the ':'
    if (p < text.size() && text[p] == ':') {
      if (compressed) return std::nullopt;  // a second "::"
      compressed = true;
      ++p;
    } else if (p == text.size()) {
      return std::nullopt;  // a trailing single ':'
    }
  }
  const int total = heads + tails;
  if (compressed ? total > 7 : total != 8) return std::nullopt;
  std::uint16_t groups[8]{};
  for (int i = 0; i < heads; ++i) groups[i] = head[i];
  for (int i = 0; i < tails; ++i) groups[8 - tails + i] = tail[i];
  Ipv6 out;
  for (std::size_t i = 0; i < 8; ++i) {
    out.bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    out.bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
  }
  return out;
}

std::uint64_t IpAddress::client_key() const {
  if (is_v6_) return v6_.prefix64();
  return (std::uint64_t{0xffffffff} << 32) | v4_.value;
}

std::size_t IpAddress::hash() const {
  if (!is_v6_) return std::hash<std::uint32_t>{}(v4_.value);
  std::uint64_t low = 0;
  for (std::size_t i = 8; i < 16; ++i) low = (low << 8) | v6_.bytes[i];
  return std::hash<std::uint64_t>{}(v6_.prefix64() * 0x9e3779b97f4a7c15ULL ^ low ^ v6_.scope);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    if (auto v6 = Ipv6::parse(text)) return IpAddress(*v6);
    return std::nullopt;
  }
  if (auto v4 = Ipv4::parse(text)) return IpAddress(*v4);
  return std::nullopt;
}

std::string Endpoint::to_string() const {
  if (ip.is_v6()) return '[' + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ':' + std::to_string(port);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text, std::string* reason) {
  auto fail = [&](std::string why) -> std::optional<Endpoint> {
    if (reason != nullptr) *reason = std::move(why);
    return std::nullopt;
  };
  std::string_view host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail("an IPv6 address in brackets lacks its ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("no :PORT after the ']'");
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("no :PORT (ADDR:PORT, [IPV6]:PORT)");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      return fail("an IPv6 address needs brackets before the port: [ADDR]:PORT");
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [next, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || next != port_text.data() + port_text.size() || port > 65535)
    return fail("the port is not a number 0..65535");
  const auto p = static_cast<std::uint16_t>(port);
  if (v6) {
    const auto parsed = Ipv6::parse(host);
    if (!parsed) return fail("\"" + std::string(host) + "\" is not an IPv6 address");
    return Endpoint{*parsed, p};
  }
  if (host.empty() || host == "*") return Endpoint{Ipv4{0}, p};
  const auto parsed = Ipv4::parse(host);
  if (!parsed) return fail("\"" + std::string(host) + "\" is not an IPv4 address");
  return Endpoint{*parsed, p};
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
