// RRQ/WRQ from the listening socket: parse, map the filename, negotiate, build the OACK.
#include <array>
#include <cstdint>
#include <variant>

#include "tftp/options.h"
#include "tftp/packet.h"
#include "tftp/path.h"

#include "../tests/unit/tftp_test_defaults.h"
#include "path_invariants.h"

using namespace ringboot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = tftp::parse_request(Bytes(data, size));
  auto* request = std::get_if<tftp::Request>(&parsed);
  if (request == nullptr) return 0;
  const auto path = tftp::normalize_request_path(request->filename);
  if (const auto* p = std::get_if<std::string>(&path); p != nullptr && !path_is_confined(*p)) __builtin_trap();
  std::array<std::uint8_t, 2048> out{};
  for (std::uint64_t file_size : {std::uint64_t{0}, std::uint64_t{1} << 33}) {
    const tftp::Negotiated n = tftp::negotiate_read(request->options, file_size, tftp::test_limits());
    if (n.has_oack() && tftp::build_oack(n, MutableBytes(out)).empty()) __builtin_trap();  // an OACK always fits
  }
  (void)tftp::build_oack(request->options, MutableBytes(out));  // may not fit: then empty
  return 0;
}
