#include "dhcp6/packet.h"

#include <cstring>

namespace ringboot::dhcp6 {

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::none:
      return "none";
    case MessageType::solicit:
      return "SOLICIT";
    case MessageType::advertise:
      return "ADVERTISE";
    case MessageType::request:
      return "REQUEST";
    case MessageType::confirm:
      return "CONFIRM";
    case MessageType::renew:
      return "RENEW";
    case MessageType::rebind:
      return "REBIND";
    case MessageType::reply:
      return "REPLY";
    case MessageType::release:
      return "RELEASE";
    case MessageType::decline:
      return "DECLINE";
    case MessageType::reconfigure:
      return "RECONFIGURE";
    case MessageType::information_request:
      return "INFORMATION-REQUEST";
    case MessageType::relay_forw:
      return "RELAY-FORW";
    case MessageType::relay_repl:
      return "RELAY-REPL";
  }
  return "unknown";
}

std::string_view to_string(ParseError error) {
  switch (error) {
    case ParseError::none:
      return "none";
    case ParseError::truncated:
      return "truncated";
    case ParseError::too_large:
      return "too_large";
    case ParseError::bad_option_length:
      return "bad_option_length";
    case ParseError::relay_too_deep:
      return "relay_too_deep";
    case ParseError::no_relay_message:
      return "no_relay_message";
    case ParseError::not_client_message:
      return "not_client_message";
  }
  return "unknown";
}
static_assert(static_cast<std::size_t>(ParseError::not_client_message) + 1 == kParseErrorCount);

std::optional<Mac> Duid::mac() const {
  // DUID-LLT: type 1, hardware type, time (4), address; DUID-LL: type 3, hardware type, address.
  ByteReader r(view());
  const auto type = r.u16();
  const auto hardware = r.u16();
  if (!type || !hardware || *hardware != 1) return std::nullopt;
  if (*type == 1 && !r.take(4)) return std::nullopt;
  if (*type != 1 && *type != 3) return std::nullopt;
  if (r.remaining() != 6) return std::nullopt;
  Mac mac;
  std::memcpy(mac.bytes.data(), r.rest().data(), 6);
  return mac;
}

std::string Duid::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 3);
  for (std::size_t i = 0; i < size; ++i) {
    if (i > 0) out += ':';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xf];
  }
  return out;
}

std::optional<Duid> Duid::parse(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Duid d;
  std::size_t i = 0;
  while (i < text.size()) {
    if (d.size == kDuidBytesMax || i + 2 > text.size()) return std::nullopt;
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d.bytes[d.size++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
    if (i < text.size()) {
      if (text[i] != ':' || i + 1 == text.size()) return std::nullopt;
      ++i;
    }
  }
  if (d.size == 0) return std::nullopt;
  return d;
}

Duid Duid::of(Bytes data) {
  Duid d;
  d.size = static_cast<std::uint8_t>(std::min(data.size(), kDuidBytesMax));
  if (d.size > 0) std::memcpy(d.bytes.data(), data.data(), d.size);
  return d;
}

bool Message::asked(std::uint16_t code) const {
  for (std::size_t i = 0; i < requested_count; ++i)
    if (requested[i] == code) return true;
  return false;
}

std::optional<Mac> Message::mac() const {
  if (auto mac = client_id.mac()) return mac;
  if (relay_count > 0) return relays[relay_count - 1].client_link_layer;
  return std::nullopt;
}

std::optional<Mac> mac_from_eui64(const Ipv6& a) {
  if (!a.is_link_local() || a.bytes[11] != 0xff || a.bytes[12] != 0xfe) return std::nullopt;
  Mac mac;
  mac.bytes = {
      static_cast<std::uint8_t>(a.bytes[8] ^ 0x02), a.bytes[9], a.bytes[10], a.bytes[13], a.bytes[14], a.bytes[15]};
  return mac;
}

std::optional<Mac> client_mac(const Message& m, const IpAddress& from) {
  if (auto mac = m.mac()) return mac;
  if (m.relayed()) return mac_from_eui64(m.relays[m.relay_count - 1].peer_address);
  if (from.is_v6()) return mac_from_eui64(from.v6());
  return std::nullopt;
}

namespace {

// Visits each option of `data` as (code, value); false on a length past the end.
template <typename Visit>
bool for_each_option(Bytes data, Visit&& visit) {
  ByteReader r(data);
  while (!r.empty()) {
    const auto code = r.u16();
    const auto length = r.u16();
    if (!code || !length) return false;
    const auto value = r.take(*length);
    if (!value) return false;
    if (!visit(*code, *value)) return false;
  }
  return true;
}

Ipv6 read_address(ByteReader& r) {
  Ipv6 ip;
  if (auto b = r.take(16)) std::memcpy(ip.bytes.data(), b->data(), 16);
  return ip;
}

// The first entry of option 15's or 16's list of (length, data).
std::size_t first_entry(Bytes list, std::array<char, kTextBytesMax>& out) {
  ByteReader r(list);
  const auto length = r.u16();
  if (!length) return 0;
  const auto data = r.take(*length);
  if (!data) return 0;
  const std::size_t n = std::min(data->size(), out.size());
  if (n > 0) std::memcpy(out.data(), data->data(), n);
  return n;
}

}  // namespace

struct MessageParser {
  Message& m;

  bool ia_na(Bytes value) {
    if (m.has_ia_na) return true;  // the first IA_NA only
    ByteReader r(value);
    const auto iaid = r.u32();
    const auto t1 = r.u32();
    const auto t2 = r.u32();
    if (!iaid || !t1 || !t2) return false;
    m.has_ia_na = true;
    m.iaid = *iaid;
    m.t1 = *t1;
    m.t2 = *t2;
    return for_each_option(r.rest(), [&](std::uint16_t code, Bytes v) {
      if (code != option::kIaAddr) return true;
      if (v.size() < 24) return false;  // address, preferred, valid, then options
      if (m.ia_address_count < kIaAddressesMax) {
        ByteReader a(v);
        m.ia_addresses[m.ia_address_count++] = read_address(a);
      }
      return true;
    });
  }

  bool client_option(std::uint16_t code, Bytes value) {
    switch (code) {
      case option::kClientId:
        if (value.empty() || value.size() > kDuidBytesMax) return false;
        m.client_id = Duid::of(value);
        return true;
      case option::kServerId:
        if (value.empty() || value.size() > kDuidBytesMax) return false;
        m.server_id = Duid::of(value);
        return true;
      case option::kIaNa:
        return ia_na(value);
      case option::kOro:
        if (value.size() % 2 != 0) return false;
        for (std::size_t i = 0; i + 1 < value.size() && m.requested_count < kRequestedMax; i += 2)
          m.requested[m.requested_count++] = static_cast<std::uint16_t>(value[i] << 8 | value[i + 1]);
        return true;
      case option::kElapsedTime:
        if (value.size() != 2) return false;
        m.elapsed = static_cast<std::uint16_t>(value[0] << 8 | value[1]);
        return true;
      case option::kRapidCommit:
        if (!value.empty()) return false;
        m.rapid_commit = true;
        return true;
      case option::kUserClass:
        m.user_class_size_ = static_cast<std::uint8_t>(first_entry(value, m.user_class_));
        return true;
      case option::kVendorClass: {
        if (value.size() < 4) return false;
        ByteReader r(value);
        m.vendor_enterprise = *r.u32();
        m.vendor_class_size_ = static_cast<std::uint8_t>(first_entry(r.rest(), m.vendor_class_));
        return true;
      }
      case option::kClientArch:
        if (value.size() < 2 || value.size() % 2 != 0) return false;
        m.arch = static_cast<std::uint16_t>(value[0] << 8 | value[1]);
        return true;
      case option::kNii:
        if (value.size() != 3) return false;
        m.nii = std::array<std::uint8_t, 3>{value[0], value[1], value[2]};
        return true;
      default:
        return true;
    }
  }

  ParseError parse(Bytes datagram) {
    if (datagram.size() > kDatagramBytesMax) return ParseError::too_large;
    Bytes data = datagram;
    for (;;) {
      if (data.size() < 4) return ParseError::truncated;
      const auto type = static_cast<MessageType>(data[0]);
      if (type != MessageType::relay_forw) break;
      if (m.relay_count == kRelayDepthMax) return ParseError::relay_too_deep;
      if (data.size() < 34) return ParseError::truncated;
      ByteReader r(data.subspan(1));
      RelayHop& hop = m.relays[m.relay_count++];
      hop.hop_count = *r.u8();
      hop.link_address = read_address(r);
      hop.peer_address = read_address(r);
      std::optional<Bytes> inner;
      const bool ok = for_each_option(r.rest(), [&](std::uint16_t code, Bytes value) {
        if (code == option::kRelayMsg) {
          inner = value;
        } else if (code == option::kInterfaceId) {
          if (value.size() > kInterfaceIdBytesMax) return false;
          hop.has_interface_id = true;
          hop.interface_id_size = static_cast<std::uint8_t>(value.size());
          if (!value.empty()) std::memcpy(hop.interface_id.data(), value.data(), value.size());
        } else if (code == option::kClientLinkLayer) {
          if (value.size() < 2) return false;
          if (value[0] == 0 && value[1] == 1 && value.size() == 8) {
            Mac mac;
            std::memcpy(mac.bytes.data(), value.data() + 2, 6);
            hop.client_link_layer = mac;
          }
        }
        return true;
      });
      if (!ok) return ParseError::bad_option_length;
      if (!inner) return ParseError::no_relay_message;
      data = *inner;
    }
    m.type = static_cast<MessageType>(data[0]);
    switch (m.type) {
      case MessageType::solicit:
      case MessageType::request:
      case MessageType::confirm:
      case MessageType::renew:
      case MessageType::rebind:
      case MessageType::release:
      case MessageType::decline:
      case MessageType::information_request:
        break;
      default:
        return ParseError::not_client_message;
    }
    m.xid = std::uint32_t{data[1]} << 16 | std::uint32_t{data[2]} << 8 | data[3];
    if (!for_each_option(data.subspan(4), [&](std::uint16_t code, Bytes value) { return client_option(code, value); }))
      return ParseError::bad_option_length;
    return ParseError::none;
  }
};

ParseError parse_message(Bytes datagram, Message& out) {
  out = Message{};
  return MessageParser{out}.parse(datagram);
}

void MessageBuilder::header(MessageType type, std::uint32_t xid, const Message& request) {
  for (std::size_t i = 0; i < request.relay_count; ++i) {
    const RelayHop& hop = request.relays[i];
    writer_.u8(static_cast<std::uint8_t>(MessageType::relay_repl));
    writer_.u8(hop.hop_count);
    address(hop.link_address);
    address(hop.peer_address);
    if (hop.has_interface_id) option(option::kInterfaceId, hop.interface_id_view());
    relay_marks_[relay_count_++] = begin(option::kRelayMsg);
  }
  writer_.u8(static_cast<std::uint8_t>(type));
  writer_.u8(static_cast<std::uint8_t>(xid >> 16));
  writer_.u8(static_cast<std::uint8_t>(xid >> 8));
  writer_.u8(static_cast<std::uint8_t>(xid));
}

void MessageBuilder::option(std::uint16_t code, Bytes value) {
  if (value.size() > 0xffff) {
    writer_.zeros(writer_.remaining() + 1);  // no option can say it: the message overflows
    return;
  }
  writer_.u16(code);
  writer_.u16(static_cast<std::uint16_t>(value.size()));
  writer_.bytes(value);
}

void MessageBuilder::status(Status status, std::string_view message) {
  const std::size_t mark = begin(option::kStatusCode);
  writer_.u16(static_cast<std::uint16_t>(status));
  writer_.str(message);
  end(mark);
}

std::size_t MessageBuilder::begin(std::uint16_t code) {
  writer_.u16(code);
  const std::size_t mark = writer_.size();
  writer_.u16(0);
  return mark;
}

void MessageBuilder::end(std::size_t mark) {
  const std::size_t length = writer_.size() - mark - 2;
  writer_.patch_u16(mark, static_cast<std::uint16_t>(std::min<std::size_t>(length, 0xffff)));
}

std::optional<Bytes> MessageBuilder::finish() {
  while (relay_count_ > 0) end(relay_marks_[--relay_count_]);
  if (writer_.overflow()) return std::nullopt;
  return writer_.written();
}

}  // namespace ringboot::dhcp6
