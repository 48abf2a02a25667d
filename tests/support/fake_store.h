// A machine store in memory for the tests of what writes to it (the
// StoreWriter, SharedFleet::change, the API): it applies batches to a map,
// can fail the next N writes or all of them, and can hold a write until the
// test lets it go. Thread-safe: the writer thread writes, the test reads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/machine_store.h"

namespace ringboot::testing {

class FakeStore final : public store::MachineStore {
 public:
  store::Loaded load() override {
    std::lock_guard lock(mutex_);
    store::Loaded out;
    for (const auto& [key, m] : disk_) out.machines.push_back(m);
    return out;
  }
  store::WriteResult write(const fleet::Changes& changes) override {
    std::unique_lock lock(mutex_);
    ++attempts_;
    released_.wait(lock, [&] { return !held_; });
    if (fail_next_ > 0 || fail_all_) {
      if (fail_next_ > 0) --fail_next_;
      return {"the fake store failed on purpose"};
    }
    for (const Mac& mac : changes.forgotten) disk_.erase(mac.key());
    for (const fleet::Machine& m : changes.machines) disk_[m.mac.key()] = m;
    batches_.push_back(changes.machines.size() + changes.forgotten.size());
    written_.notify_all();
    return {};
  }
  std::string describe() const override { return "fake"; }

  void fail_next(int n) {
    std::lock_guard lock(mutex_);
    fail_next_ = n;
  }
  void fail_all(bool on) {
    std::lock_guard lock(mutex_);
    fail_all_ = on;
  }
  // Writes wait until release().
  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    released_.notify_all();
  }
  std::map<std::uint64_t, fleet::Machine> disk() const {
    std::lock_guard lock(mutex_);
    return disk_;
  }
  static const fleet::Machine* find(const std::map<std::uint64_t, fleet::Machine>& disk, const Mac& mac) {
    const auto it = disk.find(mac.key());
    return it == disk.end() ? nullptr : &it->second;
  }
  int attempts() const {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  // The size (machines + forgotten) of each committed batch.
  std::vector<std::size_t> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  // Waits (at most `bound`) until `done(disk)` holds after a commit.
  template <typename Pred, typename Rep, typename Period>
  bool wait_for(Pred done, std::chrono::duration<Rep, Period> bound) {
    std::unique_lock lock(mutex_);
    return written_.wait_for(lock, bound, [&] { return done(disk_); });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::condition_variable written_;
  std::map<std::uint64_t, fleet::Machine> disk_;
  std::vector<std::size_t> batches_;
  int fail_next_ = 0;
  bool fail_all_ = false;
  bool held_ = false;
  int attempts_ = 0;
};

}  // namespace ringboot::testing
