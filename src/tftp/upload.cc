#include "tftp/upload.h"

#include <array>
#include <optional>
#include <variant>
#include <vector>

namespace ringboot::tftp {

static_assert(sizeof(Upload) <= 512, "keep an upload session small");

namespace {
constexpr std::size_t kControlBytesMax = 160;
}  // namespace

Upload::Upload(const UploadConfig& config, Endpoint peer)
    : peer_(peer),
      limits_(config.limits),
      retries_max_(config.retries_max),
      patience_min_(config.patience_min),
      bytes_max_(config.bytes_max),
      dally_(config.dally),
      linger_(config.linger),
      rto_(RtoConfig{config.rto_min, config.rto_max, config.rto_initial}) {}

void Upload::start(const Request& request, Instant now, UploadSink& sink) {
  if (state_ != State::idle) return;
  started_ = now;
  progress_at_ = now;
  if (request.op != Opcode::wrq) {
    send_error(peer_, ErrorCode::illegal_operation, "not a write request", sink);
    linger(Result::refused, now, linger_);
    return;
  }
  if (request.mode != Mode::octet) {
    send_error(peer_, ErrorCode::undefined, "netascii uploads are not supported; use octet", sink);
    linger(Result::refused, now, linger_);
    return;
  }
  // No windowsize (lockstep); tsize is the client's announced size: the
  // first tsize with a valid value is the one answered.
  std::vector<Option> options;
  options.reserve(request.options.size());
  std::optional<std::uint64_t> announced;
  for (const Option& o : request.options) {
    if (o.name == "windowsize") continue;
    if (o.name == "tsize") {
      if (announced) continue;
      announced = parse_decimal(o.value);
      if (!announced) continue;
    }
    options.push_back(o);
  }
  if (announced && *announced > bytes_max_) {
    send_error(peer_, ErrorCode::disk_full, "file too large", sink);
    linger(Result::refused, now, linger_);
    return;
  }
  negotiated_ = negotiate_read(options, announced.value_or(0), limits_);
  if (negotiated_.timeout_s != 0) rto_.set_ceiling(seconds(negotiated_.timeout_s));
  if (negotiated_.has_oack()) {
    state_ = State::oack_sent;
    std::array<std::uint8_t, kControlBytesMax> buf;
    sink.send_control(peer_, build_oack(negotiated_, buf));
    sent_at_ = now;
    deadline_ = now + rto_.current();
  } else {
    state_ = State::receiving;
    send_ack(now, sink);
  }
}

void Upload::on_datagram(Endpoint from, Bytes datagram, Instant now, UploadSink& sink) {
  if (state_ == State::idle || state_ == State::done) return;
  if (state_ == State::lingering) {
    // Our final ACK was lost and the client resent its last block.
    if (result_ == Result::ok && from == peer_) {
      const SessionPacket packet = parse_packet(datagram);
      const auto* data = std::get_if<Data>(&packet);
      if (data != nullptr && data->block == static_cast<std::uint16_t>(blocks_)) {
        ++retransmits_;
        std::array<std::uint8_t, 4> buf;
        sink.send_control(peer_, build_ack(data->block, buf));
      }
    }
    return;
  }
  if (from != peer_) {
    send_error(from, ErrorCode::unknown_tid, "unknown transfer ID", sink);
    return;
  }
  const SessionPacket packet = parse_packet(datagram);
  if (const auto* data = std::get_if<Data>(&packet)) {
    on_data(data->block, data->payload, now, sink);
  } else if (std::holds_alternative<ErrorPacket>(packet)) {
    finish(Result::client_error, now);  // no reply to an ERROR (RFC 1350)
  } else {
    ++ignored_;  // malformed, or an ACK on a write
  }
}

void Upload::on_data(std::uint16_t block, Bytes payload, Instant now, UploadSink& sink) {
  const auto expected = static_cast<std::uint16_t>(blocks_ + 1);
  if (block != expected) {
    // The client missed our last ACK and resent its block: ACK it again.
    if (blocks_ > 0 && block == static_cast<std::uint16_t>(blocks_)) {
      ++retransmits_;
      resent_ = true;
      send_ack(now, sink);
    } else {
      ++ignored_;
    }
    return;
  }
  if (payload.size() > negotiated_.blksize) {
    send_error(peer_, ErrorCode::illegal_operation, "block larger than blksize", sink);
    linger(Result::failed, now, linger_);
    return;
  }
  if (bytes_ + payload.size() > bytes_max_) {
    send_error(peer_, ErrorCode::disk_full, "file too large", sink);
    linger(Result::failed, now, linger_);
    return;
  }
  if (!payload.empty() && !sink.write(bytes_, payload)) {
    send_error(peer_, ErrorCode::disk_full, "write failed", sink);
    linger(Result::failed, now, linger_);
    return;
  }
  if (!resent_) rto_.sample(now - sent_at_);
  state_ = State::receiving;
  bytes_ += payload.size();
  ++blocks_;
  timeouts_ = 0;
  progress_at_ = now;
  resent_ = false;
  send_ack(now, sink);
  if (payload.size() < negotiated_.blksize) linger(Result::ok, now, dally_);
}

void Upload::on_timer(Instant now, UploadSink& sink) {
  if (state_ == State::idle || state_ == State::done || now < deadline_) return;
  if (state_ == State::lingering) {
    state_ = State::done;
    deadline_ = kNever;
    return;
  }
  ++timeouts_;
  if (timeouts_ > retries_max_ && now - progress_at_ >= patience_min_) {
    send_error(peer_, ErrorCode::undefined, "timeout", sink);
    linger(Result::timed_out, now, linger_);
    return;
  }
  rto_.backoff();
  ++retransmits_;
  resent_ = true;
  if (state_ == State::oack_sent) {
    std::array<std::uint8_t, kControlBytesMax> buf;
    sink.send_control(peer_, build_oack(negotiated_, buf));
    sent_at_ = now;
    deadline_ = now + rto_.current();
    return;
  }
  send_ack(now, sink);
}

void Upload::send_ack(Instant now, UploadSink& sink) {
  std::array<std::uint8_t, 4> buf;
  sink.send_control(peer_, build_ack(static_cast<std::uint16_t>(blocks_), buf));
  sent_at_ = now;
  deadline_ = now + rto_.current();
}

void Upload::send_error(Endpoint to, ErrorCode code, std::string_view message, UploadSink& sink) {
  std::array<std::uint8_t, kControlBytesMax> buf;
  sink.send_control(to, build_error(code, message, buf));
}

void Upload::finish(Result result, Instant now) {
  state_ = State::done;
  result_ = result;
  deadline_ = kNever;
  decided_ = now;
}

void Upload::linger(Result result, Instant now, Duration wait) {
  state_ = State::lingering;
  result_ = result;
  deadline_ = now + wait;
  decided_ = now;
}

}  // namespace ringboot::tftp
