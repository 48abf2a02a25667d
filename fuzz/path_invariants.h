// What a mapped path may look like, whichever protocol asked: relative, no
// empty, "." or ".." component, no backslash, no control byte.
#pragma once
#include <string_view>

inline bool path_is_confined(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  std::string_view rest = p;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  for (const char c : p) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return false;
  }
  return true;
}
