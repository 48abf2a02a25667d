// One io_uring per worker thread. Completions are reaped into a fixed array
// first and run afterwards, never from inside submit: no recursion, bounded
// stack. Every operation carries a packed Tag {kind, index, generation} so a
// completion for a recycled slot is recognised and dropped.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/assert.h"
#include "base/metrics.h"
#include "base/time.h"

namespace ringboot::io {

struct Tag {
  static constexpr std::uint32_t kIndexMax = 0xffffff;  // the index has 24 bits
  std::uint8_t kind = 0;                                // which owner handles it; 0 = ignore
  std::uint32_t index = 0;                              // slot within the owner (<= kIndexMax)
  std::uint32_t generation = 0;

  std::uint64_t pack() const {
    // A wider index would be cut and its completion delivered to another slot.
    RINGBOOT_ASSERT(index <= kIndexMax);
    return (std::uint64_t{kind} << 56) | (std::uint64_t{index} << 32) | generation;
  }
  static Tag unpack(std::uint64_t v) {
    return Tag{static_cast<std::uint8_t>(v >> 56), static_cast<std::uint32_t>((v >> 32) & kIndexMax),
               static_cast<std::uint32_t>(v)};
  }
};

struct Completion {
  Tag tag;
  std::int32_t res = 0;
  std::uint32_t flags = 0;
  bool more() const { return (flags & IORING_CQE_F_MORE) != 0; }
  bool has_buffer() const { return (flags & IORING_CQE_F_BUFFER) != 0; }
  std::uint16_t buffer_id() const { return static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT); }
};

struct IoCounters {
  Counter submissions;
  Counter completions;
  Counter sq_full;            // SQ was full: flushed early and went on
  Counter buffers_exhausted;  // -ENOBUFS on a provided-buffer ring
  Counter rearms;             // multishot operations re-armed after F_MORE cleared
};

// The ringboot_io_* families: every field above, exported once.
const MetricTable<IoCounters>& metric_table();

class Ring {
 public:
  // Returns nullptr and sets *error to a sentence saying why io_uring is
  // unavailable (kernel too old, disabled by sysctl, blocked by seccomp...).
  static std::unique_ptr<Ring> create(unsigned entries, IoCounters& counters, std::string* error);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Never null: a full SQ is flushed to the kernel first.
  io_uring_sqe* sqe(Tag tag);
  // Submits and waits for at least one completion or until `deadline`.
  void submit_and_wait(Instant deadline, Instant now);
  // Hands queued operations to the kernel now, e.g. before closing a
  // descriptor a queued send still names.
  void flush();
  // Moves ready completions into `out`; returns how many.
  std::size_t reap(std::span<Completion> out);

  io_uring* raw() { return &ring_; }
  IoCounters& counters() { return *counters_; }

 private:
  explicit Ring(IoCounters& counters) : counters_(&counters) {}
  io_uring ring_{};
  IoCounters* counters_;
  unsigned pending_ = 0;
};

// A provided-buffer ring: the kernel picks a buffer per received datagram.
class BufferRing {
 public:
  static std::unique_ptr<BufferRing> create(Ring& ring, std::uint16_t group, unsigned count, unsigned size,
                                            std::string* error);
  ~BufferRing();
  std::uint8_t* buffer(std::uint16_t id) {
    RINGBOOT_ASSERT(id < count_);
    return storage_.get() + std::size_t{id} * size_;
  }
  unsigned size() const { return size_; }
  std::uint16_t group() const { return group_; }
  // Returns a buffer to the kernel once its contents are consumed.
  void recycle(std::uint16_t id);

 private:
  BufferRing() = default;
  Ring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  std::size_t br_bytes_ = 0;
  std::unique_ptr<std::uint8_t[]> storage_;
  unsigned count_ = 0;
  unsigned size_ = 0;
  std::uint16_t group_ = 0;
};

// Cancels the operation tagged `target` (its final completion still arrives).
void cancel(Ring& ring, Tag target);
// Cancels every operation on `fd`.
void cancel_fd(Ring& ring, int fd);
// close(2) of a descriptor the ring's operations used; -1 is ignored.
void close_fd(int fd);

}  // namespace ringboot::io
