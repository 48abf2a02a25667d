// Builds client-side requests (DISCOVER, REQUEST, ...) byte by byte: for unit
// tests, fuzz seeds and the network simulator. Not used on the data path.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/endpoint.h"
#include "dhcp/packet.h"

namespace ringboot::dhcp {

class ClientPacket {
 public:
  explicit ClientPacket(MessageType type, Mac mac = Mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}},
                        std::uint32_t xid = 0x1234) {
    header_.resize(kFixedHeaderBytes);
    header_[0] = kBootRequest;
    header_[1] = 1;
    header_[2] = 6;
    put32(4, xid);
    for (std::size_t i = 0; i < 6; ++i) header_[28 + i] = mac.bytes[i];
    if (type != MessageType::none) option(option::kMessageType, {static_cast<std::uint8_t>(type)});
  }
  ClientPacket& op(std::uint8_t v) { return set(0, v); }
  ClientPacket& htype(std::uint8_t v) { return set(1, v); }
  ClientPacket& hlen(std::uint8_t v) { return set(2, v); }
  ClientPacket& flags(std::uint16_t v) {
    header_[10] = static_cast<std::uint8_t>(v >> 8);
    header_[11] = static_cast<std::uint8_t>(v);
    return *this;
  }
  ClientPacket& ciaddr(Ipv4 ip) { return put32(12, ip.value); }
  ClientPacket& giaddr(Ipv4 ip) { return put32(24, ip.value); }
  ClientPacket& sname_bytes(std::vector<std::uint8_t> b) { return field(44, 64, b); }
  ClientPacket& file_bytes(std::vector<std::uint8_t> b) { return field(108, 128, b); }
  ClientPacket& option(std::uint8_t code, std::vector<std::uint8_t> value) {
    options_.push_back(code);
    options_.push_back(static_cast<std::uint8_t>(value.size()));
    options_.insert(options_.end(), value.begin(), value.end());
    return *this;
  }
  ClientPacket& option_text(std::uint8_t code, std::string_view text) {
    return option(code, std::vector<std::uint8_t>(text.begin(), text.end()));
  }
  ClientPacket& option_ip(std::uint8_t code, Ipv4 ip) {
    return option(code, {static_cast<std::uint8_t>(ip.value >> 24), static_cast<std::uint8_t>(ip.value >> 16),
                         static_cast<std::uint8_t>(ip.value >> 8), static_cast<std::uint8_t>(ip.value)});
  }
  ClientPacket& arch(std::uint16_t a) {
    return option(option::kClientArch, {static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)});
  }
  ClientPacket& raw_options(std::vector<std::uint8_t> bytes) {
    options_.insert(options_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ClientPacket& no_end() {
    end_ = false;
    return *this;
  }
  ClientPacket& cookie(std::uint32_t c) {
    cookie_ = c;
    return *this;
  }

  std::vector<std::uint8_t> bytes() const {
    std::vector<std::uint8_t> out = header_;
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(cookie_ >> shift));
    out.insert(out.end(), options_.begin(), options_.end());
    if (end_) out.push_back(option::kEnd);
    if (out.size() < kMinimumMessageBytes) out.resize(kMinimumMessageBytes, 0);
    return out;
  }

 private:
  ClientPacket& set(std::size_t at, std::uint8_t v) {
    header_[at] = v;
    return *this;
  }
  ClientPacket& put32(std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) header_[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
    return *this;
  }
  ClientPacket& field(std::size_t at, std::size_t size, const std::vector<std::uint8_t>& b) {
    for (std::size_t i = 0; i < size && i < b.size(); ++i) header_[at + i] = b[i];
    return *this;
  }
  std::vector<std::uint8_t> header_;
  std::vector<std::uint8_t> options_;
  std::uint32_t cookie_ = 0x63825363;
  bool end_ = true;
};

}  // namespace ringboot::dhcp
