#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace ringboot::detail {

void assert_failed(const char* file, int line, const char* expression) noexcept {
  // stdio, not the logger: the process may be failing inside the logger.
  std::fprintf(stderr, "%s:%d: ringboot: assertion failed: %s\n", file, line, expression);
  std::fflush(stderr);
  std::abort();
}

}  // namespace ringboot::detail
