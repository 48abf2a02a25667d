// TCP on the ring: listening sockets, multishot accept and receive, sends,
// and file -> pipe -> socket splices so a body never passes through user space.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "io/ring.h"

namespace ringboot::io {

// Returns the listening fd, or -1 with *error set. An IPv6 address gets an
// IPv6 socket (IPV6_V6ONLY).
int tcp_listen(Endpoint bind, int backlog, bool reuse_port, std::string* error);
// Multishot accept: each completion's res is a new non-blocking socket.
void tcp_accept(Ring& ring, int listen_fd, Tag tag);
// Per-connection socket options (TCP_NODELAY: a body's last segment must not wait for an ACK).
void tcp_configure(int fd);
// Bounds the kernel's send buffer of `fd` (SO_SNDBUF: no autotuning past
// it), so what a slow reader can pin in the kernel is bounded too.
void tcp_send_buffer(int fd, std::uint32_t bytes);
// The connected peer's address, either family (0.0.0.0:0 when unknown).
Endpoint peer_endpoint(int fd);
// Multishot receive into `buffers`.
void tcp_receive(Ring& ring, BufferRing& buffers, int fd, Tag tag);
// Sends `length` bytes; more: MSG_MORE (a body follows at once).
void tcp_send(Ring& ring, int fd, const void* data, std::size_t length, bool more, Tag tag);

// A head and a body from a mapped file in one send; lives in the caller's
// connection slot until its completion.
struct GatherSend {
  msghdr msg{};
  iovec iov[2]{};
};
void tcp_send_gather(Ring& ring, int fd, GatherSend& g, Bytes head, Bytes body, Tag tag);

// splice(2) on the ring. offset -1: a pipe end. nonblock: SPLICE_F_NONBLOCK
// (the socket side returns -EAGAIN instead of holding a kernel worker).
void splice(Ring& ring, int fd_in, std::int64_t offset_in, int fd_out, std::uint32_t length, bool nonblock, Tag tag);
// One-shot wait until `fd` is writable.
void poll_writable(Ring& ring, int fd, Tag tag);

// A pipe for splicing, sized to `bytes` where the kernel allows; false on error.
bool pipe_open(int fds[2], std::uint32_t bytes, std::uint32_t* actual_bytes);
// Best-effort immediate answer and close, for connections over the bound.
void reject_connection(int fd, Bytes response);
void shutdown_fd(int fd);
// Sends our FIN after what is queued; the receive side stays open.
void shutdown_write(int fd);

}  // namespace ringboot::io
