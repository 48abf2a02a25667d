#include "io/random.h"

#include <sys/random.h>

#include <cerrno>

namespace ringboot::io {

bool random_bytes(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    // Blocks only until the pool is first seeded at boot; short reads and
    // EINTR are retried.
    const ssize_t n = getrandom(out.data() + filled, out.size() - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    filled += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace ringboot::io
