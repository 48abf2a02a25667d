// A hash map from 64-bit keys (a MAC's key, an IPv4 address) to small
// values, open addressing with linear probing in one array of slots: a
// lookup is one cache miss where std::unordered_map takes two or three
// (bucket, the node before, the node). Used on the DHCP hot path to find a
// machine among tens of thousands.
//
// Values stay where they are only until the next insert or erase: store
// pointers (or unique_ptr) when something else points at them. The load
// stays at or under one half; capacity grows by doubling. Key 0 is allowed
// (a slot's use is kept apart from its key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ringboot {

template <typename V>
class FlatMap64 {
 public:
  explicit FlatMap64(std::size_t expected = 0) { reserve(expected); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Room for `n` entries without growing.
  void reserve(std::size_t n) {
    std::size_t want = 16;
    while (want < n * 2) want *= 2;
    if (want > slots_.size()) rehash(want);
  }

  V* find(std::uint64_t key) {
    if (size_ == 0) return nullptr;
    for (std::size_t i = home(key);; i = next(i)) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  const V* find(std::uint64_t key) const { return const_cast<FlatMap64*>(this)->find(key); }

  // The value at `key`, inserted as V{} when absent.
  V& operator[](std::uint64_t key) {
    if (V* v = find(key)) return *v;
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    std::size_t i = home(key);
    while (slots_[i].used) i = next(i);
    slots_[i] = Slot{key, V{}, true};
    ++size_;
    return slots_[i].value;
  }

  bool erase(std::uint64_t key) {
    if (size_ == 0) return false;
    std::size_t i = home(key);
    while (true) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == key) break;
      i = next(i);
    }
    // Backward shift: move up each later entry of the run that may live at
    // the hole, so no tombstones are left and lookups stop at an empty slot.
    std::size_t hole = i;
    for (std::size_t j = next(hole); slots_[j].used; j = next(j)) {
      const std::size_t h = home(slots_[j].key);
      // j's entry may move to the hole when its home is not in (hole, j].
      const bool between = hole < j ? (h > hole && h <= j) : (h > hole || h <= j);
      if (between) continue;
      slots_[hole] = std::move(slots_[j]);
      hole = j;
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  template <typename F>
  void for_each(F f) {
    for (Slot& s : slots_)
      if (s.used) f(s.key, s.value);
  }
  template <typename F>
  void for_each(F f) const {
    for (const Slot& s : slots_)
      if (s.used) f(s.key, s.value);
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    V value{};
    bool used = false;
  };

  std::size_t home(std::uint64_t key) const {
    // Fibonacci hashing: a MAC's keys differ in their low bytes.
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_);
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(capacity);
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (Slot& s : old) {
      if (!s.used) continue;
      std::size_t i = home(s.key);
      while (slots_[i].used) i = next(i);
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  unsigned shift_ = 60;
};

}  // namespace ringboot
