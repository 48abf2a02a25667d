#include "dhcp/packet.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/enum_count.h"

namespace ringboot::dhcp {

namespace {
constexpr std::uint32_t kMagicCookie = 0x63825363;
constexpr std::size_t kSnameOffset = 44;
constexpr std::size_t kFileOffset = 108;

std::string_view until_nul(const std::uint8_t* p, std::size_t n) {
  const void* nul = std::memchr(p, 0, n);
  const std::size_t len = nul == nullptr ? n : static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - p);
  return {reinterpret_cast<const char*>(p), len};
}
}  // namespace

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::none:
      return "none";
    case MessageType::discover:
      return "DISCOVER";
    case MessageType::offer:
      return "OFFER";
    case MessageType::request:
      return "REQUEST";
    case MessageType::decline:
      return "DECLINE";
    case MessageType::ack:
      return "ACK";
    case MessageType::nak:
      return "NAK";
    case MessageType::release:
      return "RELEASE";
    case MessageType::inform:
      return "INFORM";
  }
  return "unknown";
}

namespace {
// Without a default: kParseErrorCount is checked against it (base/enum_count.h).
constexpr std::string_view name_of(ParseError error) {
  switch (error) {
    case ParseError::none:
      return "none";
    case ParseError::truncated:
      return "truncated";
    case ParseError::too_large:
      return "too_large";
    case ParseError::bad_cookie:
      return "bad_cookie";
    case ParseError::bad_option_length:
      return "bad_option_length";
    case ParseError::bad_overload:
      return "bad_overload";
    case ParseError::hlen:
      return "hlen";
    case ParseError::not_request:
      return "not_request";
  }
  return {};
}
static_assert(counts_named_enumerators<ParseError>(name_of, kParseErrorCount),
              "kParseErrorCount is not the number of ParseError enumerators");
}  // namespace

std::string_view to_string(ParseError error) {
  const std::string_view name = name_of(error);
  return name.empty() ? "unknown" : name;
}

Mac Packet::mac() const {
  Mac m;
  std::copy_n(chaddr.begin(), 6, m.bytes.begin());
  return m;
}

std::string_view Packet::sname() const {
  if ((overload & 2) != 0) return {};
  return until_nul(sname_field.data(), sname_field.size());
}

std::string_view Packet::file() const {
  if ((overload & 1) != 0) return {};
  return until_nul(file_field.data(), file_field.size());
}

std::optional<Bytes> Packet::option(std::uint8_t code) const {
  if (!present_[code]) return std::nullopt;
  return Bytes(data_.data() + offset_[code], length_[code]);
}

Bytes Packet::option_or_empty(std::uint8_t code) const { return option(code).value_or(Bytes{}); }

std::string_view Packet::option_text(std::uint8_t code) const {
  Bytes b = option_or_empty(code);
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::optional<MessageType> Packet::message_type() const {
  auto v = option(option::kMessageType);
  if (!v || v->size() != 1 || (*v)[0] < 1 || (*v)[0] > 8) return std::nullopt;
  return static_cast<MessageType>((*v)[0]);
}

namespace {
std::optional<Ipv4> ip_of(std::optional<Bytes> v) {
  if (!v || v->size() != 4) return std::nullopt;
  ByteReader r(*v);
  return Ipv4{*r.u32()};
}
std::optional<std::uint16_t> u16_of(std::optional<Bytes> v) {
  if (!v || v->size() < 2) return std::nullopt;
  ByteReader r(*v);
  return r.u16();
}
}  // namespace

std::optional<Ipv4> Packet::requested_ip() const { return ip_of(option(option::kRequestedIp)); }
std::optional<Ipv4> Packet::server_id() const { return ip_of(option(option::kServerId)); }
std::string_view Packet::hostname() const { return option_text(option::kHostname); }
std::string_view Packet::vendor_class() const { return option_text(option::kVendorClass); }
Bytes Packet::client_id() const { return option_or_empty(option::kClientId); }
std::string_view Packet::user_class() const { return option_text(option::kUserClass); }
std::optional<std::uint16_t> Packet::client_arch() const { return u16_of(option(option::kClientArch)); }
Bytes Packet::client_ndi() const { return option_or_empty(option::kClientNdi); }
Bytes Packet::uuid() const { return option_or_empty(option::kClientUuid); }
std::string Packet::uuid_text() const {
  const Bytes u = uuid();
  constexpr std::size_t kUuidOptionBytes = 17;
  if (u.size() != kUuidOptionBytes || u[0] != 0) return {};
  // Byte order of the text: a (4, swapped), b (2, swapped), c (2, swapped), d and e as sent.
  constexpr std::array<std::uint8_t, 16> kOrder{4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < kOrder.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[u[kOrder[i]] >> 4];
    out += kHex[u[kOrder[i]] & 0xf];
  }
  return out;
}
Bytes Packet::parameter_request_list() const { return option_or_empty(option::kParameterRequestList); }
Bytes Packet::vendor_specific() const { return option_or_empty(option::kVendorSpecific); }
std::optional<std::uint16_t> Packet::max_message_size() const {
  auto v = option(option::kMaxMessageSize);
  if (!v || v->size() != 2) return std::nullopt;
  return u16_of(v);
}

bool Packet::is_ipxe() const { return user_class() == "iPXE" || has_ipxe_encapsulated(); }

// Two walks over the option areas (options, then file, then sname: RFC 3396
// section 5): the first sums each code's length, the second copies each value
// to its code's slot, so repeated options come out concatenated in order.
struct PacketParser {
  Packet& p;
  Bytes areas[3];
  std::size_t area_count = 1;

  // Walks one area; calls f(code, value) per TLV. END stops the area and
  // whatever follows it is junk we skip (many clients pad with garbage).
  // A missing END at the end of an area is tolerated (old BOOTP clients).
  template <typename F>
  static ParseError walk(Bytes area, F&& f) {
    ByteReader r(area);
    while (!r.empty()) {
      const std::uint8_t code = *r.u8();
      if (code == option::kPad) continue;
      if (code == option::kEnd) break;
      auto len = r.u8();
      if (!len) return ParseError::bad_option_length;
      auto value = r.take(*len);
      if (!value) return ParseError::bad_option_length;
      f(code, *value);
    }
    return ParseError::none;
  }

  static void reset(Packet& packet) {
    packet.present_.fill(false);
    packet.length_.fill(0);
    packet.overload = 0;
  }

  ParseError run() {
    std::array<std::size_t, 256> total{};
    // Option 52 is only honoured in the main options field (RFC 2132 9.3).
    std::optional<std::uint8_t> overload;
    ParseError e = walk(areas[0], [&](std::uint8_t code, Bytes v) {
      total[code] += v.size();
      if (code == option::kOverload && v.size() == 1 && !overload) overload = v[0];
    });
    if (e != ParseError::none) return e;
    if (total[option::kOverload] != 0) {
      if (!overload || *overload < 1 || *overload > 3) return ParseError::bad_overload;
      p.overload = *overload;
      if ((p.overload & 1) != 0) areas[area_count++] = Bytes(p.file_field);
      if ((p.overload & 2) != 0) areas[area_count++] = Bytes(p.sname_field);
      for (std::size_t i = 1; i < area_count; ++i) {
        e = walk(areas[i], [&](std::uint8_t code, Bytes v) {
          if (code != option::kOverload) total[code] += v.size();
        });
        if (e != ParseError::none) return e;
      }
    }
    std::size_t offset = 0;
    for (std::size_t code = 0; code < 256; ++code) {
      if (total[code] == 0) continue;
      if (total[code] > p.data_.size() - offset) return ParseError::too_large;
      p.offset_[code] = static_cast<std::uint16_t>(offset);
      offset += total[code];
    }
    std::array<std::uint16_t, 256> filled{};
    for (std::size_t i = 0; i < area_count; ++i) {
      (void)walk(areas[i], [&](std::uint8_t code, Bytes v) {
        if (i > 0 && code == option::kOverload) return;
        p.present_[code] = true;
        if (v.empty()) return;
        std::memcpy(p.data_.data() + p.offset_[code] + filled[code], v.data(), v.size());
        filled[code] = static_cast<std::uint16_t>(filled[code] + v.size());
      });
    }
    p.length_ = filled;
    return ParseError::none;
  }
};

ParseResult parse_packet(Bytes datagram, Packet& out) {
  PacketParser::reset(out);
  if (datagram.size() > kDatagramBytesMax) return {ParseError::too_large};
  if (datagram.size() < kFixedHeaderBytes) return {ParseError::truncated};
  ByteReader r(datagram);
  out.op = *r.u8();
  out.htype = *r.u8();
  out.hlen = *r.u8();
  out.hops = *r.u8();
  out.xid = *r.u32();
  out.secs = *r.u16();
  out.flags = *r.u16();
  out.ciaddr = Ipv4{*r.u32()};
  out.yiaddr = Ipv4{*r.u32()};
  out.siaddr = Ipv4{*r.u32()};
  out.giaddr = Ipv4{*r.u32()};
  Bytes chaddr = *r.take(16);
  std::copy(chaddr.begin(), chaddr.end(), out.chaddr.begin());
  Bytes sname = *r.take(64);
  std::copy(sname.begin(), sname.end(), out.sname_field.begin());
  Bytes file = *r.take(128);
  std::copy(file.begin(), file.end(), out.file_field.begin());
  if (out.hlen > 16) return {ParseError::hlen};
  auto cookie = r.u32();
  if (!cookie) return {ParseError::truncated};
  if (*cookie != kMagicCookie) return {ParseError::bad_cookie};
  PacketParser parser{out, {r.rest(), {}, {}}};
  if (ParseError e = parser.run(); e != ParseError::none) return {e};
  if (out.op != kBootRequest) return {ParseError::not_request};
  return {};
}

PacketBuilder::PacketBuilder(MutableBytes buffer, std::size_t size_max)
    : writer_(buffer.first(std::min(buffer.size(), size_max))) {}

void PacketBuilder::header(std::uint8_t op, const Packet& request, Ipv4 ciaddr, Ipv4 yiaddr, Ipv4 siaddr,
                           std::string_view sname, std::string_view file, std::uint16_t flags) {
  writer_.u8(op);
  writer_.u8(request.htype);
  writer_.u8(request.hlen);
  writer_.u8(0);  // hops
  writer_.u32(request.xid);
  writer_.u16(0);  // secs
  writer_.u16(flags);
  writer_.u32(ciaddr.value);
  writer_.u32(yiaddr.value);
  writer_.u32(siaddr.value);
  writer_.u32(request.giaddr.value);
  writer_.bytes(Bytes(request.chaddr));
  // A NUL must follow the name inside the field; a longer name goes in 66/67 only.
  auto fixed = [&](std::string_view s, std::size_t field) {
    if (s.size() < field) {
      writer_.str(s);
      writer_.zeros(field - s.size());
    } else {
      writer_.zeros(field);
    }
  };
  fixed(sname, 64);
  fixed(file, 128);
  static_assert(kSnameOffset + 64 == kFileOffset && kFileOffset + 128 == kFixedHeaderBytes);
  writer_.u32(kMagicCookie);
}

void PacketBuilder::option(std::uint8_t code, Bytes value) {
  do {
    const std::size_t n = std::min<std::size_t>(value.size(), 255);
    writer_.u8(code);
    writer_.u8(static_cast<std::uint8_t>(n));
    writer_.bytes(value.first(n));
    value = value.subspan(n);
  } while (!value.empty());
}

void PacketBuilder::option_u8(std::uint8_t code, std::uint8_t value) { option(code, Bytes(&value, 1)); }

void PacketBuilder::option_u16(std::uint8_t code, std::uint16_t value) {
  const std::array<std::uint8_t, 2> b{static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
  option(code, Bytes(b));
}

void PacketBuilder::option_u32(std::uint8_t code, std::uint32_t value) {
  const std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                                      static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
  option(code, Bytes(b));
}

std::optional<Bytes> PacketBuilder::finish() {
  writer_.u8(option::kEnd);
  if (writer_.size() < kMinimumMessageBytes) writer_.zeros(kMinimumMessageBytes - writer_.size());
  if (writer_.overflow()) return std::nullopt;
  return writer_.written();
}

std::size_t reply_size_max(const Packet& request, std::size_t buffer_bytes) {
  std::size_t limit = kDefaultMessageBytesMax;
  // Option 57 counts the whole IP datagram (RFC 2132 9.10); the reply is the UDP payload.
  if (auto m = request.max_message_size(); m && *m > 576) limit = std::size_t{*m} - 28;
  return std::min(limit, buffer_bytes);
}

}  // namespace ringboot::dhcp
