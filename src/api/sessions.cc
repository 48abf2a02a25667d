#include "api/sessions.h"

#include <algorithm>

#include "api/tokens.h"

namespace ringboot::api {

SessionTable::SessionTable(std::size_t sessions_max, std::int64_t lifetime_seconds)
    : sessions_max_(std::max<std::size_t>(1, sessions_max)), lifetime_seconds_(lifetime_seconds) {}

std::string SessionTable::create(const SessionRandom& random, std::int64_t now_unix) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string id(2 * random.size(), '0');
  for (std::size_t i = 0; i < random.size(); ++i) {
    id[2 * i] = kDigits[random[i] >> 4];
    id[2 * i + 1] = kDigits[random[i] & 0xf];
  }
  drop_expired(now_unix);
  while (sessions_.size() >= sessions_max_) evict_oldest();
  sessions_.push_back(Session{id, now_unix});
  return id;
}

bool SessionTable::valid(std::string_view id, std::int64_t now_unix) const {
  bool found = false;
  for (const Session& s : sessions_) {
    const bool same = constant_time_equal(s.id, id);
    found = found || (same && now_unix - s.created_unix < lifetime_seconds_ && now_unix >= s.created_unix);
  }
  return found;
}

bool SessionTable::end(std::string_view id) {
  const auto it =
      std::find_if(sessions_.begin(), sessions_.end(), [&](const Session& s) { return constant_time_equal(s.id, id); });
  if (it == sessions_.end()) return false;
  sessions_.erase(it);
  return true;
}

void SessionTable::configure(std::size_t sessions_max, std::int64_t lifetime_seconds) {
  sessions_max_ = std::max<std::size_t>(1, sessions_max);
  lifetime_seconds_ = lifetime_seconds;
  while (sessions_.size() > sessions_max_) evict_oldest();
}

void SessionTable::drop_expired(std::int64_t now_unix) {
  std::erase_if(sessions_, [&](const Session& s) { return now_unix - s.created_unix >= lifetime_seconds_; });
}

void SessionTable::evict_oldest() { sessions_.erase(sessions_.begin()); }

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

}  // namespace ringboot::api
