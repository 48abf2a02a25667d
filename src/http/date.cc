#include "http/date.h"

#include <array>

#include <fmt/format.h>

namespace ringboot::http {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"Thu", "Fri", "Sat", "Sun",
                                                       "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::int64_t kSecondsPerDay = 86400;

// Howard Hinnant's civil-date algorithms: exact for the proleptic Gregorian
// calendar, no tables, no time zone, no libc.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0); }

std::optional<unsigned> digits(std::string_view s) {
  unsigned v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

}  // namespace

std::string format_imf_fixdate(std::int64_t unix_seconds) {
  const std::int64_t days = floor_div(unix_seconds, kSecondsPerDay);
  const std::int64_t secs = unix_seconds - days * kSecondsPerDay;
  const Civil c = civil_from_days(days);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 7) % 7);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kWeekdays[weekday], c.day, kMonths[c.month - 1],
                     c.year, secs / 3600, secs / 60 % 60, secs % 60);
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  const std::int64_t days = floor_div(unix_seconds, kSecondsPerDay);
  const std::int64_t secs = unix_seconds - days * kSecondsPerDay;
  const Civil c = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, secs / 3600, secs / 60 % 60,
                     secs % 60);
}

std::optional<std::int64_t> parse_imf_fixdate(std::string_view t) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 bytes.
  if (t.size() != 29 || t.substr(3, 2) != ", " || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' || t[19] != ':' ||
      t[22] != ':' || t.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool weekday_ok = false;
  for (const std::string_view w : kWeekdays) weekday_ok = weekday_ok || t.substr(0, 3) == w;
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (t.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  const auto day = digits(t.substr(5, 2));
  const auto year = digits(t.substr(12, 4));
  const auto hour = digits(t.substr(17, 2));
  const auto minute = digits(t.substr(20, 2));
  const auto second = digits(t.substr(23, 2));
  if (!weekday_ok || month == 0 || !day || !year || !hour || !minute || !second) return std::nullopt;
  // 60 allows a leap second (RFC 9110 5.6.7); the weekday is not cross-checked.
  if (*day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const std::int64_t days = days_from_civil(*year, month, *day);
  if (civil_from_days(days).day != *day) return std::nullopt;  // "31 Feb"
  return days * kSecondsPerDay + std::int64_t{*hour} * 3600 + std::int64_t{*minute} * 60 + std::int64_t{*second};
}

}  // namespace ringboot::http
