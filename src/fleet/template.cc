#include "fleet/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <mutex>

#include <mstch/mstch.hpp>

#include "fleet/names.h"

namespace ringboot::fleet {

namespace {

constexpr std::array<std::string_view, 13> kNames{"mac",      "mac_hyphens", "mac_hex",  "uuid",    "ip",
                                                  "hostname", "buildarch",   "platform", "profile", "http_base",
                                                  "done_url", "events_url",  "labels"};

bool known_name(std::string_view name, bool in_section) {
  if (std::find(kNames.begin(), kNames.end(), name) != kNames.end()) return true;
  if (name == ".") return in_section;
  // A label's key has a label's characters: no braces, blanks or control bytes, which mstch would read as
  // tags of their own ("{{{label.a}} {{ }}...}}}", found by fuzz/template_fuzz: mstch threw length_error).
  constexpr std::string_view kLabel = "label.";
  return name.size() > kLabel.size() && name.substr(0, kLabel.size()) == kLabel && label_ok(name.substr(kLabel.size()));
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

// A rendered text over kRenderedBytesMax is an error.
Rendered bounded(Rendered out) {
  if (out.text.size() > kRenderedBytesMax) {
    out.error =
        fmt::format("the rendered script is {} bytes, over the {} byte bound", out.text.size(), kRenderedBytesMax);
    out.text.clear();
    return out;
  }
  out.ok = true;
  return out;
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
  return bounded(std::move(out));
}

namespace {

struct Named {
  std::string_view name;
  std::string Variables::*member;
};
constexpr std::array<Named, 12> kStrings{{{"mac", &Variables::mac},
                                          {"mac_hyphens", &Variables::mac_hyphens},
                                          {"mac_hex", &Variables::mac_hex},
                                          {"uuid", &Variables::uuid},
                                          {"ip", &Variables::ip},
                                          {"hostname", &Variables::hostname},
                                          {"buildarch", &Variables::buildarch},
                                          {"platform", &Variables::platform},
                                          {"profile", &Variables::profile},
                                          {"http_base", &Variables::http_base},
                                          {"done_url", &Variables::done_url},
                                          {"events_url", &Variables::events_url}}};

// Every string distinct and non-empty (the constructor adds each label the
// template names), so that a substitution that differs from mstch anywhere
// shows on this sample.
Variables probe_variables() {
  Variables v;
  std::size_t i = 0;
  for (const Named& n : kStrings) v.*n.member = fmt::format("<{}:{}>", n.name, i++);
  v.labels = {"rack=a1", "gpu"};
  v.label = {{"rack", "<label.rack>"}};
  return v;
}

}  // namespace

CompiledTemplate::CompiledTemplate(std::string text) : text_(std::move(text)) {
  const std::string_view t = text_;
  std::size_t at = 0;
  std::size_t literal = 0;
  bool simple = true;
  while (simple && (at = t.find("{{", at)) != std::string_view::npos) {
    const bool triple = t.substr(at, 3) == "{{{";
    const std::string_view close = triple ? "}}}" : "}}";
    const std::size_t open_bytes = triple ? 3 : 2;
    const std::size_t end = t.find(close, at + open_bytes);
    if (end == std::string_view::npos) {
      simple = false;
      break;
    }
    std::string_view tag = trim(t.substr(at + open_bytes, end - at - open_bytes));
    if (!triple && !tag.empty() && tag.front() == '&') tag = trim(tag.substr(1));
    Piece piece;
    constexpr std::string_view kLabel = "label.";
    if (const auto it = std::find_if(kStrings.begin(), kStrings.end(), [&](const Named& n) { return n.name == tag; });
        it != kStrings.end()) {
      piece.member = it->member;
    } else if (tag.size() > kLabel.size() && tag.substr(0, kLabel.size()) == kLabel &&
               tag.find('.', kLabel.size()) == std::string_view::npos) {  // mstch splits a key with dots again
      piece.is_label = true;
      piece.text = std::string(tag.substr(kLabel.size()));
    } else {
      simple = false;  // a section, a comment, {{labels}}: mstch's
      break;
    }
    if (at > literal) pieces_.push_back(Piece{std::string(t.substr(literal, at - literal))});
    pieces_.push_back(std::move(piece));
    at = end + close.size();
    literal = at;
  }
  if (simple && literal < t.size()) pieces_.push_back(Piece{std::string(t.substr(literal))});
  if (simple) {
    Variables probe = probe_variables();
    for (const Piece& p : pieces_)
      if (p.is_label) probe.label.emplace(p.text, fmt::format("<label:{}>", p.text));
    const Rendered reference = render_template(text_, probe);
    simple = reference.ok && reference.text == substitute(probe);
  }
  substitutes_ = simple;
  if (!substitutes_) pieces_.clear();
}

std::string CompiledTemplate::substitute(const Variables& v) const {
  std::string out;
  out.reserve(2 * text_.size());
  for (const Piece& p : pieces_) {
    if (p.member != nullptr) {
      out += v.*p.member;
    } else if (p.is_label) {
      if (const auto it = v.label.find(p.text); it != v.label.end()) out += it->second;
    } else {
      out += p.text;
    }
  }
  return out;
}

Rendered CompiledTemplate::render(const Variables& v) const {
  if (!substitutes_) return render_template(text_, v);
  Rendered out;
  out.text = substitute(v);
  return bounded(std::move(out));
}

}  // namespace ringboot::fleet
