#include "base/mac.h"

#include <algorithm>
#include <charconv>

namespace ringboot {

namespace {
// Two hex digits at `p`.
std::optional<std::uint8_t> hex_byte(const char* p) {
  unsigned v = 0;
  auto [next, ec] = std::from_chars(p, p + 2, v, 16);
  if (ec != std::errc{} || next != p + 2) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

// `count` bytes as lower-case hex pairs joined by `separator`: no format
// string per byte (a MAC is spelt on every DHCP log line and fleet render).
void append_hex_joined(std::string& out, const std::uint8_t* bytes, std::size_t count, std::string_view separator) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += separator;
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
}

std::string hex_joined(const std::uint8_t* bytes, std::size_t count, std::string_view separator) {
  std::string out;
  out.reserve(count * 2 + (count > 0 ? (count - 1) * separator.size() : 0));
  append_hex_joined(out, bytes, count, separator);
  return out;
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
  return hex_joined(bytes.data(), bytes.size(), separator);
}

void Mac::append_to(std::string& out, std::string_view separator) const {
  append_hex_joined(out, bytes.data(), bytes.size(), separator);
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

std::string MacPattern::to_string() const { return hex_joined(bytes.data(), length, ":"); }

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
