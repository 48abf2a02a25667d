// DHCPv6 client messages built the way clients build them (options in the
// order given), relays around them, and a reader of what the server sent
// back: for the engine's tests and its fuzzer's seed corpus.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/endpoint.h"

namespace ringboot::test {

using Buffer = std::vector<std::uint8_t>;

inline void put16(Buffer& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Buffer& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}
inline void put_option(Buffer& b, std::uint16_t code, const Buffer& value) {
  put16(b, code);
  put16(b, static_cast<std::uint16_t>(value.size()));
  b.insert(b.end(), value.begin(), value.end());
}
inline Buffer text(std::string_view s) { return Buffer(s.begin(), s.end()); }
inline Buffer address_bytes(const Ipv6& ip) { return Buffer(ip.bytes.begin(), ip.bytes.end()); }

// DUID-LL of an Ethernet address.
inline Buffer duid_ll(std::initializer_list<std::uint8_t> mac) {
  Buffer d{0, 3, 0, 1};
  d.insert(d.end(), mac.begin(), mac.end());
  return d;
}

struct ClientMessage {
  Buffer bytes;
  ClientMessage(std::uint8_t type, std::uint32_t xid) {
    bytes.push_back(type);
    bytes.push_back(static_cast<std::uint8_t>(xid >> 16));
    bytes.push_back(static_cast<std::uint8_t>(xid >> 8));
    bytes.push_back(static_cast<std::uint8_t>(xid));
  }
  ClientMessage& option(std::uint16_t code, const Buffer& value) {
    put_option(bytes, code, value);
    return *this;
  }
  ClientMessage& client_id(const Buffer& duid) { return option(1, duid); }
  ClientMessage& server_id(const Buffer& duid) { return option(2, duid); }
  ClientMessage& ia_na(std::uint32_t iaid, std::vector<Ipv6> addresses = {}) {
    Buffer v;
    put32(v, iaid);
    put32(v, 0);
    put32(v, 0);
    for (const Ipv6& a : addresses) {
      Buffer addr = address_bytes(a);
      put32(addr, 0);
      put32(addr, 0);
      put_option(v, 5, addr);
    }
    return option(3, v);
  }
  ClientMessage& oro(std::vector<std::uint16_t> codes) {
    Buffer v;
    for (auto c : codes) put16(v, c);
    return option(6, v);
  }
  ClientMessage& arch(std::uint16_t a) {
    Buffer v;
    put16(v, a);
    return option(61, v);
  }
  ClientMessage& vendor_class(std::uint32_t enterprise, std::string_view data) {
    Buffer v;
    put32(v, enterprise);
    put16(v, static_cast<std::uint16_t>(data.size()));
    v.insert(v.end(), data.begin(), data.end());
    return option(16, v);
  }
  ClientMessage& user_class(std::string_view data) {
    Buffer v;
    put16(v, static_cast<std::uint16_t>(data.size()));
    v.insert(v.end(), data.begin(), data.end());
    return option(15, v);
  }
  ClientMessage& rapid_commit() { return option(14, {}); }
  ClientMessage& elapsed(std::uint16_t hundredths) {
    Buffer v;
    put16(v, hundredths);
    return option(8, v);
  }
};

// A Relay-Forward around `inner`, with an interface-id and option 79 when given.
inline Buffer relay_forward(const Buffer& inner, std::uint8_t hops, const Ipv6& link, const Ipv6& peer,
                            std::optional<std::string_view> interface_id = std::nullopt,
                            std::optional<Buffer> mac = std::nullopt) {
  Buffer b{12, hops};
  Buffer l = address_bytes(link), p = address_bytes(peer);
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), p.begin(), p.end());
  if (interface_id) put_option(b, 18, text(*interface_id));
  if (mac) {
    Buffer v{0, 1};
    v.insert(v.end(), mac->begin(), mac->end());
    put_option(b, 79, v);
  }
  put_option(b, 9, inner);
  return b;
}

// A server message's options, top level only; nested ones through options_of.
struct ServerMessage {
  std::uint8_t type = 0;
  std::uint32_t xid = 0;
  std::multimap<std::uint16_t, Buffer> options;
  bool ok = false;
  std::optional<Buffer> first(std::uint16_t code) const {
    auto it = options.find(code);
    if (it == options.end()) return std::nullopt;
    return it->second;
  }
};

inline std::optional<std::multimap<std::uint16_t, Buffer>> options_of(Bytes data) {
  std::multimap<std::uint16_t, Buffer> out;
  std::size_t i = 0;
  while (i < data.size()) {
    if (i + 4 > data.size()) return std::nullopt;
    const std::uint16_t code = static_cast<std::uint16_t>(data[i] << 8 | data[i + 1]);
    const std::size_t len = static_cast<std::size_t>(data[i + 2] << 8 | data[i + 3]);
    if (i + 4 + len > data.size()) return std::nullopt;
    out.emplace(code, Buffer(data.begin() + static_cast<std::ptrdiff_t>(i + 4),
                             data.begin() + static_cast<std::ptrdiff_t>(i + 4 + len)));
    i += 4 + len;
  }
  return out;
}

inline ServerMessage read_server_message(Bytes data) {
  ServerMessage m;
  if (data.size() < 4) return m;
  m.type = data[0];
  m.xid = std::uint32_t{data[1]} << 16 | std::uint32_t{data[2]} << 8 | data[3];
  auto options = options_of(data.subspan(4));
  if (!options) return m;
  m.options = std::move(*options);
  m.ok = true;
  return m;
}

// The IA_NA of a reply: its IAID, the address (when one), and the status code (0 when none).
struct IaNa {
  std::uint32_t iaid = 0;
  std::optional<Ipv6> address;
  std::uint32_t preferred = 0, valid = 0;
  std::uint16_t status = 0;
};
inline std::optional<IaNa> read_ia_na(const Buffer& value) {
  if (value.size() < 12) return std::nullopt;
  IaNa ia;
  ia.iaid = std::uint32_t{value[0]} << 24 | std::uint32_t{value[1]} << 16 | std::uint32_t{value[2]} << 8 | value[3];
  auto options = options_of(Bytes(value).subspan(12));
  if (!options) return std::nullopt;
  for (const auto& [code, v] : *options) {
    if (code == 5 && v.size() >= 24) {
      Ipv6 ip;
      std::copy(v.begin(), v.begin() + 16, ip.bytes.begin());
      ia.address = ip;
      ia.preferred = std::uint32_t{v[16]} << 24 | std::uint32_t{v[17]} << 16 | std::uint32_t{v[18]} << 8 | v[19];
      ia.valid = std::uint32_t{v[20]} << 24 | std::uint32_t{v[21]} << 16 | std::uint32_t{v[22]} << 8 | v[23];
    } else if (code == 13 && v.size() >= 2) {
      ia.status = static_cast<std::uint16_t>(v[0] << 8 | v[1]);
    }
  }
  return ia;
}

}  // namespace ringboot::test
