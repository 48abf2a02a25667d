#include "http/request.h"

#include <algorithm>
#include <cctype>

namespace ringboot::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// origin-form "/p?q", absolute-form "http://host/p?q" (RFC 9112 3.2.2: a
// server MUST accept it), asterisk-form "*" -> "" (refused later).
std::string_view path_part(std::string_view target) {
  const std::size_t scheme = target.find("://");
  if (scheme != std::string_view::npos && target.front() != '/') {
    const std::size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view{} : target.substr(slash);
  }
  const std::size_t end = target.find_first_of("?#");
  if (end != std::string_view::npos) target = target.substr(0, end);
  if (target == "*") return {};
  return target;
}

// tchar, RFC 9110 5.6.2.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

RequestParser* self(llhttp_t* p) { return static_cast<RequestParser*>(p->data); }

}  // namespace

std::optional<std::string> percent_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out.push_back(encoded[i]);
      continue;
    }
    if (encoded.size() - i < 3) return std::nullopt;
    const int hi = hex_value(encoded[i + 1]);
    const int lo = hex_value(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

const llhttp_settings_t& RequestParser::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t v;
    llhttp_settings_init(&v);
    v.on_method = &RequestParser::on_method;
    v.on_url = &RequestParser::on_url;
    v.on_version = &RequestParser::on_version;
    v.on_header_field = &RequestParser::on_header_field;
    v.on_header_field_complete = &RequestParser::on_header_field_complete;
    v.on_header_value = &RequestParser::on_header_value;
    v.on_headers_complete = &RequestParser::on_headers_complete;
    return v;
  }();
  return s;
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
}

void RequestParser::reset() {
  llhttp_reset(&parser_);
  request_ = Request{};
  state_ = State::parsing;
  error_status_ = 0;
  head_bytes_ = 0;
  headers_ = 0;
  field_.clear();
  slot_ = Slot::none;
  host_seen_ = false;
  keep_alive_after_body_ = false;
  line_start_.clear();
  version_.clear();
}

bool RequestParser::method_token_unknown() const {
  const std::size_t space = line_start_.find(' ');
  if (space == 0 || space == std::string::npos) return false;
  for (std::size_t i = 0; i < space; ++i) {
    const char c = line_start_[i];
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return false;
  }
  return true;
}

Feed RequestParser::fail(int status, std::size_t consumed) {
  state_ = State::failed;
  error_status_ = status;
  request_.keep_alive = false;
  return {consumed, ParseStatus::error, status};
}

int RequestParser::read_body(std::size_t bytes_max) {
  if (state_ != State::ready || !request_.has_body) return 0;
  if (request_.chunked || !request_.content_length) return 411;
  if (*request_.content_length > bytes_max) return 413;
  request_.body.reserve(static_cast<std::size_t>(*request_.content_length));
  state_ = State::body;
  return 0;
}

Feed RequestParser::feed_body(Bytes data) {
  const std::size_t want = static_cast<std::size_t>(*request_.content_length) - request_.body.size();
  const std::size_t take = std::min(want, data.size());
  request_.body.append(reinterpret_cast<const char*>(data.data()), take);
  if (take < want) return {take, ParseStatus::need_more, 0};
  state_ = State::ready;
  request_.keep_alive = keep_alive_after_body_;
  return {take, ParseStatus::ready, 0};
}

Feed RequestParser::feed(Bytes data) {
  if (state_ == State::ready) return {0, ParseStatus::ready, 0};
  if (state_ == State::body) return feed_body(data);
  if (state_ == State::failed) return {0, ParseStatus::error, error_status_};
  if (data.empty()) return {0, ParseStatus::need_more, 0};
  for (std::size_t i = 0; i < data.size() && line_start_.size() < kLineStartBytes; ++i) {
    line_start_.push_back(static_cast<char>(data[i]));
  }

  const char* begin = reinterpret_cast<const char*>(data.data());
  feed_base_ = begin;
  const llhttp_errno_t err = llhttp_execute(&parser_, begin, data.size());
  const char* pos = llhttp_get_error_pos(&parser_);
  const std::size_t at = (pos != nullptr && pos >= begin) ? static_cast<std::size_t>(pos - begin) : data.size();

  if (err == HPE_OK) {
    head_bytes_ += data.size();
    // Also catches heads that grow without calling a span callback (folded whitespace).
    if (head_bytes_ > limits_.header_bytes_max) return fail(431, data.size());
    return {data.size(), ParseStatus::need_more, 0};
  }
  if (err == HPE_PAUSED) {
    // Paused in on_headers_complete: error_pos is just past the final LF.
    const std::size_t consumed = at;
    head_bytes_ += consumed;
    if (head_bytes_ > limits_.header_bytes_max) return fail(431, consumed);
    state_ = State::ready;
    return {consumed, ParseStatus::ready, 0};
  }
  // Our callbacks chose the status; llhttp reports them as HPE_USER or HPE_CB_*.
  if (error_status_ != 0) return fail(error_status_, at);
  // "HTTP/2.0" or "HTTP/3.1" is 505; "HTTP/1.1 junk" or "HTTP/x" is 400.
  if (err == HPE_INVALID_VERSION) return fail(version_.size() == 3 && version_[0] != '1' ? 505 : 400, at);
  // An unknown but well-formed method token ("BREW /") is 501 (RFC 9110 9.1);
  // "GET/" or binary junk (a TLS ClientHello) is 400.
  if (err == HPE_INVALID_METHOD) return fail(method_token_unknown() ? 501 : 400, at);
  return fail(400, at);
}

bool RequestParser::head_too_big(const char* at, std::size_t length) const {
  const auto in_feed = static_cast<std::size_t>(at - feed_base_) + length;
  return head_bytes_ + in_feed > limits_.header_bytes_max;
}

int RequestParser::fail_in_callback(int status) {
  error_status_ = status;
  return HPE_USER;
}

int RequestParser::on_method(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& s = *self(p);
  if (s.head_too_big(at, length)) return s.fail_in_callback(431);
  s.request_.method_name.append(at, length);
  return 0;
}

int RequestParser::on_version(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& s = *self(p);
  if (length > kVersionBytes - std::min(kVersionBytes, s.version_.size())) return 0;  // kept only to pick 400 vs 505
  s.version_.append(at, length);
  return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& s = *self(p);
  if (length > s.limits_.target_bytes_max - s.request_.target.size()) return s.fail_in_callback(414);
  if (s.head_too_big(at, length)) return s.fail_in_callback(431);
  s.request_.target.append(at, length);
  return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& s = *self(p);
  if (s.head_too_big(at, length)) return s.fail_in_callback(431);
  s.field_.append(at, length);
  return 0;
}

int RequestParser::on_header_field_complete(llhttp_t* p) {
  RequestParser& s = *self(p);
  if (++s.headers_ > s.limits_.headers_max) return s.fail_in_callback(431);
  const std::string_view f = s.field_;
  // RFC 9112 5.1: whitespace between name and colon MUST be a 400 (llhttp 8.1 lets it by).
  if (!is_token(f)) return s.fail_in_callback(400);
  s.slot_ = iequals(f, "range")               ? Slot::range
            : iequals(f, "if-range")          ? Slot::if_range
            : iequals(f, "if-none-match")     ? Slot::if_none_match
            : iequals(f, "if-modified-since") ? Slot::if_modified_since
            : iequals(f, "host")              ? Slot::host
            : iequals(f, "authorization")     ? Slot::authorization
            : iequals(f, "content-type")      ? Slot::content_type
            : iequals(f, "cookie")            ? Slot::cookie
            : iequals(f, "last-event-id")     ? Slot::last_event_id
                                              : Slot::none;
  s.field_.clear();
  if (s.slot_ == Slot::host) {
    // RFC 9112 3.2: more than one Host is a 400.
    if (s.host_seen_) return s.fail_in_callback(400);
    s.host_seen_ = true;
  }
  std::optional<std::string>* v = s.slot_value();
  // A repeated field is one comma-joined list (RFC 9110 5.3). For Range that
  // makes several ranges (served in full); for a date, an unparsable one (ignored).
  if (v != nullptr) {
    if (v->has_value()) {
      (*v)->append(", ");
    } else {
      v->emplace();
    }
  }
  return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, std::size_t length) {
  RequestParser& s = *self(p);
  if (s.head_too_big(at, length)) return s.fail_in_callback(431);
  std::optional<std::string>* v = s.slot_value();
  if (v != nullptr) (*v)->append(at, length);
  return 0;
}

std::optional<std::string>* RequestParser::slot_value() {
  switch (slot_) {
    case Slot::range:
      return &request_.range;
    case Slot::if_range:
      return &request_.if_range;
    case Slot::if_none_match:
      return &request_.if_none_match;
    case Slot::if_modified_since:
      return &request_.if_modified_since;
    case Slot::host:
      return &request_.host;
    case Slot::authorization:
      return &request_.authorization;
    case Slot::content_type:
      return &request_.content_type;
    case Slot::cookie:
      return &request_.cookie;
    case Slot::last_event_id:
      return &request_.last_event_id;
    case Slot::none:
      return nullptr;
  }
  return nullptr;
}

int RequestParser::on_headers_complete(llhttp_t* p) { return self(p)->finish_head(); }

int RequestParser::finish_head() {
  Request& r = request_;
  if (llhttp_get_http_major(&parser_) != 1) return fail_in_callback(505);
  r.version_minor = llhttp_get_http_minor(&parser_);
  const auto method = static_cast<llhttp_method_t>(llhttp_get_method(&parser_));
  r.method = method == HTTP_GET ? Method::get : method == HTTP_HEAD ? Method::head : Method::other;
  // RFC 9112 3.2: an HTTP/1.1 request without Host is a 400.
  if (r.version_minor >= 1 && !r.host.has_value()) return fail_in_callback(400);
  for (auto* v : {&r.range, &r.if_range, &r.if_none_match, &r.if_modified_since, &r.host, &r.authorization,
                  &r.content_type, &r.cookie, &r.last_event_id}) {
    if (v->has_value()) **v = std::string(trim(**v));
  }
  std::optional<std::string> decoded = percent_decode(path_part(r.target));
  if (!decoded) return fail_in_callback(400);
  r.path = std::move(*decoded);
  r.chunked = (parser_.flags & (F_CHUNKED | F_TRANSFER_ENCODING)) != 0;
  if ((parser_.flags & F_CONTENT_LENGTH) != 0) r.content_length = parser_.content_length;
  r.has_body = parser_.content_length > 0 || r.chunked;
  // CONNECT or Upgrade: we never switch protocols; answer and close.
  keep_alive_after_body_ = llhttp_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0;
  r.keep_alive = keep_alive_after_body_ && !r.has_body;
  return HPE_PAUSED;
}

}  // namespace ringboot::http
