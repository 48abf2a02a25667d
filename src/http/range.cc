#include "http/range.h"

#include <cctype>
#include <limits>
#include <optional>

namespace ringboot::http {
namespace {

constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();

// Digits only; saturates instead of wrapping, so "99999999999999999999-" is
// simply beyond the end.
std::optional<std::uint64_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (kSaturated - d) / 10 ? kSaturated : v * 10 + d;
  }
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool unit_is_bytes(std::string_view unit) {
  constexpr std::string_view kBytes = "bytes";
  if (unit.size() != kBytes.size()) return false;
  for (std::size_t i = 0; i < unit.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(unit[i])) != kBytes[i]) return false;
  }
  return true;
}

}  // namespace

ByteRange parse_range(std::string_view header, std::uint64_t size) {
  constexpr ByteRange kFull{};
  constexpr ByteRange kUnsatisfiable{ByteRange::Kind::unsatisfiable, 0, 0};
  const std::size_t eq = header.find('=');
  if (eq == std::string_view::npos || !unit_is_bytes(trim(header.substr(0, eq)))) return kFull;
  const std::string_view spec = trim(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return kFull;  // several ranges: 200 in full
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return kFull;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);

  if (first_text.empty()) {  // suffix "-n": the last n bytes
    const std::optional<std::uint64_t> n = parse_number(last_text);
    if (!n) return kFull;
    if (*n == 0 || size == 0) return kUnsatisfiable;
    const std::uint64_t length = *n < size ? *n : size;
    return {ByteRange::Kind::partial, size - length, length};
  }
  const std::optional<std::uint64_t> first = parse_number(first_text);
  if (!first) return kFull;
  std::uint64_t last = kSaturated;
  if (!last_text.empty()) {
    const std::optional<std::uint64_t> parsed = parse_number(last_text);
    if (!parsed || *parsed < *first) return kFull;  // invalid range-spec: ignored
    last = *parsed;
  }
  if (*first >= size) return kUnsatisfiable;
  if (last >= size) last = size - 1;
  return {ByteRange::Kind::partial, *first, last - *first + 1};
}

}  // namespace ringboot::http
