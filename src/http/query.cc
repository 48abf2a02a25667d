#include "http/query.h"

#include <algorithm>

#include "http/request.h"

namespace ringboot::http {

std::optional<std::string> query_value(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    return percent_decode(value);
  }
  return std::nullopt;
}

std::string redact_query_value(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  bool first = true;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      out.append(pair.substr(0, eq + 1));
      out += "<redacted>";
    } else {
      out.append(pair);
    }
  }
  return out;
}

// The query's name=value pairs, percent-decoded ('+' a space); nullopt on
// a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> query_pairs(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> pairs;
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return pairs;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    const std::optional<std::string> decoded_name = percent_decode(name);
    const std::optional<std::string> decoded_value = percent_decode(value);
    if (!decoded_name || !decoded_value) return std::nullopt;
    pairs.emplace_back(*decoded_name, *decoded_value);
  }
  return pairs;
}

}  // namespace ringboot::http
