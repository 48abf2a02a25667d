#include "io/icmp.h"

#include <fcntl.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringboot::io {

namespace {
constexpr std::uint8_t kEchoReply = 0;
constexpr std::uint8_t kEchoRequest = 8;

std::uint16_t checksum(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += (std::uint32_t{bytes[i]} << 8) | bytes[i + 1];
  if (bytes.size() % 2 != 0) sum += std::uint32_t{bytes.back()} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}
}  // namespace

int icmp_open(std::string* error) {
  const int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    const int e = errno;
    *error = std::string("socket(SOCK_RAW, IPPROTO_ICMP): ") + std::strerror(e) +
             (e == EPERM ? " (the ICMP conflict check needs CAP_NET_RAW; or set dhcp.conflict_check = \"none\")" : "");
    return -1;
  }
  // Only echo replies reach us: a busy host's other ICMP stays in the kernel.
  icmp_filter filter{};
  filter.data = ~(1U << kEchoReply);
  if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) < 0) {
    *error = std::string("setsockopt(ICMP_FILTER): ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  const int buffer = 1 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  return fd;
}

std::size_t icmp_echo_request(std::span<std::uint8_t, kEchoRequestBytes> out, std::uint16_t id,
                              std::uint16_t sequence) {
  std::memset(out.data(), 0, out.size());
  out[0] = kEchoRequest;
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
  if (header < 20 || d.size() < header + 8 || d[9] != IPPROTO_ICMP) return std::nullopt;
  const std::uint8_t* icmp = d.data() + header;
  if (icmp[0] != kEchoReply || icmp[1] != 0) return std::nullopt;
  EchoReply r;
  r.from = Ipv4{(std::uint32_t{d[12]} << 24) | (std::uint32_t{d[13]} << 16) | (std::uint32_t{d[14]} << 8) | d[15]};
  r.id = static_cast<std::uint16_t>((icmp[4] << 8) | icmp[5]);
  r.sequence = static_cast<std::uint16_t>((icmp[6] << 8) | icmp[7]);
  return r;
}

}  // namespace ringboot::io
