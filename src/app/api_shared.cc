#include "app/api_shared.h"

#include "base/log.h"
#include "io/random.h"

namespace ringboot {

std::optional<std::string> SharedSessions::create(std::int64_t now_unix) {
  api::SessionRandom random{};
  if (!io::random_bytes(random)) {
    log(LogLevel::error, "api.random_error", "reason=\"getrandom failed: no session\"");
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  return table_.create(random, now_unix);
}

bool SharedSessions::valid(std::string_view id, std::int64_t now_unix) const {
  std::lock_guard lock(mutex_);
  return table_.valid(id, now_unix);
}

void SharedSessions::end(std::string_view id) {
  std::lock_guard lock(mutex_);
  table_.end(id);
}

std::int64_t SharedSessions::lifetime_seconds() const {
  std::lock_guard lock(mutex_);
  return table_.lifetime_seconds();
}

void SharedSessions::configure(std::size_t sessions_max, std::int64_t lifetime_seconds) {
  std::lock_guard lock(mutex_);
  table_.configure(sessions_max, lifetime_seconds);
}

bool ApiShared::subscribe(std::uint32_t max) {
  std::uint32_t n = subscribers_.load(std::memory_order_relaxed);
  do {
    if (n >= max) return false;
  } while (!subscribers_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

}  // namespace ringboot
