#include "io/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/sockaddr.h"

namespace ringboot::io {

int tcp_listen(Endpoint bind_to, int backlog, bool reuse_port, std::string* error) {
  const bool v6 = bind_to.ip.is_v6();
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // IPv6 only, so [::]:80 and 0.0.0.0:80 are two listeners side by side.
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  SocketAddress a{};
  const socklen_t length = to_sockaddr(bind_to, &a);
  if (::bind(fd, &a.any, length) < 0 || ::listen(fd, backlog) < 0) {
    *error = "listen " + bind_to.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

void tcp_accept(Ring& ring, int listen_fd, Tag tag) {
  io_uring_sqe* sqe = ring.sqe(tag);
  io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void tcp_configure(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void tcp_send_buffer(int fd, std::uint32_t bytes) {
  const int value = static_cast<int>(std::min<std::uint32_t>(bytes, 1u << 30));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, sizeof value);
}

Endpoint peer_endpoint(int fd) {
  SocketAddress a{};
  socklen_t len = sizeof a;
  if (getpeername(fd, &a.any, &len) < 0) return Endpoint{};
  return from_sockaddr(&a, len);
}

void tcp_receive(Ring& ring, BufferRing& buffers, int fd, Tag tag) {
  io_uring_sqe* sqe = ring.sqe(tag);
  io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers.group();
}

void tcp_send(Ring& ring, int fd, const void* data, std::size_t length, bool more, Tag tag) {
  io_uring_sqe* sqe = ring.sqe(tag);
  io_uring_prep_send(sqe, fd, data, length, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
}

void tcp_send_gather(Ring& ring, int fd, GatherSend& g, Bytes head, Bytes body, Tag tag) {
  g.iov[0] = iovec{const_cast<std::uint8_t*>(head.data()), head.size()};
  g.iov[1] = iovec{const_cast<std::uint8_t*>(body.data()), body.size()};
  g.msg = msghdr{};
  g.msg.msg_iov = g.iov;
  g.msg.msg_iovlen = body.empty() ? 1 : 2;
  io_uring_sqe* sqe = ring.sqe(tag);
  io_uring_prep_sendmsg(sqe, fd, &g.msg, MSG_NOSIGNAL);
}

std::int64_t send_file(int socket_fd, int file_fd, std::uint64_t offset, std::size_t length) {
  auto off = static_cast<off_t>(offset);
  while (true) {
    const ssize_t n = ::sendfile(socket_fd, file_fd, &off, length);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

void poll_writable(Ring& ring, int fd, Tag tag) {
  io_uring_sqe* sqe = ring.sqe(tag);
  io_uring_prep_poll_add(sqe, fd, POLLOUT);
}

void reject_connection(int fd, Bytes response) {
  (void)::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::close(fd);
}

void shutdown_fd(int fd) { ::shutdown(fd, SHUT_RDWR); }
void shutdown_write(int fd) { ::shutdown(fd, SHUT_WR); }

}  // namespace ringboot::io
