#pragma once

namespace ringboot {
// Blocks SIGINT/SIGTERM/SIGHUP in this thread and those it starts, so only
// wait_for_stop_signal sees them.
void block_signals();
// Returns when SIGINT or SIGTERM arrives.
void wait_for_stop_signal();
}  // namespace ringboot
