// UDP on the ring: sockets, multishot recvmsg on a provided-buffer ring, and
// a fixed pool of in-flight sendmsg records (no allocation per send).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "io/ring.h"
#include "io/sockaddr.h"

namespace ringboot::io {

struct UdpOptions {
  bool reuse_port = false;
  // SO_REUSEADDR: only for well-known ports shared with a peer on the same
  // host (DHCP 67 beside dnsmasq or ISC dhcpd, both bound to one device).
  // Never on ephemeral binds: the kernel would hand two sockets one port.
  bool reuse_addr = false;
  bool broadcast = false;
  bool packet_info = true;       // learn the local address a datagram came to
  int receive_buffer_bytes = 0;  // 0: kernel default
  std::string device;            // SO_BINDTODEVICE when set
  // IPv6 only: a multicast group joined on `device` (DHCPv6: ff02::1:2).
  std::optional<Ipv6> join_group;
};

// Returns the fd, or -1 with *error set ("bind 0.0.0.0:69: Permission denied").
// The socket's family is the address's; an IPv6 socket is IPV6_V6ONLY, and
// packet_info is IPV6_RECVPKTINFO there.
int udp_open(Endpoint bind, const UdpOptions& options, std::string* error);
// The local address an fd is bound to (port filled in after bind to 0).
Endpoint local_endpoint(int fd);

// Arms a multishot recvmsg on `fd` drawing from `buffers`.
void udp_receive(Ring& ring, BufferRing& buffers, int fd, Tag tag);

struct Datagram {
  Endpoint from;
  IpAddress local;  // destination address of the datagram (IP_PKTINFO, IPV6_PKTINFO)
  int interface = 0;
  Bytes payload;
};

enum class ReceiveStatus { datagram, truncated, no_buffer, error, stale };
// Decodes a recvmsg completion. The caller recycles the buffer (if any)
// after use, and re-arms when `completion.more()` is false.
ReceiveStatus udp_decode(BufferRing& buffers, const Completion& completion, Datagram* out);

// One multishot receive completion, the way every UDP receiver takes it:
// a datagram goes to `on_datagram` while its buffer is still held, buffer
// exhaustion is counted, the buffer is recycled. The status is returned for
// what the caller counts itself (a truncated datagram).
template <typename OnDatagram>
ReceiveStatus udp_consume(Ring& ring, BufferRing& buffers, const Completion& completion, OnDatagram&& on_datagram) {
  Datagram d;
  const ReceiveStatus status = udp_decode(buffers, completion, &d);
  if (status == ReceiveStatus::datagram) on_datagram(d);
  if (status == ReceiveStatus::no_buffer) ring.counters().buffers_exhausted.inc();
  if (completion.has_buffer()) buffers.recycle(completion.buffer_id());
  return status;
}
// Re-arms a multishot receive the kernel ended: not one we cancelled, nor on
// a socket we closed (fd < 0).
void udp_rearm(Ring& ring, BufferRing& buffers, const Completion& completion, int fd, Tag tag);

// In-flight sendmsg records. A record holds its own header bytes, address
// and iovecs until its completion, and an optional reference the caller
// keeps alive for the payload (a mapped file).
class UdpSendPool {
 public:
  static constexpr std::size_t kInlineBytes = 1024;
  UdpSendPool(Ring& ring, std::uint8_t kind, std::size_t slots);

  // Copies `packet`; false when the pool is full (counted, packet dropped:
  // the protocol's retransmit timer recovers).
  bool send_copy(int fd, Endpoint to, Bytes packet, std::uint64_t owner = 0);
  // Sends header (copied, <= 16 bytes) + payload (referenced, must stay
  // valid until the completion; `owner` identifies who keeps it alive).
  bool send_gather(int fd, Endpoint to, Bytes header, const std::uint8_t* payload, std::size_t length,
                   std::uint64_t owner);
  // Call for completions of this pool's kind; returns the record's owner
  // so the caller can release what it kept alive.
  std::uint64_t complete(const Completion& completion);
  std::size_t in_flight() const { return slots_.size() - free_.size(); }
  std::uint64_t exhausted() const { return exhausted_.get(); }
  std::uint64_t errors() const { return errors_.get(); }

 private:
  struct Slot {
    msghdr msg{};
    SocketAddress addr{};
    iovec iov[2]{};
    std::uint64_t owner = 0;
    bool in_flight = false;  // between submit and complete: not on the free list
    std::uint8_t data[kInlineBytes];
  };
  Slot* take();
  void submit(int fd, Slot* slot, std::uint32_t index);

  Ring& ring_;
  std::uint8_t kind_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  Counter exhausted_;
  Counter errors_;
};

}  // namespace ringboot::io
