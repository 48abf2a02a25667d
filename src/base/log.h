// Structured logging: one line per event, `ts level event key=value ...`,
// written with a single write(2) so lines from threads never interleave.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string_view>

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

}  // namespace ringboot
