#include "io/udp.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/sockaddr.h"

namespace ringboot::io {
namespace {

// The template recvmsg uses to lay out each provided buffer:
// io_uring_recvmsg_out, then the name, then control, then payload. One
// template for both families: room for an IPv6 name and in6_pktinfo. The
// kernel puts control right after the name's room, so that room is rounded up
// to keep the cmsghdr that follows aligned (a bare sockaddr_in6 is 28 bytes).
constexpr std::size_t kControlBytes = CMSG_SPACE(std::max(sizeof(in_pktinfo), sizeof(in6_pktinfo)));
constexpr std::size_t kNameBytes = (sizeof(sockaddr_in6) + alignof(cmsghdr) - 1) / alignof(cmsghdr) * alignof(cmsghdr);
static_assert((sizeof(io_uring_recvmsg_out) + kNameBytes) % alignof(cmsghdr) == 0);

msghdr& receive_template() {
  static msghdr m = [] {
    msghdr t{};
    t.msg_namelen = kNameBytes;
    t.msg_controllen = kControlBytes;
    return t;
  }();
  return m;
}

}  // namespace

int udp_open(Endpoint bind_to, const UdpOptions& options, std::string* error) {
  const bool v6 = bind_to.ip.is_v6();
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  auto fail = [&](const char* what) {
    const int saved = errno;
    *error = std::string(what) + " " + bind_to.to_string() + ": " + std::strerror(saved);
    ::close(fd);
    errno = saved;  // callers may tell EADDRINUSE from the rest
    return -1;
  };
  if (options.reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) return fail("SO_REUSEPORT");
  // SO_REUSEADDR only when asked: on an ephemeral bind it lets the kernel
  // hand the same port to two sockets, and two TFTP sessions would then share
  // one transfer ID (seen under a 1,000-client bench as ERROR 5).
  if (options.reuse_addr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return fail("SO_REUSEADDR");
  if (options.broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) return fail("SO_BROADCAST");
  // IPv6 only on an IPv6 socket, so [::]:69 and 0.0.0.0:69 are two listeners side by side.
  if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) return fail("IPV6_V6ONLY");
  if (options.packet_info && !v6 && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0)
    return fail("IP_PKTINFO");
  if (options.packet_info && v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0)
    return fail("IPV6_RECVPKTINFO");
  if (options.receive_buffer_bytes > 0) {
    // FORCE needs CAP_NET_ADMIN; otherwise the kernel caps at rmem_max.
    const int bytes = options.receive_buffer_bytes;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (!options.device.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, options.device.c_str(),
                                            static_cast<socklen_t>(options.device.size())) < 0)
    return fail("SO_BINDTODEVICE");
  if (options.join_group) {
    ipv6_mreq group{};
    std::memcpy(&group.ipv6mr_multiaddr, options.join_group->bytes.data(), 16);
    group.ipv6mr_interface = options.device.empty() ? 0 : if_nametoindex(options.device.c_str());
    if (!v6 || group.ipv6mr_interface == 0) {
      errno = EINVAL;
      return fail("IPV6_JOIN_GROUP (needs an IPv6 socket and a device)");
    }
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &group, sizeof group) < 0) return fail("IPV6_JOIN_GROUP");
  }
  SocketAddress addr{};
  const socklen_t length = to_sockaddr(bind_to, &addr);
  if (::bind(fd, &addr.any, length) < 0) return fail("bind");
  return fd;
}

Endpoint local_endpoint(int fd) {
  SocketAddress a{};
  socklen_t len = sizeof a;
  if (getsockname(fd, &a.any, &len) < 0) return Endpoint{};
  return from_sockaddr(&a, len);
}

void udp_receive(Ring& ring, BufferRing& buffers, int fd, Tag tag) {
  io_uring_sqe* sqe = ring.sqe(tag);
  io_uring_prep_recvmsg_multishot(sqe, fd, &receive_template(), 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers.group();
}

void udp_rearm(Ring& ring, BufferRing& buffers, const Completion& completion, int fd, Tag tag) {
  if (completion.more() || fd < 0 || completion.res == -ECANCELED) return;
  ring.counters().rearms.inc();
  udp_receive(ring, buffers, fd, tag);
}

ReceiveStatus udp_decode(BufferRing& buffers, const Completion& c, Datagram* out) {
  if (c.res == -ENOBUFS) return ReceiveStatus::no_buffer;
  if (c.res < 0) return ReceiveStatus::error;
  if (!c.has_buffer()) return ReceiveStatus::error;
  std::uint8_t* buf = buffers.buffer(c.buffer_id());
  auto* msg_out = io_uring_recvmsg_validate(buf, c.res, &receive_template());
  if (msg_out == nullptr) return ReceiveStatus::error;
  if ((msg_out->flags & MSG_TRUNC) != 0) return ReceiveStatus::truncated;
  if (msg_out->namelen < sizeof(sockaddr_in) || msg_out->namelen > sizeof(sockaddr_in6)) return ReceiveStatus::error;
  out->from = from_sockaddr(io_uring_recvmsg_name(msg_out), msg_out->namelen);
  out->local = IpAddress{};
  out->interface = 0;
  msghdr& tmpl = receive_template();
  for (cmsghdr* cm = io_uring_recvmsg_cmsg_firsthdr(msg_out, &tmpl); cm != nullptr;
       cm = io_uring_recvmsg_cmsg_nexthdr(msg_out, &tmpl, cm)) {
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(cm), sizeof info);
      out->local = Ipv4{ntohl(info.ipi_addr.s_addr)};
      out->interface = info.ipi_ifindex;
    } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(cm), sizeof info);
      out->local = from_in6(info.ipi6_addr, info.ipi6_ifindex);
      out->interface = static_cast<int>(info.ipi6_ifindex);
    }
  }
  const auto* payload = static_cast<const std::uint8_t*>(io_uring_recvmsg_payload(msg_out, &tmpl));
  out->payload = Bytes(payload, io_uring_recvmsg_payload_length(msg_out, c.res, &tmpl));
  return ReceiveStatus::datagram;
}

UdpSendPool::UdpSendPool(Ring& ring, std::uint8_t kind, std::size_t slots) : ring_(ring), kind_(kind), slots_(slots) {
  RINGBOOT_ASSERT(slots <= std::size_t{Tag::kIndexMax} + 1);  // each slot's index rides in a Tag
  free_.reserve(slots);
  for (std::size_t i = slots; i > 0; --i) free_.push_back(static_cast<std::uint32_t>(i - 1));
}

UdpSendPool::Slot* UdpSendPool::take() {
  if (free_.empty()) {
    exhausted_.inc();
    return nullptr;
  }
  return &slots_[free_.back()];
}

void UdpSendPool::submit(int fd, Slot* slot, std::uint32_t index) {
  RINGBOOT_ASSERT(!slot->in_flight);
  free_.pop_back();
  slot->in_flight = true;
  slot->msg.msg_name = &slot->addr;
  slot->msg.msg_iov = slot->iov;
  io_uring_sqe* sqe = ring_.sqe(Tag{kind_, index, 0});
  io_uring_prep_sendmsg(sqe, fd, &slot->msg, 0);
}

bool UdpSendPool::send_copy(int fd, Endpoint to, Bytes packet, std::uint64_t owner) {
  if (packet.size() > kInlineBytes) {
    errors_.inc();
    return false;
  }
  Slot* slot = take();
  if (slot == nullptr) return false;
  const std::uint32_t index = free_.back();
  std::memcpy(slot->data, packet.data(), packet.size());
  slot->msg.msg_namelen = to_sockaddr(to, &slot->addr);
  slot->iov[0] = iovec{slot->data, packet.size()};
  slot->msg.msg_iovlen = 1;
  slot->owner = owner;
  submit(fd, slot, index);
  return true;
}

bool UdpSendPool::send_gather(int fd, Endpoint to, Bytes header, const std::uint8_t* payload, std::size_t length,
                              std::uint64_t owner) {
  Slot* slot = take();
  if (slot == nullptr) return false;
  const std::uint32_t index = free_.back();
  std::memcpy(slot->data, header.data(), header.size());
  slot->msg.msg_namelen = to_sockaddr(to, &slot->addr);
  slot->iov[0] = iovec{slot->data, header.size()};
  slot->iov[1] = iovec{const_cast<std::uint8_t*>(payload), length};
  slot->msg.msg_iovlen = length > 0 ? 2 : 1;
  slot->owner = owner;
  submit(fd, slot, index);
  return true;
}

std::uint64_t UdpSendPool::complete(const Completion& c) {
  // One completion per send: a second one, or a foreign index, would put a
  // slot on the free list twice and hand it to two sends at once.
  RINGBOOT_ASSERT(c.tag.index < slots_.size());
  Slot& slot = slots_[c.tag.index];
  RINGBOOT_ASSERT(slot.in_flight);
  slot.in_flight = false;
  if (c.res < 0) errors_.inc();
  free_.push_back(c.tag.index);
  return slot.owner;
}

}  // namespace ringboot::io
