// What the admin API's listeners share across workers (a connection lands
// on any worker): the page's login sessions, under a lock, and the count of
// event stream subscribers that [api] subscribers_max bounds.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/sessions.h"

namespace ringboot {

// api::SessionTable under a mutex; ids from getrandom(2).
class SharedSessions final : public api::Sessions {
 public:
  SharedSessions(std::size_t sessions_max, std::int64_t lifetime_seconds) : table_(sessions_max, lifetime_seconds) {}
  std::optional<std::string> create(std::int64_t now_unix) override;
  bool valid(std::string_view id, std::int64_t now_unix) const override;
  void end(std::string_view id) override;
  std::int64_t lifetime_seconds() const override;
  // SIGHUP: each worker passes the new bounds (the same ones: idempotent).
  void configure(std::size_t sessions_max, std::int64_t lifetime_seconds);

 private:
  mutable std::mutex mutex_;
  api::SessionTable table_;
};

class ApiShared {
 public:
  ApiShared(std::size_t sessions_max, std::int64_t session_lifetime_seconds)
      : sessions_(sessions_max, session_lifetime_seconds) {}
  SharedSessions& sessions() { return sessions_; }
  // One more subscriber, unless `max` are open already (false).
  bool subscribe(std::uint32_t max);
  void unsubscribe() { subscribers_.fetch_sub(1, std::memory_order_relaxed); }
  std::uint32_t subscribers() const { return subscribers_.load(std::memory_order_relaxed); }

 private:
  SharedSessions sessions_;
  std::atomic<std::uint32_t> subscribers_{0};
};

}  // namespace ringboot
