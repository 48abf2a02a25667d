// RFC 764 netascii for "netascii" mode reads. The glue translates a file
// once and serves the result, so sessions stay mode-agnostic (and tsize is
// the translated size, which is what the client will receive).
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"

namespace ringboot::tftp {

// LF -> CR LF, CR -> CR NUL; every other byte unchanged.
std::vector<std::uint8_t> netascii_encode(Bytes file);

// The size netascii_encode would produce, without building it.
std::uint64_t netascii_encoded_size(Bytes file);

}  // namespace ringboot::tftp
