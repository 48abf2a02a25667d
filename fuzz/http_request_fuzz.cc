// HTTP request heads fed in split pieces (the first two bytes seed the split
// points), pipelined requests one after another, each planned as a response
// for a fake file the way the glue would.
#include <cstdint>
#include <string_view>

#include "http/path.h"
#include "http/range.h"
#include "http/request.h"
#include "http/response.h"

#include "path_invariants.h"

using namespace ringboot;
using namespace ringboot::http;

namespace {

void plan(const Request& request, std::uint64_t file_size) {
  const FileInfo file{.size = file_size, .mtime_sec = 1'700'000'000, .mtime_nsec = 5, .inode = 0xabc};
  const auto path = resolve_target_path(request.path);
  if (path && !path_is_confined(*path)) __builtin_trap();
  const ResponsePlan p =
      plan_file_response(request, path ? Lookup::ok : Lookup::forbidden, file, path ? *path : "", 1'700'000'100);
  if (p.body_offset + p.body_length > file.size) __builtin_trap();  // never splice past the end
  if (request.range) {
    const ByteRange r = parse_range(*request.range, file_size);
    if (r.kind == ByteRange::Kind::partial && (r.length == 0 || r.offset + r.length > file_size)) __builtin_trap();
  }
  (void)plan_error(400, request.keep_alive, request.method == Method::head);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint32_t seed = data[0] | (data[1] << 8);
  data += 2;
  size -= 2;
  const std::uint64_t file_size = seed % 3 == 0 ? 0 : (seed % 3 == 1 ? 1000 : std::uint64_t{1} << 40);

  RequestParser parser(ParserLimits{.header_bytes_max = 1024, .headers_max = 16, .target_bytes_max = 512});
  std::size_t pos = 0;
  int requests = 0;
  while (pos < size && requests < 64) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t piece = 1 + (seed >> 16) % 97;
    const std::size_t n = piece < size - pos ? piece : size - pos;
    const Feed f = parser.feed(Bytes(data + pos, n));
    if (f.consumed > n) __builtin_trap();
    pos += f.consumed;
    if (f.status == ParseStatus::error) break;
    if (f.status == ParseStatus::ready) {
      plan(parser.request(), file_size);
      parser.reset();
      ++requests;
    }
  }
  (void)percent_decode(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
