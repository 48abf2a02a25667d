#include "io/udp.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringboot::io {
namespace {

sockaddr_in to_sockaddr(Endpoint e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(e.port);
  a.sin_addr.s_addr = htonl(e.ip.value);
  return a;
}

Endpoint from_sockaddr(const sockaddr_in& a) { return Endpoint{Ipv4{ntohl(a.sin_addr.s_addr)}, ntohs(a.sin_port)}; }

// The template recvmsg uses to lay out each provided buffer:
// io_uring_recvmsg_out, then the name, then control, then payload.
constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(in_pktinfo));

msghdr& receive_template() {
  static msghdr m = [] {
    msghdr t{};
    t.msg_namelen = sizeof(sockaddr_in);
    t.msg_controllen = kControlBytes;
    return t;
  }();
  return m;
}

}  // namespace

int udp_open(Endpoint bind_to, const UdpOptions& options, std::string* error) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
  if (options.packet_info && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) return fail("IP_PKTINFO");
  if (options.receive_buffer_bytes > 0) {
    // FORCE needs CAP_NET_ADMIN; otherwise the kernel caps at rmem_max.
    const int bytes = options.receive_buffer_bytes;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  if (!options.device.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, options.device.c_str(),
                                            static_cast<socklen_t>(options.device.size())) < 0)
    return fail("SO_BINDTODEVICE");
  const sockaddr_in addr = to_sockaddr(bind_to);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) return fail("bind");
  return fd;
}

Endpoint local_endpoint(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) return Endpoint{};
  return from_sockaddr(a);
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
  if (msg_out->namelen < sizeof(sockaddr_in)) return ReceiveStatus::error;
  sockaddr_in from{};
  std::memcpy(&from, io_uring_recvmsg_name(msg_out), sizeof from);
  out->from = from_sockaddr(from);
  out->local = Ipv4{};
  out->interface = 0;
  msghdr& tmpl = receive_template();
  for (cmsghdr* cm = io_uring_recvmsg_cmsg_firsthdr(msg_out, &tmpl); cm != nullptr;
       cm = io_uring_recvmsg_cmsg_nexthdr(msg_out, &tmpl, cm)) {
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(cm), sizeof info);
      out->local = Ipv4{ntohl(info.ipi_addr.s_addr)};
      out->interface = info.ipi_ifindex;
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
  slot->msg.msg_namelen = sizeof slot->addr;
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
  slot->addr = to_sockaddr(to);
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
  slot->addr = to_sockaddr(to);
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

#include <sys/ioctl.h>

namespace ringboot::io {}  // namespace ringboot::io
