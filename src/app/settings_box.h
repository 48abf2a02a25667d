// The settings in force, replaced whole on SIGHUP. Workers hold a shared
// copy and pick up a new one between completions; what is in flight keeps
// the settings it started with.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "app/config.h"

namespace ringboot {

class SettingsBox {
 public:
  explicit SettingsBox(Settings settings) : current_(std::make_shared<const Settings>(std::move(settings))) {}
  std::shared_ptr<const Settings> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void publish(Settings settings) {
    auto next = std::make_shared<const Settings>(std::move(settings));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
  }
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Settings> current_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace ringboot
