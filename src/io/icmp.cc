#include "io/icmp.h"

#include <fcntl.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringboot::io {

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
  filter.data = ~(1U << ICMP_ECHOREPLY);
  if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) < 0) {
    *error = std::string("setsockopt(ICMP_FILTER): ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  const int buffer = 1 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  return fd;
}

}  // namespace ringboot::io
