// Per-connection deadlines, pure: the glue reports events with `now` and
// arms one timer at deadline(); when it fires and expired(now), it closes.
#pragma once

#include <cstdint>

#include "base/time.h"

namespace ringboot::http {

// Values from the config ([http] *_timeout_ms): the defaults live there only.
struct ConnectionTimeouts {
  Duration header;      // whole request head, from its first byte (slowloris)
  Duration idle;        // keep-alive wait for the next request's first byte
  Duration send_stall;  // no send progress (slow reader, stuck file read)
  Duration lingering;   // draining a client still sending after our last response
};

class Connection {
 public:
  enum class Phase : std::uint8_t { reading_head, sending, idle, lingering, streaming, closed };

  // A fresh connection waits for its first request under the header timeout,
  // so a client that connects and sends nothing is dropped.
  Connection(Instant now, ConnectionTimeouts timeouts);

  // Request bytes arrived (or are already buffered after a response).
  // idle -> reading_head and starts the header timeout; reading_head keeps its
  // deadline (trickling bytes does not extend it); sending ignores them.
  void on_bytes(Instant now);
  // The head is parsed and the response is under way (open, statx, send).
  void on_response_started(Instant now);
  // Any bytes of head or body left for the socket.
  void on_send_progress(Instant now);
  // Last byte sent. keep_alive -> idle; else closed.
  void on_response_done(Instant now, bool keep_alive);
  // Lingering close (nginx's lingering_close): the last response is sent and
  // our side shut for writing; what the client still sends is read and
  // dropped until it closes or `lingering` passes, so the kernel does not
  // answer those bytes with a reset that destroys the response unread.
  void on_lingering(Instant now);
  // An event stream (SSE): the response never ends. No idle or header
  // deadline; while a send is in flight (on_stream_send) the send-stall
  // deadline holds, progress extends it, and on_stream_idle (all sent)
  // clears it: a healthy subscriber is never cut, a stalled one is.
  void on_streaming(Instant now);
  void on_stream_send(Instant now);
  void on_stream_idle();
  void close() {
    phase_ = Phase::closed;
    deadline_ = kNever;
  }

  Phase phase() const { return phase_; }
  Instant deadline() const { return deadline_; }
  bool expired(Instant now) const { return phase_ != Phase::closed && now >= deadline_; }

 private:
  ConnectionTimeouts timeouts_;
  Phase phase_ = Phase::reading_head;
  Instant deadline_ = kNever;
};

}  // namespace ringboot::http
