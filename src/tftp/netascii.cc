#include "tftp/netascii.h"

#include <algorithm>

namespace ringboot::tftp {

std::uint64_t netascii_encoded_size(Bytes file) {
  const auto extra = std::count_if(file.begin(), file.end(), [](std::uint8_t b) { return b == '\n' || b == '\r'; });
  return file.size() + static_cast<std::uint64_t>(extra);
}

std::vector<std::uint8_t> netascii_encode(Bytes file) {
  std::vector<std::uint8_t> out;
  out.reserve(netascii_encoded_size(file));
  for (std::uint8_t b : file) {
    if (b == '\n') {
      out.push_back('\r');
      out.push_back('\n');
    } else if (b == '\r') {
      out.push_back('\r');
      out.push_back(0);
    } else {
      out.push_back(b);
    }
  }
  return out;
}

}  // namespace ringboot::tftp
