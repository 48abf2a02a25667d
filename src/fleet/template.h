// Mustache templates (mstch) for boot scripts, rendered into a bounded
// string. mstch reports no syntax errors (an unclosed section renders
// nothing), so check() does: sections balanced, tags closed, only the
// variables below, no partials or delimiter changes. A template that
// passes check() renders; over kRenderedBytesMax is an error.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringboot::fleet {

inline constexpr std::size_t kRenderedBytesMax = 64 * 1024;

// What a template may name: {{mac}}, {{#labels}}{{.}}{{/labels}}, {{label.rack}}.
struct Variables {
  std::string mac;          // "52:54:00:12:34:56"
  std::string mac_hyphens;  // "52-54-00-12-34-56"
  std::string mac_hex;      // "525400123456"
  std::string uuid;
  std::string ip;
  std::string hostname;
  std::string buildarch;
  std::string platform;
  std::string profile;
  std::string http_base;
  std::string done_url;
  std::string events_url;
  std::vector<std::string> labels;           // as given: "rack=a1", "gpu"
  std::map<std::string, std::string> label;  // "rack=a1" as label.rack
};

struct TemplateError {
  std::size_t offset = 0;  // byte offset of the offending tag
  std::string reason;
};

std::optional<TemplateError> check_template(std::string_view text);

struct Rendered {
  bool ok = false;
  std::string text;   // when ok
  std::string error;  // when not
};

// `text` must have passed check_template.
Rendered render_template(const std::string& text, const Variables& variables);

// A template parsed once, for rendering many times. One made only of text
// and variable tags ({{mac}}, {{{uuid}}}, {{&ip}}, {{label.rack}}: what a
// kernel profile's kernel, initrd and cmdline are) renders by substitution,
// without mstch, which parses the text again on every render; any other
// (sections, comments) renders through render_template. The substitution is
// taken only where it renders a sample exactly as mstch does.
class CompiledTemplate {
 public:
  // `text` must have passed check_template.
  explicit CompiledTemplate(std::string text);
  Rendered render(const Variables& variables) const;
  // Whether render() substitutes (true) or calls mstch.
  bool substitutes() const { return substitutes_; }

 private:
  struct Piece {
    std::string text;  // the literal text; with is_label, the label's key
    std::string Variables::*member = nullptr;
    bool is_label = false;  // {{label.KEY}}
  };
  std::string substitute(const Variables& variables) const;

  std::string text_;
  std::vector<Piece> pieces_;
  bool substitutes_ = false;
};

}  // namespace ringboot::fleet
