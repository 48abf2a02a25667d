// One read transfer, as a pure state machine: it is fed datagrams, timer
// expiries and `now`, and answers through a Sink. It never reads a clock,
// never makes a syscall and never touches file contents: DATA is emitted as
// (block, offset, length) for the glue to fill from the file.
//
// Policy, and why:
// - Lockstep (windowsize 1) resends only on timeout, never on a duplicate
//   ACK: resending on duplicates doubles every packet from then on
//   (Sorcerer's Apprentice, RFC 1123 4.2.3.1).
// - Window mode (RFC 7440): an ACK inside the window rolls the window back
//   to the block after it (EDK2 ACKs the last in-order block on a gap).
//   A duplicate of the last ACK also rolls back, at most once per ACKed
//   block: EDK2 sends it when the first block of a window was lost, and the
//   once-only rule keeps duplicated ACKs from snowballing.
//   Right after a roll-back (until its window is ACKed, two smoothed RTTs
//   pass or a timeout fires) ACKs short of it only slide the window: EDK2
//   ACKs every unexpected block, duplicates of what we resent included, and
//   rolling back on those resent a window per window under loss.
// - Block numbers are 16-bit on the wire and wrap 65535 -> 0; internally a
//   64-bit block index, so files beyond 32 MiB (blksize 512) and 4 GiB work.
// - Retransmission uses an adaptive RTO (rto.h), sampled from a flight's
//   send time to the ACK of a block sent only once (Karn's rule).
// - Giving up: after retries_max retransmissions of the same flight the next
//   timeout ends the session (Result::timed_out) - but never before
//   patience_min has passed without progress, so a LAN-sized RTO does not
//   drop a client that pauses (U-Boot writing flash). A last ERROR 0
//   "timeout" is sent so a client that is alive but deaf stops retrying.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/time.h"
#include "tftp/options.h"
#include "tftp/packet.h"
#include "tftp/rto.h"

namespace ringboot::tftp {

// Values from [tftp] (the defaults live in the config, src/app/config.h),
// except patience_min, the engine's own floor.
struct SessionConfig {
  Limits limits;
  Duration rto_min{};
  Duration rto_max{};
  Duration rto_initial{};
  int retries_max = 0;
  Duration patience_min = seconds(5);
};

class Sink {
 public:
  virtual ~Sink() = default;
  // OACK/ERROR/ACK; `packet` is valid only during the call.
  virtual void send_control(Endpoint to, Bytes packet) = 0;
  // DATA to the peer: 4-byte header (build_data_header) + file[offset, offset+length).
  virtual void send_block(std::uint16_t block, std::uint64_t offset, std::uint32_t length) = 0;
};

enum class Result : std::uint8_t {
  active,
  ok,            // final block ACKed
  timed_out,     // retries and patience exhausted
  client_error,  // client sent ERROR
  probe,         // ERROR 0 or 8 right after our OACK: EDK2/iPXE size probe, normal traffic
  refused,       // not a read request (WRQ): ERROR 2 sent; upload refused at start (too large, netascii)
  failed,        // upload: write error, size cap or oversized block; ERROR sent
};

std::string_view to_string(Result result);

class Session {
 public:
  Session(const SessionConfig& config, Endpoint peer);

  // Negotiates and sends the OACK, or DATA 1 when no option was accepted.
  void start_read(const Request& request, std::uint64_t file_size, Instant now, Sink& sink);
  // `from` != peer -> ERROR 5 to `from`, session untouched.
  void on_datagram(Endpoint from, Bytes datagram, Instant now, Sink& sink);
  // Call when now >= deadline(); earlier calls are ignored.
  void on_timer(Instant now, Sink& sink);

  Instant deadline() const { return deadline_; }  // kNever once finished
  Result result() const { return result_; }
  bool finished() const { return result_ != Result::active; }

  // For the per-transfer log line and metrics.
  Endpoint peer() const { return peer_; }
  const Negotiated& negotiated() const { return negotiated_; }
  std::uint64_t file_size() const { return file_size_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }    // DATA payload, retransmits included
  std::uint64_t bytes_acked() const;                          // file bytes the client confirmed
  std::uint32_t retransmits() const { return retransmits_; }  // OACKs and DATA blocks resent
  // Retransmit timer expiries, each resending an OACK or a window; the
  // retransmits no expiry sent are roll-backs on the client's ACKs.
  std::uint32_t timer_resends() const { return timer_resends_; }
  std::uint32_t ignored() const { return ignored_; }  // malformed/unexpected datagrams from the peer
  std::uint16_t blksize() const { return negotiated_.blksize; }
  std::uint16_t windowsize() const { return negotiated_.windowsize; }
  Instant started() const { return started_; }
  Duration rto() const { return rto_.current(); }

 private:
  enum class State : std::uint8_t { idle, oack_sent, sending, done };

  void on_ack(std::uint16_t block, Instant now, Sink& sink);
  void on_duplicate_ack(Instant now, Sink& sink);
  void resend_from_acked(Instant now, Sink& sink);  // roll-back: from acked_ + 1, then recover
  void resend_on_timeout(Instant now, Sink& sink);  // from acked_ + 1, not recovering
  bool recovering_at(Instant now) const;
  void on_client_error(ErrorCode code);
  void send_oack(Instant now, Sink& sink);
  void send_window(Instant now, Sink& sink);
  void send_block(std::uint64_t index, Sink& sink);
  void send_error(Endpoint to, ErrorCode code, std::string_view message, Sink& sink);
  void arm(Instant now);
  void finish(Result result);

  Endpoint peer_;
  Limits limits_;
  int retries_max_;
  Duration patience_min_;
  Rto rto_;
  Negotiated negotiated_;
  std::uint64_t file_size_ = 0;
  std::uint64_t blocks_total_ = 0;                       // last block is shorter than blksize, possibly empty
  std::uint64_t acked_ = 0;                              // highest in-order block index ACKed (0: none)
  std::uint64_t next_ = 1;                               // next block index to send
  std::uint64_t highest_sent_ = 0;                       // blocks at or below were sent before: resends
  std::uint64_t flight_fresh_from_ = 0;                  // first block of the current flight sent only once
  std::uint64_t recover_ = 0;                            // highest block sent by the last roll-back (see recovering_at)
  std::uint64_t rolled_back_block_ = ~std::uint64_t{0};  // acked_ at the last roll-back
  std::uint64_t bytes_sent_ = 0;
  Instant started_{};
  Instant sent_at_{};         // the current flight (all of it goes out at one `now`)
  Instant progress_at_{};     // last ACK that moved acked_ forward
  Instant rolled_back_at_{};  // the last roll-back
  Instant deadline_ = kNever;
  std::uint32_t retransmits_ = 0;
  std::uint32_t timer_resends_ = 0;
  std::uint32_t ignored_ = 0;
  int timeouts_ = 0;  // consecutive, reset by progress
  bool oack_resent_ = false;
  State state_ = State::idle;
  Result result_ = Result::active;
};

}  // namespace ringboot::tftp
