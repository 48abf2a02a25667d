// Maps a requested TFTP filename to a path relative to the boot root.
// Defence in depth and client compatibility only: the real confinement is
// openat2(RESOLVE_BENEATH) in src/io, which also stops symlink escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ringboot::tftp {

inline constexpr std::size_t kRequestPathMax = 1024;

enum class PathError : std::uint8_t { empty, too_long, nul_byte, control_char, dot_dot };

std::string_view to_string(PathError error);

// '\' -> '/' (Windows-style clients), leading '/' stripped (relative to the
// root, as tftpd-hpa -s does), "//" and "." components collapsed; any ".."
// component, NUL or control character, or more than kRequestPathMax bytes
// is rejected. Bytes >= 0x80 pass (UTF-8 names).
std::variant<std::string, PathError> normalize_request_path(std::string_view requested);

}  // namespace ringboot::tftp
