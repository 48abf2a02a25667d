// Maps a decoded request path to a relative path beneath the boot root.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ringboot::http {

inline constexpr std::size_t kPathBytesMax = 4096;      // PATH_MAX
inline constexpr std::size_t kComponentBytesMax = 255;  // NAME_MAX

// `decoded_path` is Request::path: already percent-decoded, so "%2e%2e" and
// "%2f" arrive here as ".." and "/" and are judged like the literal bytes.
// Returns a relative path ("ipxe/boot.ipxe") with empty and "." components
// dropped, or nullopt, which the caller answers 403 (Lookup::forbidden), for:
//   - any ".." component (never resolved lexically: refused outright);
//   - NUL, other control bytes, or a backslash (refused, not mapped to '/':
//     no boot client sends one, and some Windows-built tools would treat it
//     as a separator);
//   - "" / "/" / a trailing '/' (directories: no listings, no index.html);
//   - more than kPathBytesMax bytes, or a component over kComponentBytesMax.
// The glue still opens with RESOLVE_BENEATH, so a symlink cannot escape either.
std::optional<std::string> resolve_target_path(std::string_view decoded_path);

}  // namespace ringboot::http
