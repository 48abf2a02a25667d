// TCP on the ring: listening sockets, multishot accept and receive, sends,
// and sendfile from the loop so a body never passes through user space.
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

// sendfile(2) from the loop, not the ring: the socket is non-blocking, so
// it moves what fits into the socket's buffer, the page cache's pages by
// reference (no copy), and returns that many bytes, or -EAGAIN when the
// client's window is full (then poll_writable), or -errno; 0: the file
// ended before `offset` + `length`. A file page not yet in the page cache is
// read in the call: the loop waits for the disk once, for what then serves
// every machine. (A splice on the ring would run on an io-wq kernel thread
// for each chunk, twice through a pipe: a task switch per chunk.)
std::int64_t send_file(int socket_fd, int file_fd, std::uint64_t offset, std::size_t length);
// One-shot wait until `fd` is writable.
void poll_writable(Ring& ring, int fd, Tag tag);

// Best-effort immediate answer and close, for connections over the bound.
void reject_connection(int fd, Bytes response);
void shutdown_fd(int fd);
// Sends our FIN after what is queued; the receive side stays open.
void shutdown_write(int fd);

}  // namespace ringboot::io
