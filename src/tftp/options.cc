#include "tftp/options.h"

#include <algorithm>
#include <charconv>

namespace ringboot::tftp {

std::string_view option_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::blksize: return "blksize";
    case OptionKind::windowsize: return "windowsize";
    case OptionKind::timeout: return "timeout";
    case OptionKind::tsize: return "tsize";
  }
  return "";
}

bool Negotiated::accepted(OptionKind kind) const {
  return std::find(oack_order.begin(), oack_order.begin() + oack_count, kind) != oack_order.begin() + oack_count;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

namespace {

std::optional<OptionKind> kind_of(std::string_view lowercase_name) {
  for (OptionKind k : {OptionKind::blksize, OptionKind::windowsize, OptionKind::timeout, OptionKind::tsize}) {
    if (lowercase_name == option_name(k)) return k;
  }
  return std::nullopt;  // unknown options are ignored (RFC 2347)
}

std::optional<std::uint64_t> in_range(std::string_view text, std::uint64_t lo, std::uint64_t hi) {
  auto v = parse_decimal(text);
  if (!v || *v < lo || *v > hi) return std::nullopt;
  return v;
}

// Applies one option; false when its value is invalid (then it is left out).
bool apply(OptionKind kind, std::string_view value, std::uint64_t file_size, const Limits& limits, Negotiated& n) {
  switch (kind) {
    case OptionKind::blksize: {
      auto v = in_range(value, kBlksizeMin, kBlksizeMax);
      if (!v) return false;
      const auto cap = std::max<std::uint16_t>(limits.blksize_max, kBlksizeMin);
      n.blksize = static_cast<std::uint16_t>(std::min<std::uint64_t>(*v, cap));
      return true;
    }
    case OptionKind::windowsize: {
      auto v = in_range(value, kWindowsizeMin, kWindowsizeMax);
      if (!v) return false;
      const auto cap = std::max<std::uint16_t>(limits.windowsize_max, kWindowsizeMin);
      n.windowsize = static_cast<std::uint16_t>(std::min<std::uint64_t>(*v, cap));
      return true;
    }
    case OptionKind::timeout: {
      // Echoed exactly or not at all: EDK2 rejects a different value.
      auto v = in_range(value, limits.timeout_min_s, limits.timeout_max_s);
      if (!v) return false;
      n.timeout_s = static_cast<std::uint8_t>(*v);
      return true;
    }
    case OptionKind::tsize:
      // On a read the client's value carries no information (usually 0);
      // any value is answered with the size.
      n.tsize = file_size;
      return true;
  }
  return false;
}

}  // namespace

Negotiated negotiate_read(std::span<const Option> requested, std::uint64_t file_size, const Limits& limits) {
  Negotiated n;
  for (const Option& o : requested) {
    auto kind = kind_of(o.name);
    // A repeated option: the first valid one wins, the OACK names it once.
    if (!kind || n.accepted(*kind)) continue;
    if (!apply(*kind, o.value, file_size, limits, n)) continue;
    n.oack_order[n.oack_count++] = *kind;
  }
  // A window burst larger than the client's socket buffer loses its tail and
  // costs a timeout per window (atftp at blksize 65464 windowsize 64 fell to
  // a crawl): answer a smaller windowsize so one window fits in window_bytes_max.
  if (limits.window_bytes_max != 0 && n.accepted(OptionKind::windowsize)) {
    const std::uint64_t fit = std::max<std::uint64_t>(1, limits.window_bytes_max / n.blksize);
    n.windowsize = static_cast<std::uint16_t>(std::min<std::uint64_t>(n.windowsize, fit));
  }
  return n;
}

Bytes build_oack(const Negotiated& n, MutableBytes out) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::oack));
  for (std::size_t i = 0; i < n.oack_count; ++i) {
    const OptionKind kind = n.oack_order[i];
    std::uint64_t value = 0;
    switch (kind) {
      case OptionKind::blksize: value = n.blksize; break;
      case OptionKind::windowsize: value = n.windowsize; break;
      case OptionKind::timeout: value = n.timeout_s; break;
      case OptionKind::tsize: value = n.tsize; break;
    }
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    (void)ec;  // 24 chars always hold a uint64
    w.cstring(option_name(kind));
    w.cstring(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  return w.overflow() ? Bytes{} : w.written();
}

}  // namespace ringboot::tftp
