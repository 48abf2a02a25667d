// Random bytes from the kernel (getrandom(2)): the fleet's install tokens.
#pragma once

#include <cstdint>
#include <span>

namespace ringboot::io {

// Fills `out`; false only if the kernel refuses (no getrandom: Linux < 3.17).
bool random_bytes(std::span<std::uint8_t> out);

}  // namespace ringboot::io
