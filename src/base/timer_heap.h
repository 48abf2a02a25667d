// Deadlines for a fixed set of ids (session slots) in one indexed min-heap:
// thousands of session timers, one ring wait. Capacity is fixed at start-up;
// set/cancel are O(log n) and allocate nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "base/assert.h"
#include "base/time.h"

namespace ringboot {

class TimerHeap {
 public:
  explicit TimerHeap(std::uint32_t capacity) : position_(capacity, kAbsent) {
    RINGBOOT_ASSERT(capacity < kAbsent);  // kAbsent must never be a position
    heap_.reserve(capacity);
  }

  // Sets (or moves) the deadline of `id`; kNever cancels it.
  void set(std::uint32_t id, Instant deadline) {
    if (deadline == kNever) return cancel(id);
    RINGBOOT_ASSERT(id < position_.size());
    std::uint32_t pos = position_[id];
    if (pos == kAbsent) {
      // Ids are unique, so a new one always has room: the heap never reallocates.
      RINGBOOT_ASSERT(heap_.size() < position_.size());
      pos = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(Entry{deadline, id});
      position_[id] = pos;
      up(pos);
      return;
    }
    const Instant old = heap_[pos].deadline;
    heap_[pos].deadline = deadline;
    if (deadline < old)
      up(pos);
    else
      down(pos);
  }
  void cancel(std::uint32_t id) {
    RINGBOOT_ASSERT(id < position_.size());
    const std::uint32_t pos = position_[id];
    if (pos == kAbsent) return;
    RINGBOOT_ASSERT(pos < heap_.size() && heap_[pos].id == id);
    const std::uint32_t last = static_cast<std::uint32_t>(heap_.size() - 1);
    position_[id] = kAbsent;
    if (pos != last) {
      heap_[pos] = heap_[last];
      position_[heap_[pos].id] = pos;
      heap_.pop_back();
      up(pos);
      down(pos);
    } else {
      heap_.pop_back();
    }
  }
  Instant next() const { return heap_.empty() ? kNever : heap_[0].deadline; }
  // The id whose deadline is earliest and not after `now`, removed; or -1.
  std::int64_t pop_expired(Instant now) {
    if (heap_.empty() || heap_[0].deadline > now) return -1;
    const std::uint32_t id = heap_[0].id;
    cancel(id);
    return id;
  }
  std::size_t size() const { return heap_.size(); }

 private:
  static constexpr std::uint32_t kAbsent = 0xffffffff;
  struct Entry {
    Instant deadline;
    std::uint32_t id;
  };
  void swap_at(std::uint32_t a, std::uint32_t b) {
    std::swap(heap_[a], heap_[b]);
    position_[heap_[a].id] = a;
    position_[heap_[b].id] = b;
  }
  void up(std::uint32_t pos) {
    while (pos > 0) {
      const std::uint32_t parent = (pos - 1) / 2;
      if (!(heap_[pos].deadline < heap_[parent].deadline)) break;
      swap_at(pos, parent);
      pos = parent;
    }
  }
  void down(std::uint32_t pos) {
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
      std::uint32_t smallest = pos;
      const std::uint32_t l = 2 * pos + 1, r = 2 * pos + 2;
      if (l < n && heap_[l].deadline < heap_[smallest].deadline) smallest = l;
      if (r < n && heap_[r].deadline < heap_[smallest].deadline) smallest = r;
      if (smallest == pos) break;
      swap_at(pos, smallest);
      pos = smallest;
    }
  }
  std::vector<Entry> heap_;
  std::vector<std::uint32_t> position_;
};

}  // namespace ringboot
