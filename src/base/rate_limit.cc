#include "base/rate_limit.h"

#include <algorithm>

namespace ringboot {

RateLimiter::RateLimiter(std::uint32_t per_second, std::uint32_t burst, std::size_t clients_max)
    : clients_max_(std::max<std::size_t>(1, clients_max)) {
  reconfigure(per_second, burst);
}

void RateLimiter::reconfigure(std::uint32_t per_second, std::uint32_t burst) {
  per_second_ = per_second;
  if (per_second_ == 0) {
    std::unordered_map<std::uint64_t, Instant>().swap(table_);
    return;
  }
  if (burst == 0) burst = per_second_;
  interval_ = std::chrono::duration_cast<Duration>(std::chrono::seconds(1)) / per_second_;
  if (interval_ <= Duration::zero()) interval_ = Duration(1);
  tolerance_ = interval_ * (std::max<std::uint32_t>(burst, 1) - 1);
  // Reserved once: the table never rehashes on the request path.
  if (table_.bucket_count() < clients_max_) table_.reserve(clients_max_);
  next_sweep_ = Instant{};
}

void RateLimiter::sweep(Instant now) {
  std::erase_if(table_, [now](const auto& entry) { return entry.second <= now; });
}

RateVerdict RateLimiter::check(std::uint64_t client, Instant now) {
  if (per_second_ == 0) return RateVerdict::allowed;
  auto it = table_.find(client);
  if (it == table_.end()) {
    if (table_.size() >= clients_max_) {
      if (now < next_sweep_) return RateVerdict::untracked;
      sweep(now);
      if (table_.size() >= clients_max_) {
        next_sweep_ = now + interval_;
        return RateVerdict::untracked;
      }
    }
    // A new client starts with a full bucket and takes one token.
    table_.emplace(client, now + interval_);
    return RateVerdict::allowed;
  }
  const Instant tat = std::max(it->second, now);
  if (tat - now > tolerance_) return RateVerdict::limited;
  it->second = tat + interval_;
  return RateVerdict::allowed;
}

}  // namespace ringboot
