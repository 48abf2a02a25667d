#include "http/path.h"

namespace ringboot::http {

std::optional<std::string> resolve_target_path(std::string_view decoded_path) {
  if (decoded_path.size() > kPathBytesMax) return std::nullopt;
  if (decoded_path.empty() || decoded_path.back() == '/') return std::nullopt;  // a directory
  for (const char c : decoded_path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return std::nullopt;
  }
  std::string out;
  out.reserve(decoded_path.size());
  std::string_view rest = decoded_path;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == ".." || part.size() > kComponentBytesMax) return std::nullopt;
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  if (out.empty()) return std::nullopt;  // "/./" and friends
  return out;
}

}  // namespace ringboot::http
