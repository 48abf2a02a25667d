// Structured logging: one line per event, `ts level event key=value ...`,
// written with a single write(2) so lines from threads never interleave.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string_view>

#include "base/time.h"

namespace ringboot {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

std::optional<LogLevel> parse_log_level(std::string_view text);
void set_log_level(LogLevel level);
LogLevel log_level();
void log_line(LogLevel level, std::string_view event, std::string_view fields);

template <typename... Args>
void log(LogLevel level, std::string_view event, fmt::format_string<Args...> fields, Args&&... args) {
  if (level < log_level()) return;
  log_line(level, event, fmt::format(fields, std::forward<Args>(args)...));
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
      log_line(wanted, "log.suppressed", fmt::format("count={} reason=\"similar lines in the last second\"", suppressed_));
      suppressed_ = 0;
    }
    return wanted;
  }

 private:
  Instant last_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace ringboot
