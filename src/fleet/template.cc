#include "fleet/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <mutex>

#include <mstch/mstch.hpp>

namespace ringboot::fleet {

namespace {

constexpr std::array<std::string_view, 13> kNames{"mac",      "mac_hyphens", "mac_hex",  "uuid",    "ip",
                                                  "hostname", "buildarch",   "platform", "profile", "http_base",
                                                  "done_url", "events_url",  "labels"};

bool known_name(std::string_view name, bool in_section) {
  if (std::find(kNames.begin(), kNames.end(), name) != kNames.end()) return true;
  if (name == ".") return in_section;
  constexpr std::string_view kLabel = "label.";
  return name.size() > kLabel.size() && name.substr(0, kLabel.size()) == kLabel;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Boot scripts are not HTML: mstch's default escape would turn & into &amp;
// in URLs. Set once, for every thread, before the first render.
void disable_html_escape() {
  static std::once_flag once;
  std::call_once(once, [] { mstch::config::escape = [](const std::string& s) { return s; }; });
}

}  // namespace

std::optional<TemplateError> check_template(std::string_view text) {
  std::vector<std::string_view> sections;
  std::size_t at = 0;
  while ((at = text.find("{{", at)) != std::string_view::npos) {
    const bool triple = text.substr(at, 3) == "{{{";
    const std::string_view close = triple ? "}}}" : "}}";
    const std::size_t open_bytes = triple ? 3 : 2;
    const std::size_t end = text.find(close, at + open_bytes);
    if (end == std::string_view::npos) return TemplateError{at, "a tag opened with {{ is not closed with }}"};
    std::string_view tag = trim(text.substr(at + open_bytes, end - at - open_bytes));
    const char sigil = triple || tag.empty() ? '\0' : tag.front();
    if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '&' || sigil == '!' || sigil == '>' || sigil == '=')
      tag = trim(tag.substr(1));
    const std::size_t next = end + close.size();
    // mstch throws on a tag that is blank after its sigil ("{{! }}", found
    // by fuzz/template_fuzz): refuse every blank tag here, with a reason.
    if (tag.empty()) return TemplateError{at, "an empty tag {{}}"};
    switch (sigil) {
      case '!':
        break;  // a comment
      case '>':
        return TemplateError{at, "partials ({{>name}}) are not supported"};
      case '=':
        return TemplateError{at, "delimiter changes ({{=...=}}) are not supported"};
      case '#':
      case '^':
        if (!known_name(tag, !sections.empty()) || tag == ".")
          return TemplateError{at, fmt::format("unknown section {{{{{}{}}}}}", sigil, tag)};
        sections.push_back(tag);
        break;
      case '/':
        if (sections.empty()) return TemplateError{at, fmt::format("{{{{/{}}}}} closes no open section", tag)};
        if (sections.back() != tag)
          return TemplateError{at, fmt::format("{{{{/{}}}}} closes section {{{{#{}}}}}", tag, sections.back())};
        sections.pop_back();
        break;
      default:
        if (!known_name(tag, !sections.empty()))
          return TemplateError{at, fmt::format("unknown variable {{{{{}}}}}", tag)};
        break;
    }
    at = next;
  }
  if (!sections.empty())
    return TemplateError{text.size(), fmt::format("section {{{{#{}}}}} is not closed", sections.back())};
  return std::nullopt;
}

Rendered render_template(const std::string& text, const Variables& v) {
  disable_html_escape();
  mstch::array labels;
  for (const std::string& l : v.labels) labels.emplace_back(l);
  mstch::map label;
  for (const auto& [key, value] : v.label) label.emplace(key, value);
  const mstch::map context{
      {"mac", v.mac},
      {"mac_hyphens", v.mac_hyphens},
      {"mac_hex", v.mac_hex},
      {"uuid", v.uuid},
      {"ip", v.ip},
      {"hostname", v.hostname},
      {"buildarch", v.buildarch},
      {"platform", v.platform},
      {"profile", v.profile},
      {"http_base", v.http_base},
      {"done_url", v.done_url},
      {"events_url", v.events_url},
      {"labels", std::move(labels)},
      {"label", std::move(label)},
  };
  Rendered out;
  try {
    out.text = mstch::render(text, context);
  } catch (const std::exception& e) {  // mstch's own failures (allocation): an error, never a crash
    out.error = fmt::format("the template did not render: {}", e.what());
    return out;
  }
  if (out.text.size() > kRenderedBytesMax) {
    out.error =
        fmt::format("the rendered script is {} bytes, over the {} byte bound", out.text.size(), kRenderedBytesMax);
    out.text.clear();
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace ringboot::fleet
