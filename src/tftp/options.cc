#include "tftp/options.h"

#include <algorithm>
#include <bit>
#include <charconv>

namespace ringboot::tftp {

std::string_view option_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::blksize:
      return "blksize";
    case OptionKind::windowsize:
      return "windowsize";
    case OptionKind::timeout:
      return "timeout";
    case OptionKind::tsize:
      return "tsize";
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

// The model, checked against truesize measured on Linux 6.18 x86-64 loopback
// (a socket filled with datagrams of each blksize from 8 to 65464, its
// rx_queue read from /proc/net/udp; see bench/RESULTS.md, "Window sweep"):
// - a datagram whose headroom + IP/UDP/TFTP headers + payload + struct
//   skb_shared_info (320) fits in 16 KiB is one linear kmalloc, a power of two
//   (576 bytes from a small-head cache below that), plus struct sk_buff (256):
//   blksize 512 costs 1280, 1468 2304, 4096 8448, 8192 16640;
// - a larger one keeps its headers in a small head and its payload in page
//   fragments charged by the byte: blksize + 836 (65464 costs 66300).
// Measured headroom was 29 bytes; 32 is used, and the small head is counted as
// 1024, so the model never undercuts the measurement. A NIC receiving frames
// up to 1500 bytes charges about the same (2 KiB buffer + sk_buff) as loopback
// at blksize 1468; a datagram fragmented on the way costs a buffer per
// fragment, more than this model, and is what mtu_clamp avoids.
std::uint32_t receive_cost(std::uint16_t blksize) {
  constexpr std::uint32_t kSkBuff = 256;          // SKB_DATA_ALIGN(sizeof(struct sk_buff))
  constexpr std::uint32_t kSharedInfo = 320;      // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
  constexpr std::uint32_t kHeaders = 4 + 8 + 20;  // TFTP DATA + UDP + IPv4
  constexpr std::uint32_t kHeadroom = 32;         // link-layer reserve and alignment
  constexpr std::uint32_t kLinearMax = 16384;     // SKB_MAX_ALLOC + shared info: 4 pages
  constexpr std::uint32_t kHeadMin = 1024;
  const std::uint32_t linear = kHeadroom + kHeaders + blksize + kSharedInfo;
  if (linear > kLinearMax) return kHeadMin + kSkBuff + blksize + 4;
  return std::max(kHeadMin, std::bit_ceil(linear)) + kSkBuff;
}

std::uint16_t fit_window(std::uint16_t asked, std::uint16_t blksize, const Limits& limits) {
  std::uint64_t fit = asked;
  if (limits.window_bytes_max != 0) fit = std::min<std::uint64_t>(fit, limits.window_bytes_max / blksize);
  if (limits.client_receive_buffer_bytes != 0) {
    // A quarter spare: a few late duplicates, other traffic, drivers that
    // charge a little more than the model.
    const std::uint64_t budget = limits.client_receive_buffer_bytes - limits.client_receive_buffer_bytes / 4;
    fit = std::min<std::uint64_t>(fit, budget / receive_cost(blksize));
  }
  return static_cast<std::uint16_t>(std::max<std::uint64_t>(1, fit));
}

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
  // costs a timeout per window (atftp at blksize 4096 windowsize 32 took
  // 15 s for 40 MiB instead of 0.1 s): answer a windowsize that fits.
  if (n.accepted(OptionKind::windowsize)) n.windowsize = fit_window(n.windowsize, n.blksize, limits);
  return n;
}

Bytes build_oack(const Negotiated& n, MutableBytes out) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::oack));
  for (std::size_t i = 0; i < n.oack_count; ++i) {
    const OptionKind kind = n.oack_order[i];
    std::uint64_t value = 0;
    switch (kind) {
      case OptionKind::blksize:
        value = n.blksize;
        break;
      case OptionKind::windowsize:
        value = n.windowsize;
        break;
      case OptionKind::timeout:
        value = n.timeout_s;
        break;
      case OptionKind::tsize:
        value = n.tsize;
        break;
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
