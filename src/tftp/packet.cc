#include "tftp/packet.h"

#include <algorithm>

namespace ringboot::tftp {

std::string_view to_string(ParseReason reason) {
  switch (reason) {
    case ParseReason::truncated:
      return "truncated";
    case ParseReason::unknown_opcode:
      return "unknown opcode";
    case ParseReason::unexpected_opcode:
      return "unexpected opcode";
    case ParseReason::missing_nul:
      return "missing NUL";
    case ParseReason::bad_mode:
      return "bad mode";
  }
  return "unknown";
}

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string_view as_view(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Tolerant by policy: what follows the mode is read as name/value pairs
// until something does not fit, and the rest is ignored.
// - Extra NUL padding (empty name) ends the list: some PXE ROMs pad requests.
// - A last value without its NUL is taken as is: seen from embedded clients
//   that size the packet by strlen. A truncated number can only shrink, and
//   the answer is clamped to what was asked, so this is safe.
void parse_options(ByteReader& in, std::vector<Option>& out) {
  while (!in.empty() && out.size() < kRequestOptionsMax) {
    auto name = in.cstring();
    if (!name || name->empty()) return;
    auto value = in.cstring();
    if (!value) {
      Bytes rest = in.rest();
      if (rest.empty()) return;
      out.push_back({lowercase(*name), std::string(as_view(rest))});
      return;
    }
    out.push_back({lowercase(*name), std::string(*value)});
  }
}

}  // namespace

std::variant<Request, ParseError> parse_request(Bytes datagram) {
  ByteReader in(datagram);
  auto op = in.u16();
  if (!op) return ParseError{ParseReason::truncated};
  if (*op < 1 || *op > 6) return ParseError{ParseReason::unknown_opcode};
  if (*op != 1 && *op != 2) return ParseError{ParseReason::unexpected_opcode};
  if (in.empty()) return ParseError{ParseReason::truncated};

  Request req;
  req.op = static_cast<Opcode>(*op);
  auto filename = in.cstring();
  if (!filename) return ParseError{ParseReason::missing_nul};
  auto mode = in.cstring();
  if (!mode) return ParseError{in.empty() ? ParseReason::truncated : ParseReason::missing_nul};
  if (equals_ignore_case(*mode, "octet")) {
    req.mode = Mode::octet;
  } else if (equals_ignore_case(*mode, "netascii")) {
    req.mode = Mode::netascii;
  } else {
    return ParseError{ParseReason::bad_mode};
  }
  req.filename = std::string(*filename);
  parse_options(in, req.options);
  return req;
}

SessionPacket parse_packet(Bytes datagram) {
  ByteReader in(datagram);
  auto op = in.u16();
  if (!op) return ParseError{ParseReason::truncated};
  switch (*op) {
    case static_cast<std::uint16_t>(Opcode::data): {
      auto block = in.u16();
      if (!block) return ParseError{ParseReason::truncated};
      return Data{*block, in.rest()};
    }
    case static_cast<std::uint16_t>(Opcode::ack): {
      auto block = in.u16();
      if (!block) return ParseError{ParseReason::truncated};
      return Ack{*block};  // trailing bytes ignored: some ROMs pad ACKs to a minimum frame
    }
    case static_cast<std::uint16_t>(Opcode::error): {
      auto code = in.u16();
      if (!code) return ParseError{ParseReason::truncated};
      // A message without its NUL is still an error: the code is what matters.
      auto message = in.cstring();
      return ErrorPacket{static_cast<ErrorCode>(*code), message ? *message : as_view(in.rest())};
    }
    case static_cast<std::uint16_t>(Opcode::rrq):
    case static_cast<std::uint16_t>(Opcode::wrq):
    case static_cast<std::uint16_t>(Opcode::oack):
      return ParseError{ParseReason::unexpected_opcode};
    default:
      return ParseError{ParseReason::unknown_opcode};
  }
}

namespace {
Bytes finish(const ByteWriter& w) { return w.overflow() ? Bytes{} : w.written(); }
}  // namespace

Bytes build_error(ErrorCode code, std::string_view message, MutableBytes out) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::error));
  w.u16(static_cast<std::uint16_t>(code));
  w.cstring(message);
  return finish(w);
}

Bytes build_ack(std::uint16_t block, MutableBytes out) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::ack));
  w.u16(block);
  return finish(w);
}

Bytes build_oack(std::span<const Option> options, MutableBytes out) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(Opcode::oack));
  for (const Option& o : options) {
    w.cstring(o.name);
    w.cstring(o.value);
  }
  return finish(w);
}

std::array<std::uint8_t, 4> build_data_header(std::uint16_t block) {
  return {0, static_cast<std::uint8_t>(Opcode::data), static_cast<std::uint8_t>(block >> 8),
          static_cast<std::uint8_t>(block)};
}

}  // namespace ringboot::tftp
