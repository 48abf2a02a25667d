#include "fleet/feed.h"

#include <algorithm>

namespace ringboot::fleet {

ChangeFeed::ChangeFeed(std::size_t capacity, std::uint64_t base)
    : capacity_(std::max<std::size_t>(1, capacity)), base_(base), last_(base) {}

std::uint64_t ChangeFeed::push(const Mac& mac) {
  if (entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back(FeedEntry{++last_, mac});
  return last_;
}

bool ChangeFeed::holds(std::uint64_t after) const {
  if (after > last_ || after < base_) return false;
  // The oldest held is last_ - size + 1: `after` may be one before it.
  return last_ - after <= entries_.size();
}

void ChangeFeed::since(std::uint64_t after, std::vector<FeedEntry>& out) const {
  if (after >= last_) return;
  const std::uint64_t wanted = std::min<std::uint64_t>(last_ - after, entries_.size());
  for (auto it = entries_.end() - static_cast<std::ptrdiff_t>(wanted); it != entries_.end(); ++it) out.push_back(*it);
}

}  // namespace ringboot::fleet
