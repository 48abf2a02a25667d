#include "app/signals.h"

#include <csignal>

namespace ringboot {
namespace {
sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void block_signals() {
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // sendfile(2) has no MSG_NOSIGNAL: a client gone mid-body must be an
  // EPIPE for its connection, not the end of the process.
  std::signal(SIGPIPE, SIG_IGN);
}

SignalEvent wait_for_signal() {
  const sigset_t set = stop_set();
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (signal == SIGINT || signal == SIGTERM) return SignalEvent::stop;
    if (signal == SIGHUP) return SignalEvent::reload;
  }
}
bool wait_for_stop_signal_for(std::chrono::milliseconds timeout) {
  const sigset_t set = stop_set();
  const auto ms = timeout.count();
  const timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
  const int signal = sigtimedwait(&set, nullptr, &ts);
  return signal == SIGINT || signal == SIGTERM;
}
}  // namespace ringboot
