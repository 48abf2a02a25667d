#include "io/netif.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringboot::io {

std::optional<Ipv4> interface_address(const std::string& name, std::string* error) {
  ifreq req{};
  if (name.empty() || name.size() >= sizeof req.ifr_name) {
    *error = "interface name \"" + name + "\" is empty or too long";
    return std::nullopt;
  }
  std::memcpy(req.ifr_name, name.data(), name.size());
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  const int rc = ioctl(fd, SIOCGIFADDR, &req);
  const int err = errno;
  ::close(fd);
  if (rc < 0) {
    *error = "interface " + name + ": " +
             (err == ENODEV          ? std::string("no such interface")
              : err == EADDRNOTAVAIL ? std::string("no IPv4 address")
                                     : std::string(std::strerror(err)));
    return std::nullopt;
  }
  sockaddr_in address{};
  std::memcpy(&address, &req.ifr_addr, sizeof address);
  return Ipv4{ntohl(address.sin_addr.s_addr)};
}

std::optional<Mac> interface_mac(const std::string& name, std::string* error) {
  ifreq req{};
  if (name.empty() || name.size() >= sizeof req.ifr_name) {
    *error = "interface name \"" + name + "\" is empty or too long";
    return std::nullopt;
  }
  std::memcpy(req.ifr_name, name.data(), name.size());
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  const int rc = ioctl(fd, SIOCGIFHWADDR, &req);
  const int err = errno;
  ::close(fd);
  if (rc < 0) {
    *error = "interface " + name + ": " + (err == ENODEV ? std::string("no such interface") : std::strerror(err));
    return std::nullopt;
  }
  Mac mac;
  std::memcpy(mac.bytes.data(), req.ifr_hwaddr.sa_data, 6);
  return mac;
}

int interface_mtu(int ifindex) {
  ifreq req{};
  if (ifindex <= 0 || if_indextoname(static_cast<unsigned>(ifindex), req.ifr_name) == nullptr) return 0;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  const int rc = ioctl(fd, SIOCGIFMTU, &req);
  ::close(fd);
  return rc < 0 ? 0 : req.ifr_mtu;
}

}  // namespace ringboot::io
