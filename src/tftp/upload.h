// One write transfer (WRQ), as a pure state machine like Session: it is fed
// datagrams, timer expiries and `now`, and answers through an UploadSink
// (control packets out, received bytes to storage). No clock, no syscall.
//
// Policy, and why:
// - Lockstep only: windowsize is not accepted for uploads (left out of the
//   OACK), so every DATA is ACKed before the next one is sent.
// - Blocks are taken strictly in order; a duplicate of the last block is
//   re-ACKed and not written again; anything else is dropped.
// - A block shorter than blksize ends the transfer (its ACK is sent first).
// - tsize is the size the client announces; over bytes_max -> ERROR 3. The
//   cap is also enforced on the bytes actually received.
// - Timeouts resend the last ACK (or the OACK) with the adaptive RTO, at most
//   retries_max times and never giving up before patience_min without
//   progress, like Session.
// - Linger: the session's socket must outlive its last packet (the glue
//   closes it when finished() turns true, and a send queued but not yet
//   submitted would be lost). After the final ACK it dallies for `dally`
//   (RFC 1350), re-ACKing a resent final block; after an ERROR it waits
//   `linger`. result() is final from the decision on;
//   finished() turns true when the linger ends.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/time.h"
#include "tftp/options.h"
#include "tftp/packet.h"
#include "tftp/rto.h"
#include "tftp/session.h"

namespace ringboot::tftp {

// The retransmit and bound settings of a read session, plus the upload's own.
struct UploadConfig : SessionConfig {
  std::uint64_t bytes_max = 0;  // [tftp] upload_bytes_max
  Duration dally = seconds(1);
  Duration linger = milliseconds(20);  // after an ERROR: a few event-loop turns to send it
};

class UploadSink {
 public:
  virtual ~UploadSink() = default;
  // OACK/ACK/ERROR; `packet` is valid only during the call.
  virtual void send_control(Endpoint to, Bytes packet) = 0;
  // Stores `data` at `offset` of the file; false on a storage error.
  virtual bool write(std::uint64_t offset, Bytes data) = 0;
};

class Upload {
 public:
  Upload(const UploadConfig& config, Endpoint peer);

  // Negotiates and sends the OACK, or ACK 0 when no option was accepted.
  void start(const Request& request, Instant now, UploadSink& sink);
  // `from` != peer -> ERROR 5 to `from`, session untouched.
  void on_datagram(Endpoint from, Bytes datagram, Instant now, UploadSink& sink);
  // Call when now >= deadline(); earlier calls are ignored.
  void on_timer(Instant now, UploadSink& sink);

  Instant deadline() const { return deadline_; }  // kNever once finished
  Result result() const { return result_; }
  bool finished() const { return state_ == State::done; }
  bool complete() const { return result_ == Result::ok; }  // every byte received; may still be dallying
  Instant decided() const { return decided_; }             // when result() was set

  Endpoint peer() const { return peer_; }
  const Negotiated& negotiated() const { return negotiated_; }
  std::uint64_t bytes_received() const { return bytes_; }  // written to the sink, in order
  std::uint64_t blocks_received() const { return blocks_; }
  std::uint32_t retransmits() const { return retransmits_; }  // OACKs and ACKs resent on timeout
  std::uint32_t ignored() const { return ignored_; }
  std::uint16_t blksize() const { return negotiated_.blksize; }
  Instant started() const { return started_; }
  Duration rto() const { return rto_.current(); }

 private:
  enum class State : std::uint8_t { idle, oack_sent, receiving, lingering, done };

  void on_data(std::uint16_t block, Bytes payload, Instant now, UploadSink& sink);
  void send_ack(Instant now, UploadSink& sink);
  void send_error(Endpoint to, ErrorCode code, std::string_view message, UploadSink& sink);
  void finish(Result result, Instant now);                 // no packet to flush (client ERROR)
  void linger(Result result, Instant now, Duration wait);  // after our last packet

  Endpoint peer_;
  Limits limits_;
  int retries_max_;
  Duration patience_min_;
  std::uint64_t bytes_max_;
  Duration dally_;
  Duration linger_;
  Rto rto_;
  Negotiated negotiated_;
  std::uint64_t blocks_ = 0;  // blocks received in order (the last ACK names this one)
  std::uint64_t bytes_ = 0;
  Instant started_{};
  Instant sent_at_{};      // last OACK/ACK
  Instant progress_at_{};  // last new block
  Instant deadline_ = kNever;
  Instant decided_{};
  std::uint32_t retransmits_ = 0;
  std::uint32_t ignored_ = 0;
  int timeouts_ = 0;
  bool resent_ = false;  // the last ACK/OACK went out more than once: no RTT sample (Karn)
  State state_ = State::idle;
  Result result_ = Result::active;
};

}  // namespace ringboot::tftp
