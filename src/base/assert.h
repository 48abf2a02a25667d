// RINGBOOT_ASSERT(cond): an invariant the design relies on, checked in every
// build (release too; unlike <cassert> it ignores NDEBUG). On failure it
// prints file:line and the expression to stderr and aborts. The check is one
// predicted-not-taken branch; the message path is out of line and cold.
// For conditions that can never be false on a valid path only: input from
// the network or the config is handled, not asserted.
#pragma once

namespace ringboot::detail {
[[noreturn, gnu::cold, gnu::noinline]] void assert_failed(const char* file, int line, const char* expression) noexcept;
}  // namespace ringboot::detail

#define RINGBOOT_ASSERT(cond)                                       \
  do {                                                              \
    if (!(cond)) [[unlikely]]                                       \
      ::ringboot::detail::assert_failed(__FILE__, __LINE__, #cond); \
  } while (false)
