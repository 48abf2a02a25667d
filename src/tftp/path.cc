#include "tftp/path.h"

namespace ringboot::tftp {

std::string_view to_string(PathError error) {
  switch (error) {
    case PathError::empty:
      return "empty path";
    case PathError::too_long:
      return "path too long";
    case PathError::nul_byte:
      return "NUL in path";
    case PathError::control_char:
      return "control character in path";
    case PathError::dot_dot:
      return "'..' in path";
  }
  return "bad path";
}

namespace {

std::variant<std::monostate, PathError> check_bytes(std::string_view s) {
  if (s.size() > kRequestPathMax) return PathError::too_long;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0) return PathError::nul_byte;
    if (u < 0x20 || u == 0x7f) return PathError::control_char;
  }
  return std::monostate{};
}

}  // namespace

std::variant<std::string, PathError> normalize_request_path(std::string_view requested) {
  if (auto bad = check_bytes(requested); std::holds_alternative<PathError>(bad)) return std::get<PathError>(bad);

  std::string out;
  out.reserve(requested.size());
  std::size_t pos = 0;
  while (pos <= requested.size()) {
    std::size_t end = requested.find_first_of("/\\", pos);
    if (end == std::string_view::npos) end = requested.size();
    const std::string_view part = requested.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return PathError::dot_dot;
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  if (out.empty()) return PathError::empty;
  return out;
}

}  // namespace ringboot::tftp
