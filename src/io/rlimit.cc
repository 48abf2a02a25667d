#include "io/rlimit.h"

#include <sys/resource.h>

namespace ringboot::io {
unsigned long raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) < 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<unsigned long>(limit.rlim_cur);
}
}  // namespace ringboot::io
