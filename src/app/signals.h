#pragma once

#include <chrono>

namespace ringboot {
// Blocks SIGINT/SIGTERM/SIGHUP in this thread and those it starts, so only
// wait_for_stop_signal sees them; ignores SIGPIPE (sendfile to a reset client).
void block_signals();
enum class SignalEvent { stop, reload };
// Waits for SIGINT/SIGTERM (stop) or SIGHUP (reload).
SignalEvent wait_for_signal();
// True when SIGINT or SIGTERM arrived within `timeout`.
bool wait_for_stop_signal_for(std::chrono::milliseconds timeout);
}  // namespace ringboot
