#include "dhcp/icmp_echo.h"

#include <cstring>

namespace ringboot::dhcp {

namespace {
constexpr std::uint8_t kIpProtocolIcmp = 1;

std::uint16_t checksum(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += (std::uint32_t{bytes[i]} << 8) | bytes[i + 1];
  if (bytes.size() % 2 != 0) sum += std::uint32_t{bytes.back()} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}
}  // namespace

std::size_t icmp_echo_request(std::span<std::uint8_t, kEchoRequestBytes> out, std::uint16_t id,
                              std::uint16_t sequence) {
  std::memset(out.data(), 0, out.size());
  out[0] = kIcmpEchoRequest;
  out[4] = static_cast<std::uint8_t>(id >> 8);
  out[5] = static_cast<std::uint8_t>(id);
  out[6] = static_cast<std::uint8_t>(sequence >> 8);
  out[7] = static_cast<std::uint8_t>(sequence);
  std::memcpy(out.data() + 8, "ringboot", 8);
  const std::uint16_t sum = checksum(out);
  out[2] = static_cast<std::uint8_t>(sum >> 8);
  out[3] = static_cast<std::uint8_t>(sum);
  return out.size();
}

std::optional<EchoReply> icmp_parse_echo_reply(Bytes d) {
  if (d.size() < 20 || (d[0] >> 4) != 4) return std::nullopt;
  const std::size_t header = std::size_t{d[0] & 0x0fu} * 4;
  if (header < 20 || d.size() < header + 8 || d[9] != kIpProtocolIcmp) return std::nullopt;
  const std::uint8_t* icmp = d.data() + header;
  if (icmp[0] != kIcmpEchoReply || icmp[1] != 0) return std::nullopt;
  EchoReply r;
  r.from = Ipv4{(std::uint32_t{d[12]} << 24) | (std::uint32_t{d[13]} << 16) | (std::uint32_t{d[14]} << 8) | d[15]};
  r.id = static_cast<std::uint16_t>((icmp[4] << 8) | icmp[5]);
  r.sequence = static_cast<std::uint16_t>((icmp[6] << 8) | icmp[7]);
  return r;
}

}  // namespace ringboot::dhcp
