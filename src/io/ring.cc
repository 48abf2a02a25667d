#include "io/ring.h"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace ringboot::io {
namespace {

std::string read_sysctl(const char* path) {
  std::ifstream in(path);
  std::string value;
  if (!(in >> value)) return "";
  return value;
}

std::string explain_setup_error(int err) {
  std::string why = std::string("io_uring_setup failed: ") + std::strerror(err) + ". ";
  const std::string disabled = read_sysctl("/proc/sys/kernel/io_uring_disabled");
  switch (err) {
    case ENOSYS:
      return why +
             "This kernel was built without io_uring (CONFIG_IO_URING=n) or is older than Linux 5.1; "
             "ringboot needs Linux 6.0 or newer.";
    case EPERM:
    case EACCES:
      if (!disabled.empty() && disabled != "0")
        return why + "io_uring is disabled by sysctl kernel.io_uring_disabled=" + disabled +
               " (set it to 0, or 1 and add ringboot's user to kernel.io_uring_group).";
      return why +
             "A seccomp profile or security module (container runtime, systemd SystemCallFilter=) "
             "blocks io_uring_setup; allow io_uring_setup, io_uring_enter and io_uring_register.";
    case ENOMEM:
      return why + "Not enough locked memory for the ring (raise `ulimit -l` / LimitMEMLOCK=).";
    case EINVAL:
      return why + "The kernel rejected the ring parameters; ringboot needs Linux 6.0 or newer.";
    default:
      return why;
  }
}

timespec to_timespec(Duration d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

}  // namespace

std::unique_ptr<Ring> Ring::create(unsigned entries, IoCounters& counters, std::string* error) {
  std::unique_ptr<Ring> ring(new Ring(counters));
  io_uring_params params{};
  // A large CQ: many multishot receives can complete between two reaps.
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  params.cq_entries = entries * 4;
  int rc = io_uring_queue_init_params(entries, &ring->ring_, &params);
  if (rc == -EINVAL) {  // older kernels lack the task-run flags
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = entries * 4;
    rc = io_uring_queue_init_params(entries, &ring->ring_, &params);
  }
  if (rc < 0) {
    *error = explain_setup_error(-rc);
    return nullptr;
  }
  const unsigned needed = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;
  if ((params.features & needed) != needed) {
    io_uring_queue_exit(&ring->ring_);
    *error =
        "io_uring is too old: ringboot needs IORING_FEAT_NODROP and IORING_FEAT_EXT_ARG (Linux 5.11+), "
        "multishot recvmsg and provided-buffer rings (Linux 6.0+).";
    return nullptr;
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&ring->ring_);
  const bool ok =
      probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_RECVMSG) &&
      io_uring_opcode_supported(probe, IORING_OP_SENDMSG) && io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
      io_uring_opcode_supported(probe, IORING_OP_SPLICE) && io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  if (probe != nullptr) io_uring_free_probe(probe);
  if (!ok) {
    io_uring_queue_exit(&ring->ring_);
    *error =
        "io_uring lacks operations ringboot needs (recvmsg, sendmsg, accept, splice, cancel); "
        "a seccomp or io_uring restriction may filter them. ringboot needs Linux 6.0 or newer.";
    return nullptr;
  }
  return ring;
}

Ring::~Ring() { io_uring_queue_exit(&ring_); }

io_uring_sqe* Ring::sqe(Tag tag) {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    counters_->sq_full.inc();
    const int submitted = io_uring_submit(&ring_);
    if (submitted > 0) counters_->submissions.inc(static_cast<std::uint64_t>(submitted));
    pending_ = 0;
    s = io_uring_get_sqe(&ring_);
  }
  // The SQ was just flushed, so it has room; anything else is a bug of ours.
  RINGBOOT_ASSERT(s != nullptr);
  io_uring_sqe_set_data64(s, tag.pack());
  ++pending_;
  return s;
}

void Ring::submit_and_wait(Instant deadline, Instant now) {
  io_uring_cqe* cqe = nullptr;
  int submitted = 0;
  if (deadline == kNever) {
    submitted = io_uring_submit_and_wait(&ring_, 1);
  } else {
    const Duration wait = deadline > now ? deadline - now : Duration::zero();
    __kernel_timespec ts{};
    const timespec t = to_timespec(wait);
    ts.tv_sec = t.tv_sec;
    ts.tv_nsec = t.tv_nsec;
    submitted = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    // With EXT_ARG the return is 0/-ETIME rather than a count: count what was queued.
    if (submitted >= 0 || submitted == -ETIME) submitted = static_cast<int>(pending_);
  }
  if (submitted > 0) counters_->submissions.inc(static_cast<std::uint64_t>(submitted));
  pending_ = 0;
}

void Ring::flush() {
  if (pending_ == 0) return;
  const int submitted = io_uring_submit(&ring_);
  if (submitted > 0) counters_->submissions.inc(static_cast<std::uint64_t>(submitted));
  pending_ = 0;
}

std::size_t Ring::reap(std::span<Completion> out) {
  io_uring_cqe* cqe = nullptr;
  unsigned head = 0;
  std::size_t n = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    if (n == out.size()) break;
    out[n++] = Completion{Tag::unpack(cqe->user_data), cqe->res, cqe->flags};
  }
  io_uring_cq_advance(&ring_, static_cast<unsigned>(n));
  counters_->completions.inc(n);
  return n;
}

std::unique_ptr<BufferRing> BufferRing::create(Ring& ring, std::uint16_t group, unsigned count, unsigned size,
                                               std::string* error) {
  // The kernel indexes the ring with a mask (count - 1) and buffer ids are 16 bits.
  RINGBOOT_ASSERT(std::has_single_bit(count) && count <= 32768);
  std::unique_ptr<BufferRing> b(new BufferRing());
  b->ring_ = &ring;
  b->group_ = group;
  b->count_ = count;
  b->size_ = size;
  b->br_bytes_ = sizeof(io_uring_buf) * count;
  void* mem = mmap(nullptr, b->br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    *error = std::string("buffer ring mmap: ") + std::strerror(errno);
    return nullptr;
  }
  b->br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(b->br_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(b->br_);
  reg.ring_entries = count;
  reg.bgid = group;
  const int rc = io_uring_register_buf_ring(ring.raw(), &reg, 0);
  if (rc < 0) {
    munmap(mem, b->br_bytes_);
    b->br_ = nullptr;
    *error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc) +
             " (provided-buffer rings need Linux 5.19 or newer)";
    return nullptr;
  }
  b->storage_.reset(new std::uint8_t[std::size_t{count} * size]);
  const int mask = io_uring_buf_ring_mask(count);
  for (unsigned i = 0; i < count; ++i)
    io_uring_buf_ring_add(b->br_, b->buffer(static_cast<std::uint16_t>(i)), size, static_cast<std::uint16_t>(i), mask,
                          static_cast<int>(i));
  io_uring_buf_ring_advance(b->br_, static_cast<int>(count));
  return b;
}

BufferRing::~BufferRing() {
  if (br_ == nullptr) return;
  io_uring_unregister_buf_ring(ring_->raw(), group_);
  munmap(br_, br_bytes_);
}

void BufferRing::recycle(std::uint16_t id) {
  io_uring_buf_ring_add(br_, buffer(id), size_, id, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
}

const MetricTable<IoCounters>& metric_table() {
  using C = IoCounters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter("ringboot_io_submissions_total", "io_uring submissions.", &C::submissions)
          .counter("ringboot_io_completions_total", "io_uring completions reaped.", &C::completions)
          .counter("ringboot_io_sq_full_total", "Times the submission queue was full and flushed early.", &C::sq_full)
          .counter("ringboot_io_buffer_exhausted_total",
                   "Receives that found the provided-buffer ring empty (-ENOBUFS).", &C::buffers_exhausted)
          .counter("ringboot_io_multishot_rearms_total", "Multishot operations re-armed after the kernel ended them.",
                   &C::rearms);
  return table;
}

void cancel(Ring& ring, Tag target) {
  io_uring_sqe* sqe = ring.sqe(Tag{});
  io_uring_prep_cancel64(sqe, target.pack(), 0);
}

void cancel_fd(Ring& ring, int fd) {
  io_uring_sqe* sqe = ring.sqe(Tag{});
  io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace ringboot::io
