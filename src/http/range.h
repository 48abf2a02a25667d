// Range: bytes=... (RFC 9110 section 14) against a file size.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringboot::http {

struct ByteRange {
  enum class Kind : std::uint8_t { full, partial, unsatisfiable };
  Kind kind = Kind::full;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// One range "a-b", "a-" or "-n" -> partial (b clamped to size-1; a suffix
// longer than the file selects all of it). A first byte at or beyond the
// end, or "-0", or any range of an empty file -> unsatisfiable (416).
// Tolerance (RFC 9110 14.2 allows ignoring Range): several ranges -> full
// (no multipart/byteranges); malformed, other units, a > b -> full.
ByteRange parse_range(std::string_view header, std::uint64_t size);

}  // namespace ringboot::http
