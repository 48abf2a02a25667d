// Checked byte cursor and writer for packet parsing and building.
// Parsers never trust lengths: every read compares n against remaining(),
// never `cur + n > end`, which can wrap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace ringboot {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  std::optional<std::uint16_t> u16() {
    if (remaining() < 2) return std::nullopt;
    auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::optional<std::uint32_t> u32() {
    if (remaining() < 4) return std::nullopt;
    std::uint32_t v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
                      (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::optional<Bytes> take(std::size_t n) {
    if (n > remaining()) return std::nullopt;
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // A NUL-terminated string; the NUL is consumed, not returned.
  std::optional<std::string_view> cstring() {
    const std::size_t rest = remaining();
    const void* nul = std::memchr(data_.data() + pos_, 0, rest);
    if (nul == nullptr) return std::nullopt;
    const auto len = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - (data_.data() + pos_));
    std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_), len);
    pos_ += len + 1;
    return s;
  }
  Bytes rest() const { return data_.subspan(pos_); }

 private:
  Bytes data_;
  std::size_t pos_ = 0;
};

// Writes into a caller-owned buffer; a write past the end sets overflow()
// and writes nothing, so a builder checks once at the end.
class ByteWriter {
 public:
  explicit ByteWriter(MutableBytes buf) : buf_(buf) {}

  std::size_t size() const { return pos_; }
  std::size_t remaining() const { return buf_.size() - pos_; }
  bool overflow() const { return overflow_; }
  Bytes written() const { return Bytes(buf_.data(), pos_); }

  void u8(std::uint8_t v) {
    if (!reserve(1)) return;
    buf_[pos_++] = v;
  }
  void u16(std::uint16_t v) {
    if (!reserve(2)) return;
    buf_[pos_++] = static_cast<std::uint8_t>(v >> 8);
    buf_[pos_++] = static_cast<std::uint8_t>(v);
  }
  void u32(std::uint32_t v) {
    if (!reserve(4)) return;
    for (int shift = 24; shift >= 0; shift -= 8) buf_[pos_++] = static_cast<std::uint8_t>(v >> shift);
  }
  void bytes(Bytes b) {
    if (!reserve(b.size())) return;
    if (!b.empty()) std::memcpy(buf_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  void str(std::string_view s) { bytes(Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())); }
  void cstring(std::string_view s) {
    if (!reserve(s.size() + 1)) return;
    str(s);
    u8(0);
  }
  // Overwrites two bytes already written (a length known only later).
  void patch_u16(std::size_t at, std::uint16_t v) {
    if (overflow_ || at + 2 > pos_) return;
    buf_[at] = static_cast<std::uint8_t>(v >> 8);
    buf_[at + 1] = static_cast<std::uint8_t>(v);
  }
  void zeros(std::size_t n) {
    if (!reserve(n)) return;
    std::memset(buf_.data() + pos_, 0, n);
    pos_ += n;
  }

 private:
  bool reserve(std::size_t n) {
    if (overflow_ || n > remaining()) {
      overflow_ = true;
      return false;
    }
    return true;
  }
  MutableBytes buf_;
  std::size_t pos_ = 0;
  bool overflow_ = false;
};

inline Bytes as_bytes(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

}  // namespace ringboot
