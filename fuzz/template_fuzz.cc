// Profile templates: check_template, then (when it passes) mstch's render.
// mstch reports no syntax errors of its own, so the invariant is ours: a
// template check_template accepts renders, or fails only on the size bound;
// and its CompiledTemplate renders exactly what mstch does.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fleet/template.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (ringboot::fleet::check_template(text)) return 0;
  ringboot::fleet::Variables v;
  v.mac = "52:54:00:12:34:56";
  v.http_base = "http://10.0.0.1";
  v.labels = {"rack=a1", "gpu"};
  v.label = {{"rack", "a1"}};
  const ringboot::fleet::Rendered r = ringboot::fleet::render_template(text, v);
  if (!r.ok && r.error.find("byte bound") == std::string::npos) std::abort();
  if (r.ok && r.text.size() > ringboot::fleet::kRenderedBytesMax) std::abort();
  // The compiled form (the engine's, substituting where it can) renders the same.
  const ringboot::fleet::Rendered c = ringboot::fleet::CompiledTemplate(text).render(v);
  if (c.ok != r.ok || c.text != r.text) std::abort();
  return 0;
}
