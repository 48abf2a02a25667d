#include "fleet/names.h"

#include <algorithm>

namespace ringboot::fleet {

namespace {
bool alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

bool hostname_ok(std::string_view text) {
  return text.size() <= kHostnameBytesMax &&
         std::all_of(text.begin(), text.end(), [](char c) { return alnum(c) || c == '.' || c == '-'; });
}

bool label_ok(std::string_view text) {
  return !text.empty() && text.size() <= kLabelBytesMax && std::all_of(text.begin(), text.end(), [](char c) {
    return alnum(c) || std::string_view("._:/=-").find(c) != std::string_view::npos;
  });
}

bool rollout_name_ok(std::string_view text) {
  return !text.empty() && text.size() <= kRolloutNameBytesMax &&
         std::all_of(text.begin(), text.end(), [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

}  // namespace ringboot::fleet
