// TFTP wire format (RFC 1350, option extension RFC 2347): parsing of what
// clients send and building of what the server sends. Bad input is an error
// value, never an exception: the glue drops it and counts `malformed`.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"

namespace ringboot::tftp {

enum class Opcode : std::uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

enum class ErrorCode : std::uint16_t {
  undefined = 0,
  file_not_found = 1,
  access_violation = 2,
  disk_full = 3,
  illegal_operation = 4,
  unknown_tid = 5,
  file_exists = 6,
  no_such_user = 7,
  option_refused = 8,  // RFC 2347: option negotiation refused / transfer terminated
};

enum class Mode : std::uint8_t { octet, netascii };

// Names are lowercased at parse time; values are kept verbatim.
struct Option {
  std::string name;
  std::string value;
  friend bool operator==(const Option&, const Option&) = default;
};

// Bounds what one request can make us store; options past this are ignored
// like unknown ones (a request is at most one datagram anyway).
inline constexpr std::size_t kRequestOptionsMax = 16;

struct Request {
  Opcode op = Opcode::rrq;
  std::string filename;
  Mode mode = Mode::octet;
  std::vector<Option> options;  // in the client's order
};

enum class ParseReason : std::uint8_t {
  truncated,          // shorter than its opcode needs
  unknown_opcode,     // not 1..6
  unexpected_opcode,  // valid opcode where it does not belong (e.g. DATA on the listening socket)
  missing_nul,        // filename or mode without its NUL terminator
  bad_mode,           // not octet/netascii ("mail" is obsolete)
};

std::string_view to_string(ParseReason reason);

struct ParseError {
  ParseReason reason;
  std::string_view text() const { return to_string(reason); }
  friend bool operator==(ParseError, ParseError) = default;
};

// RRQ or WRQ from the listening socket.
std::variant<Request, ParseError> parse_request(Bytes datagram);

// Packets a client sends on a session socket. `payload`/`message` view into
// the datagram and are valid only as long as it is.
struct Data {
  std::uint16_t block = 0;
  Bytes payload;
};
struct Ack {
  std::uint16_t block = 0;
};
struct ErrorPacket {
  ErrorCode code = ErrorCode::undefined;  // unknown codes are kept as their number
  std::string_view message;
};
using SessionPacket = std::variant<ParseError, Data, Ack, ErrorPacket>;

SessionPacket parse_packet(Bytes datagram);

// Builders write into `out` and return the written prefix; an empty span
// means `out` was too small (a bug of the caller: size buffers from limits).
Bytes build_error(ErrorCode code, std::string_view message, MutableBytes out);
Bytes build_ack(std::uint16_t block, MutableBytes out);
Bytes build_oack(std::span<const Option> options, MutableBytes out);
std::array<std::uint8_t, 4> build_data_header(std::uint16_t block);

}  // namespace ringboot::tftp
