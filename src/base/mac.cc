#include "base/mac.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace ringboot {

namespace {
// Two hex digits at `p`.
std::optional<std::uint8_t> hex_byte(const char* p) {
  unsigned v = 0;
  auto [next, ec] = std::from_chars(p, p + 2, v, 16);
  if (ec != std::errc{} || next != p + 2) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

std::optional<Mac> parse_separated(std::string_view text, char separator) {
  if (text.size() != 17) return std::nullopt;
  Mac mac;
  for (std::size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != separator) return std::nullopt;
    const auto b = hex_byte(text.data() + i * 3);
    if (!b) return std::nullopt;
    mac.bytes[i] = *b;
  }
  return mac;
}
}  // namespace

std::uint64_t Mac::key() const {
  std::uint64_t k = 0;
  for (auto b : bytes) k = (k << 8) | b;
  return k;
}

std::string Mac::to_string(std::string_view separator) const {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) out += fmt::format("{}{:02x}", i == 0 ? "" : separator, bytes[i]);
  return out;
}

std::optional<Mac> Mac::parse(std::string_view text) { return parse_separated(text, ':'); }

std::optional<Mac> Mac::parse_any(std::string_view text) {
  if (text.size() == 12) {
    Mac mac;
    for (std::size_t i = 0; i < 6; ++i) {
      const auto b = hex_byte(text.data() + i * 2);
      if (!b) return std::nullopt;
      mac.bytes[i] = *b;
    }
    return mac;
  }
  if (text.size() == 17 && text[2] == '-') return parse_separated(text, '-');
  return parse_separated(text, ':');
}

bool MacPattern::matches(const Mac& mac) const {
  return std::equal(bytes.begin(), bytes.begin() + length, mac.bytes.begin());
}

std::string MacPattern::to_string() const {
  std::string out;
  for (std::uint8_t i = 0; i < length; ++i) out += fmt::format("{}{:02x}", i == 0 ? "" : ":", bytes[i]);
  return out;
}

std::optional<MacPattern> MacPattern::parse(std::string_view text) {
  MacPattern m;
  const char separator = text.size() > 2 && text[2] == '-' ? '-' : ':';
  while (!text.empty()) {
    if (m.length == 6 || text.size() < 2) return std::nullopt;
    const auto b = hex_byte(text.data());
    if (!b) return std::nullopt;
    m.bytes[m.length++] = *b;
    text.remove_prefix(2);
    if (!text.empty()) {
      if (text[0] != separator || text.size() == 1) return std::nullopt;
      text.remove_prefix(1);
    }
  }
  if (m.length == 0) return std::nullopt;
  return m;
}

}  // namespace ringboot
