// The web page's login sessions: POST /ui/login trades a read or admin
// token for a session id in an HttpOnly cookie, and the session grants the
// READ role only (a write with only a cookie is refused: no CSRF). Pure:
// the caller passes `now` and the random bytes of each new id; the lock
// (sessions are process-wide: a browser's connections land on any worker)
// is the caller's (src/app).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringboot::api {

inline constexpr std::string_view kSessionCookie = "ringboot_session";
inline constexpr std::size_t kSessionIdBytes = 32;  // 64 hex digits in the cookie
using SessionRandom = std::array<std::uint8_t, kSessionIdBytes>;

class SessionTable {
 public:
  // At most `sessions_max` (>= 1) sessions; each lives `lifetime_seconds`.
  SessionTable(std::size_t sessions_max, std::int64_t lifetime_seconds);
  // A new session with the id of `random`, as hex; the oldest is evicted
  // when the table is full (expired ones go first).
  std::string create(const SessionRandom& random, std::int64_t now_unix);
  // The session `id` is live at `now_unix`. Every session's id is compared
  // in full, whatever the first difference.
  bool valid(std::string_view id, std::int64_t now_unix) const;
  // Ends the session `id`; false when there was none.
  bool end(std::string_view id);
  // New bounds (SIGHUP): sessions past the new maximum are evicted, oldest first.
  void configure(std::size_t sessions_max, std::int64_t lifetime_seconds);
  std::size_t size() const { return sessions_.size(); }
  std::int64_t lifetime_seconds() const { return lifetime_seconds_; }

 private:
  struct Session {
    std::string id;
    std::int64_t created_unix = 0;
  };
  void drop_expired(std::int64_t now_unix);
  void evict_oldest();

  std::size_t sessions_max_;
  std::int64_t lifetime_seconds_;
  std::vector<Session> sessions_;  // oldest first
};

// The session the API reaches (SharedSessions in src/app: the table under a
// lock, ids from the kernel's random source; a SessionTable in the tests).
class Sessions {
 public:
  virtual ~Sessions() = default;
  // A new session's id; nullopt when no random bytes could be had.
  virtual std::optional<std::string> create(std::int64_t now_unix) = 0;
  virtual bool valid(std::string_view id, std::int64_t now_unix) const = 0;
  virtual void end(std::string_view id) = 0;
  virtual std::int64_t lifetime_seconds() const = 0;
};

// The value of cookie `name` in a Cookie header ("a=1; ringboot_session=ab"), or nullopt.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

}  // namespace ringboot::api
