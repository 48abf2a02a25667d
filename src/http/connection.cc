#include "http/connection.h"

namespace ringboot::http {

Connection::Connection(Instant now, ConnectionTimeouts timeouts)
    : timeouts_(timeouts), deadline_(now + timeouts.header) {}

void Connection::on_bytes(Instant now) {
  if (phase_ != Phase::idle) return;
  phase_ = Phase::reading_head;
  deadline_ = now + timeouts_.header;
}

void Connection::on_response_started(Instant now) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::sending;
  deadline_ = now + timeouts_.send_stall;
}

void Connection::on_send_progress(Instant now) {
  if (phase_ != Phase::sending && phase_ != Phase::streaming) return;
  deadline_ = now + timeouts_.send_stall;
}

void Connection::on_response_done(Instant now, bool keep_alive) {
  if (phase_ == Phase::closed) return;
  if (!keep_alive) {
    close();
    return;
  }
  phase_ = Phase::idle;
  deadline_ = now + timeouts_.idle;
}

void Connection::on_lingering(Instant now) {
  if (phase_ == Phase::closed || phase_ == Phase::lingering) return;
  phase_ = Phase::lingering;
  deadline_ = now + timeouts_.lingering;
}

void Connection::on_streaming(Instant now) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::streaming;
  deadline_ = now + timeouts_.send_stall;  // the head and the hello are on their way
}

void Connection::on_stream_send(Instant now) {
  if (phase_ != Phase::streaming) return;
  deadline_ = now + timeouts_.send_stall;
}

void Connection::on_stream_idle() {
  if (phase_ != Phase::streaming) return;
  deadline_ = kNever;
}

}  // namespace ringboot::http
