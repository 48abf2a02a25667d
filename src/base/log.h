// Structured logging: one line per event, `ts level event key=value ...`,
// written with a single write(2) so lines from threads never interleave.
//
// Every string value goes through the escaping below, here and nowhere else:
// a TFTP filename, an HTTP path or a DHCP hostname holding a newline or a
// quote can neither start a line of its own nor close a quote of ours.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/time.h"

namespace ringboot {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);
void set_log_level(LogLevel level);
LogLevel log_level();
void log_line(LogLevel level, std::string_view event, std::string_view fields);

// A string value as it is logged, logfmt style: `\` and `"` get a backslash,
// \n \r \t are spelt so, every other control byte and every byte past ASCII
// is \xNN. Format strings quote values that may hold spaces (`file="{}"`).
struct LogEscaped {
  std::string_view text;
};
void append_escaped(std::string& out, std::string_view text);

template <typename T>
auto log_value(const T& value) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return LogEscaped{std::string_view(value)};
  } else {
    return value;
  }
}

template <typename... Values>
std::string log_vformat(fmt::string_view fields, const Values&... values) {
  return fmt::vformat(fields, fmt::make_format_args(values...));
}

// The fields of a line, every string argument escaped. The format string is
// checked at compile time against the arguments as given.
template <typename... Args>
std::string log_fields(fmt::format_string<Args...> fields, Args&&... args) {
  return log_vformat(fields, log_value(args)...);
}

template <typename... Args>
void log(LogLevel level, std::string_view event, fmt::format_string<Args...> fields, Args&&... args) {
  if (level < log_level()) return;
  log_line(level, event, log_fields(fields, std::forward<Args>(args)...));
}

// Keeps a flood of one kind of event from flooding the log: at most one line
// a second at the wanted level, the rest at debug and counted.
class LogThrottle {
 public:
  LogLevel level(Instant now, LogLevel wanted) {
    if (now - last_ < seconds(1)) {
      ++suppressed_;
      return LogLevel::debug;
    }
    last_ = now;
    if (suppressed_ > 0) {
      log(wanted, "log.suppressed", "count={} reason=\"similar lines in the last second\"", suppressed_);
      suppressed_ = 0;
    }
    return wanted;
  }

 private:
  Instant last_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace ringboot

template <>
struct fmt::formatter<ringboot::LogEscaped> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const ringboot::LogEscaped& value, Context& ctx) const {
    std::string out;
    ringboot::append_escaped(out, value.text);
    return fmt::formatter<std::string_view>::format(out, ctx);
  }
};
