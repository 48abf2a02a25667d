// HTTP/1.1 request-head parser over llhttp. Pure: bytes in, a Request out.
//
// feed() parses at most ONE request head and then stops, so pipelined
// requests are answered one at a time, in order. A request that announces a
// body (Content-Length > 0 or any Transfer-Encoding) is returned `ready`
// with keep_alive = false and has_body = true, its body unread, and the
// connection must close after the response: boot clients (iPXE, curl, UEFI
// HTTP boot) never send bodies on GET/HEAD, and refusing to read one keeps
// the file routes out of request-smuggling and body-buffering trouble.
// Only a caller that wants the body (the API and the installer callbacks)
// asks for it with read_body(), bounded, and by Content-Length only: a
// chunked body is refused (411). llhttp has already refused a request that
// carries both framings or two lengths.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace ringboot::http {

enum class Method : std::uint8_t { get, head, other };

struct Request {
  Method method = Method::other;
  std::string method_name;  // as sent, for logs and 405 accounting
  std::string target;       // raw request-target
  std::string path;         // percent-decoded path part; query and fragment stripped
  int version_minor = 1;    // HTTP/1.<minor>; major is always 1 (else 505)
  bool keep_alive = true;   // llhttp_should_keep_alive, forced false when has_body
  bool has_body = false;    // body announced but not read: close after responding
  std::optional<std::string> range;
  std::optional<std::string> if_range;
  std::optional<std::string> if_none_match;
  std::optional<std::string> if_modified_since;
  std::optional<std::string> host;
  std::optional<std::string> authorization;
  std::optional<std::string> content_type;
  std::optional<std::string> cookie;            // the API's page session
  std::optional<std::string> last_event_id;     // the API's event stream (resume)
  std::optional<std::uint64_t> content_length;  // as announced; nullopt: none
  bool chunked = false;                         // any Transfer-Encoding
  std::string body;                             // filled by read_body() only
};

struct ParserLimits {
  std::size_t header_bytes_max = 8192;  // request line + headers + blank line
  std::size_t headers_max = 64;
  std::size_t target_bytes_max = 4096;
};

enum class ParseStatus : std::uint8_t { need_more, ready, error };

struct Feed {
  std::size_t consumed = 0;  // bytes of `data` absorbed; the caller drops them
  ParseStatus status = ParseStatus::need_more;
  int error_status = 0;  // 400, 414, 431, 501, 505 when status == error
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});
  // llhttp keeps a pointer to this object.
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // need_more: every byte was absorbed (copied); feed the next bytes.
  // ready: request() is valid; bytes after `consumed` belong to the next request.
  //   Further feeds return {0, ready} until reset().
  // error: answer error_status with Connection: close; further feeds repeat it.
  Feed feed(Bytes data);
  const Request& request() const { return request_; }
  // After `ready` with has_body: the next feeds read the body into
  // request().body (ready again once it is whole; keep_alive is then what
  // the head asked for). Returns 0, or the status to answer instead, the
  // body unread: 411 for a body without Content-Length (chunked), 413 for
  // one over `bytes_max`. The caller answers those with Connection: close.
  int read_body(std::size_t bytes_max);
  // Forget the current request; the next feed starts a new head.
  void reset();
  // True once any byte of the current head has been fed (starts the header timeout).
  bool started() const { return head_bytes_ > 0; }

 private:
  enum class State : std::uint8_t { parsing, ready, body, failed };
  enum class Slot : std::uint8_t {
    none,
    range,
    if_range,
    if_none_match,
    if_modified_since,
    host,
    authorization,
    content_type,
    cookie,
    last_event_id
  };

  static int on_method(llhttp_t* p, const char* at, std::size_t length);
  static int on_version(llhttp_t* p, const char* at, std::size_t length);
  static int on_url(llhttp_t* p, const char* at, std::size_t length);
  static int on_header_field(llhttp_t* p, const char* at, std::size_t length);
  static int on_header_field_complete(llhttp_t* p);
  static int on_header_value(llhttp_t* p, const char* at, std::size_t length);
  static int on_headers_complete(llhttp_t* p);
  static const llhttp_settings_t& settings();

  int fail_in_callback(int status);
  bool head_too_big(const char* at, std::size_t length) const;
  std::optional<std::string>* slot_value();
  int finish_head();
  Feed fail(int status, std::size_t consumed);
  Feed feed_body(Bytes data);

  ParserLimits limits_;
  llhttp_t parser_{};
  Request request_;
  State state_ = State::parsing;
  int error_status_ = 0;
  std::size_t head_bytes_ = 0;       // bytes absorbed by earlier feeds of this head
  const char* feed_base_ = nullptr;  // start of the current feed, for byte positions
  std::size_t headers_ = 0;
  std::string field_;
  Slot slot_ = Slot::none;
  bool host_seen_ = false;
  bool keep_alive_after_body_ = false;  // the head's keep-alive, once its body is read
  static constexpr std::size_t kLineStartBytes = 32;
  static constexpr std::size_t kVersionBytes = 8;
  bool method_token_unknown() const;
  std::string line_start_;  // first bytes of the head: 501 vs 400 for an unknown method
  std::string version_;     // "1.1" as sent: 505 vs 400 for a bad version
};

// Percent-decodes a path (no '+' rule: that is for forms). nullopt on a
// malformed escape ("%", "%4", "%zz"), which is answered 400.
std::optional<std::string> percent_decode(std::string_view encoded);

}  // namespace ringboot::http
