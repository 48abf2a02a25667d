#include "tftp/session.h"

#include <algorithm>
#include <array>
#include <type_traits>
#include <variant>

namespace ringboot::tftp {

// Thousands of sessions live in one preallocated pool.
static_assert(sizeof(Session) <= 512, "keep a session small");

std::string_view to_string(Result result) {
  switch (result) {
    case Result::active:
      return "active";
    case Result::ok:
      return "ok";
    case Result::timed_out:
      return "timed_out";
    case Result::client_error:
      return "client_error";
    case Result::probe:
      return "probe";
    case Result::refused:
      return "refused";
    case Result::failed:
      return "failed";
  }
  return "unknown";
}

namespace {
// OACK: 2 + 4 options of at most "windowsize\0" + 20 digits + NUL.
constexpr std::size_t kControlBytesMax = 160;
}  // namespace

Session::Session(const SessionConfig& config, Endpoint peer)
    : peer_(peer),
      limits_(config.limits),
      retries_max_(config.retries_max),
      patience_min_(config.patience_min),
      rto_(RtoConfig{config.rto_min, config.rto_max, config.rto_initial}) {}

std::uint64_t Session::bytes_acked() const { return std::min(acked_ * negotiated_.blksize, file_size_); }

void Session::start_read(const Request& request, std::uint64_t file_size, Instant now, Sink& sink) {
  if (state_ != State::idle) return;
  started_ = now;
  progress_at_ = now;
  if (request.op != Opcode::rrq) {
    send_error(peer_, ErrorCode::access_violation, "write not supported", sink);
    finish(Result::refused);
    return;
  }
  negotiated_ = negotiate_read(request.options, file_size, limits_);
  file_size_ = file_size;
  blocks_total_ = file_size / negotiated_.blksize + 1;
  if (negotiated_.timeout_s != 0) rto_.set_ceiling(seconds(negotiated_.timeout_s));
  if (negotiated_.has_oack()) {
    state_ = State::oack_sent;
    send_oack(now, sink);
  } else {
    state_ = State::sending;
    send_window(now, sink);
  }
}

void Session::on_datagram(Endpoint from, Bytes datagram, Instant now, Sink& sink) {
  if (state_ == State::idle || state_ == State::done) return;
  if (from != peer_) {
    // RFC 1350: a stray TID gets ERROR 5 and does not disturb the transfer.
    send_error(from, ErrorCode::unknown_tid, "unknown transfer ID", sink);
    return;
  }
  const SessionPacket packet = parse_packet(datagram);
  if (const auto* ack = std::get_if<Ack>(&packet)) {
    on_ack(ack->block, now, sink);
  } else if (const auto* error = std::get_if<ErrorPacket>(&packet)) {
    on_client_error(error->code);
  } else {
    ++ignored_;  // malformed, or DATA on a read: drop, the client will retry or time out
  }
}

void Session::on_ack(std::uint16_t block, Instant now, Sink& sink) {
  if (state_ == State::oack_sent) {
    if (block != 0) {
      ++ignored_;
      return;
    }
    if (!oack_resent_) rto_.sample(now - sent_at_);
    state_ = State::sending;
    timeouts_ = 0;
    progress_at_ = now;
    send_window(now, sink);
    return;
  }
  const std::uint64_t outstanding = next_ - 1 - acked_;
  const auto delta = static_cast<std::uint16_t>(block - static_cast<std::uint16_t>(acked_));
  if (delta == 0) {
    on_duplicate_ack(now, sink);
    return;
  }
  if (delta > outstanding) return;  // stale (an older wrap) or for a block never sent
  const std::uint64_t index = acked_ + delta;
  if (index >= flight_fresh_from_) rto_.sample(now - sent_at_);  // Karn: only blocks sent once
  const bool recovering = recovering_at(now);
  acked_ = index;
  timeouts_ = 0;
  progress_at_ = now;
  if (acked_ == blocks_total_) {
    finish(Result::ok);
    return;
  }
  // An ACK short of the flight: EDK2 ACKs its last in-order block as soon as
  // a block arrives out of order, so the one after it was lost; roll back
  // (RFC 7440). Just after a roll-back the client also holds some of what we
  // resent and ACKs each such duplicate the same way (Mtftp4RrqHandleData):
  // those ACKs only slide the window, or every resent window would draw
  // another one, as it did under loss in a 1,000-client EDK2 storm.
  if (!recovering && acked_ + 1 < next_) {
    resend_from_acked(now, sink);
    return;
  }
  send_window(now, sink);  // the next window, or the fresh blocks it now allows
}

void Session::on_duplicate_ack(Instant now, Sink& sink) {
  // Once per ACK value at most: each roll-back draws several ACKs, and were
  // each to roll back again the resends would multiply.
  if (negotiated_.windowsize == 1 || recovering_at(now) || rolled_back_block_ == acked_) return;
  resend_from_acked(now, sink);
}

// Recovering: a roll-back's window is not yet ACKed and is younger than two
// smoothed RTTs, so ACKs drawn by its duplicates may still be arriving. Past
// that, a client that stays silent on duplicates (and ACKs a gap only once)
// gets its next roll-back without waiting for the timer.
bool Session::recovering_at(Instant now) const { return acked_ < recover_ && now - rolled_back_at_ < 2 * rto_.srtt(); }

void Session::resend_from_acked(Instant now, Sink& sink) {
  next_ = acked_ + 1;
  send_window(now, sink);
  recover_ = highest_sent_;
  rolled_back_at_ = now;
  rolled_back_block_ = acked_;
}

void Session::resend_on_timeout(Instant now, Sink& sink) {
  // A timeout ends any recovery: the first ACK short of the resent window
  // may roll back once more (a silent client, or a block reordered away),
  // and that roll-back starts the next recovery.
  next_ = acked_ + 1;
  send_window(now, sink);
  recover_ = acked_;
}

void Session::on_client_error(ErrorCode code) {
  // EDK2 sends ERROR 8 and iPXE ERROR 0 once the OACK told them the size.
  const bool size_probe =
      (code == ErrorCode::undefined || code == ErrorCode::option_refused) && negotiated_.has_oack() && acked_ == 0;
  finish(size_probe ? Result::probe : Result::client_error);  // no reply to an ERROR (RFC 1350)
}

void Session::on_timer(Instant now, Sink& sink) {
  if (state_ == State::idle || state_ == State::done || now < deadline_) return;
  ++timeouts_;
  if (timeouts_ > retries_max_ && now - progress_at_ >= patience_min_) {
    send_error(peer_, ErrorCode::undefined, "timeout", sink);
    finish(Result::timed_out);
    return;
  }
  rto_.backoff();
  ++timer_resends_;
  if (state_ == State::oack_sent) {
    oack_resent_ = true;
    ++retransmits_;
    send_oack(now, sink);
    return;
  }
  resend_on_timeout(now, sink);
}

void Session::send_oack(Instant now, Sink& sink) {
  std::array<std::uint8_t, kControlBytesMax> buf;
  sink.send_control(peer_, build_oack(negotiated_, buf));
  sent_at_ = now;
  arm(now);
}

void Session::send_window(Instant now, Sink& sink) {
  const std::uint64_t last = std::min(acked_ + negotiated_.windowsize, blocks_total_);
  flight_fresh_from_ = std::max(next_, highest_sent_ + 1);
  for (; next_ <= last; ++next_) send_block(next_, sink);
  sent_at_ = now;
  arm(now);
}

void Session::send_block(std::uint64_t index, Sink& sink) {
  const std::uint64_t offset = (index - 1) * negotiated_.blksize;
  const auto length = static_cast<std::uint32_t>(std::min<std::uint64_t>(negotiated_.blksize, file_size_ - offset));
  if (index <= highest_sent_) {
    ++retransmits_;
  } else {
    highest_sent_ = index;
  }
  bytes_sent_ += length;
  sink.send_block(static_cast<std::uint16_t>(index), offset, length);
}

void Session::send_error(Endpoint to, ErrorCode code, std::string_view message, Sink& sink) {
  std::array<std::uint8_t, kControlBytesMax> buf;
  sink.send_control(to, build_error(code, message, buf));
}

void Session::arm(Instant now) { deadline_ = now + rto_.current(); }

void Session::finish(Result result) {
  state_ = State::done;
  result_ = result;
  deadline_ = kNever;
}

}  // namespace ringboot::tftp
