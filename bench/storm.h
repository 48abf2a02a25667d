// bench/storm.h: `ringboot-bench storm`, N simulated machines through the whole boot chain (bench/storm.cc).
#pragma once

namespace bench {

// argv[0] is "storm". Returns 0 when every machine reached done, 1 when some failed, 2 on a usage error.
int storm_main(int argc, char** argv);

}  // namespace bench
