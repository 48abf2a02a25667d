#include "base/log.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

namespace ringboot {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};
static_assert(std::size(kNames) == static_cast<std::size_t>(LogLevel::error) + 1, "a name for each LogLevel");
}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (text == kNames[i]) return static_cast<LogLevel>(i);
  return std::nullopt;
}
std::string_view to_string(LogLevel level) { return kNames[static_cast<int>(level)]; }
void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

void append_escaped(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size());
  const auto plain = [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x7f && c != '\\' && c != '"';
  };
  std::size_t i = 0;
  while (i < text.size()) {
    // A run of bytes that need no escape goes in at once (most text is one run).
    std::size_t run = i;
    while (run < text.size() && plain(text[run])) ++run;
    out.append(text.data() + i, run - i);
    if (run == text.size()) break;
    const char c = text[run];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(c));
    }
    i = run + 1;
  }
}

void log_line(LogLevel level, std::string_view event, std::string_view fields) {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  fmt::memory_buffer buf;
  fmt::format_to(std::back_inserter(buf), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}{}{}\n", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis, kNames[static_cast<int>(level)],
                 event, fields.empty() ? "" : " ", fields);
  // One write per line: lines from several threads never interleave.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, buf.data(), buf.size());
}

}  // namespace ringboot
