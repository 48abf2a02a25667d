// The TFTP engine takes every bound from the config; the unit tests, the
// simulator and the micro-benchmarks take the values below, which are the
// engine's historical defaults (blksize 1468: a 1500-byte MTU).
#pragma once

#include "tftp/options.h"
#include "tftp/session.h"
#include "tftp/upload.h"

namespace ringboot::tftp {

inline Limits test_limits() {
  Limits l;
  l.blksize_max = 1468;
  l.windowsize_max = 64;
  l.window_bytes_max = 128 * 1024;
  l.client_receive_buffer_bytes = 212992;  // Linux's net.core.rmem_default
  return l;
}

inline SessionConfig test_session_config() {
  SessionConfig c;
  c.limits = test_limits();
  c.rto_min = milliseconds(100);
  c.rto_max = seconds(2);
  c.rto_initial = seconds(1);
  c.retries_max = 6;
  return c;
}

inline UploadConfig test_upload_config() {
  UploadConfig c;
  static_cast<SessionConfig&>(c) = test_session_config();
  c.bytes_max = std::uint64_t{64} << 20;
  return c;
}

}  // namespace ringboot::tftp
