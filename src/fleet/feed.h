// The engine's change feed: a bounded ring of (sequence, MAC), one entry
// per change of a machine (a decision, a stage change, an API change, a
// callback), for the API's live stream. Subscribers keep the sequence they
// have seen and take what came after it; the views are rendered from the
// inventory then, so an entry carries only which machine changed.
//
// Sequences count up from the base given at construction (the app passes
// its start time in ms times 1000, so an id from an earlier run of the
// process is never mistaken for one of this run's). Pure: no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "base/mac.h"

namespace ringboot::fleet {

struct FeedEntry {
  std::uint64_t sequence = 0;
  Mac mac;
};

class ChangeFeed {
 public:
  // `capacity` >= 1 entries are kept; the oldest is dropped past it.
  // `base`: the sequence before the first change (last() until then).
  explicit ChangeFeed(std::size_t capacity = 4096, std::uint64_t base = 0);
  // A change of `mac`; returns its sequence.
  std::uint64_t push(const Mac& mac);
  // The sequence of the newest change (base when none).
  std::uint64_t last() const { return last_; }
  // True when every change after `after` is still held (or there is none),
  // so a subscriber at `after` can resume; false when some were dropped or
  // `after` is not of this feed (ahead of last(), or before its base).
  bool holds(std::uint64_t after) const;
  // The entries after `after`, oldest first, appended to `out`. Only
  // meaningful when holds(after).
  void since(std::uint64_t after, std::vector<FeedEntry>& out) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::uint64_t base_;
  std::uint64_t last_;
  std::deque<FeedEntry> entries_;  // sequences last_-size()+1 .. last_, consecutive
};

}  // namespace ringboot::fleet
