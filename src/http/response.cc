#include "http/response.h"

#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "http/date.h"
#include "http/range.h"

namespace ringboot::http {
namespace {

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kOctetStream = "application/octet-stream";

bool iends_with(std::string_view s, std::string_view suffix) {
  if (suffix.size() > s.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != suffix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The header lines every response carries, after the status line.
void begin_head(std::string& head, int status, std::int64_t now_unix) {
  fmt::format_to(std::back_inserter(head), "HTTP/1.1 {} {}\r\nServer: ringboot\r\n", status, reason_phrase(status));
  if (now_unix >= 0) fmt::format_to(std::back_inserter(head), "Date: {}\r\n", format_imf_fixdate(now_unix));
}

// Explicit either way: HTTP/1.0 clients need "keep-alive" spelled out, and
// it costs 1.1 clients nothing.
void end_head(std::string& head, bool keep_alive) {
  head.append(keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

// If-Range (RFC 9110 13.1.5): strong comparison with our ETag, or an exact
// Last-Modified date. A weak tag never matches. No match -> ignore Range.
bool if_range_matches(std::string_view value, std::string_view etag, std::int64_t last_modified) {
  value = trim(value);
  if (value.starts_with("W/")) return false;
  if (value.starts_with('"')) return value == etag;
  const std::optional<std::int64_t> date = parse_imf_fixdate(value);
  return date && *date == last_modified;
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view content_type_for(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  struct Rule {
    std::string_view suffix;
    std::string_view type;
  };
  static constexpr std::array<Rule, 12> kRules = {{
      {".ipxe", kTextPlain},
      {".txt", kTextPlain},
      {".cfg", kTextPlain},
      {".conf", kTextPlain},
      {".sh", kTextPlain},
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".efi", "application/efi"},
      {".iso", "application/x-iso9660-image"},
      {".json", "application/json"},
      {".xml", "application/xml"},
      {".css", "text/css"},
  }};
  for (const Rule& r : kRules) {
    if (iends_with(base, r.suffix)) return r.type;
  }
  // .img .kpxe .pxe .lkrn .gz .xz .zst, vmlinuz*, linux, initrd*: opaque bytes.
  // A .gz is the file itself, so no Content-Encoding.
  return kOctetStream;
}

std::string make_etag(const FileInfo& file) {
  const std::uint64_t mtime_ns =
      static_cast<std::uint64_t>(file.mtime_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(file.mtime_nsec);
  return fmt::format("\"{:x}-{:x}-{:x}\"", file.inode, file.size, mtime_ns);
}

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  std::string_view rest = trim(header);
  if (rest == "*") return true;
  // Weak comparison (RFC 9110 8.8.3.2): W/ is dropped, opaque tags compared.
  // Commas may sit inside quotes, so walk tags rather than split on ','.
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ',' || rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (rest.empty()) break;
    if (rest.starts_with("W/")) rest.remove_prefix(2);
    if (rest.empty() || rest.front() != '"') return false;  // malformed list: no match
    const std::size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) return false;
    if (rest.substr(0, close + 1) == etag) return true;
    rest.remove_prefix(close + 1);
  }
  return false;
}

ResponsePlan plan_with_headers(int status, std::string_view content_type, std::string_view headers, std::string body,
                               bool keep_alive, bool head_only, std::int64_t now_unix) {
  ResponsePlan plan;
  plan.status = status;
  plan.keep_alive = keep_alive;
  begin_head(plan.head, status, now_unix);
  if (!content_type.empty()) fmt::format_to(std::back_inserter(plan.head), "Content-Type: {}\r\n", content_type);
  fmt::format_to(std::back_inserter(plan.head), "Content-Length: {}\r\n", body.size());
  plan.head.append(headers);
  end_head(plan.head, keep_alive);
  if (!head_only) plan.inline_body = std::move(body);
  return plan;
}

ResponsePlan plan_simple(int status, std::string_view content_type, std::string body, bool keep_alive, bool head_only,
                         std::int64_t now_unix) {
  return plan_with_headers(status, content_type, status == 405 ? "Allow: GET, HEAD\r\n" : "", std::move(body),
                           keep_alive, head_only, now_unix);
}

ResponsePlan plan_error(int status, bool keep_alive, bool head_only, std::int64_t now_unix) {
  return plan_simple(status, kTextPlain, fmt::format("{} {}\n", status, reason_phrase(status)), keep_alive, head_only,
                     now_unix);
}

ResponsePlan plan_file_response(const Request& request, Lookup lookup, const FileInfo& file, std::string_view path,
                                std::int64_t now_unix) {
  const bool keep_alive = request.keep_alive;
  const bool head_only = request.method == Method::head;
  if (request.method == Method::other) return plan_error(405, keep_alive, false, now_unix);
  switch (lookup) {
    case Lookup::ok:
      break;
    case Lookup::not_found:
      return plan_error(404, keep_alive, head_only, now_unix);
    case Lookup::forbidden:
    case Lookup::is_directory:
      return plan_error(403, keep_alive, head_only, now_unix);
    case Lookup::error:
      return plan_error(500, keep_alive, head_only, now_unix);
  }

  const std::string etag = make_etag(file);
  // Never claim a modification later than the Date we send (RFC 9110 8.8.2.1).
  const std::int64_t last_modified = now_unix >= 0 && file.mtime_sec > now_unix ? now_unix : file.mtime_sec;
  const std::string last_modified_text = format_imf_fixdate(last_modified);

  bool not_modified = false;
  if (request.if_none_match) {
    not_modified = if_none_match_matches(*request.if_none_match, etag);
  } else if (request.if_modified_since) {
    const std::optional<std::int64_t> since = parse_imf_fixdate(*request.if_modified_since);
    not_modified = since && last_modified <= *since;  // unparsable date: ignored
  }

  ResponsePlan plan;
  plan.keep_alive = keep_alive;
  auto out = std::back_inserter(plan.head);
  if (not_modified) {
    plan.status = 304;
    begin_head(plan.head, 304, now_unix);
    fmt::format_to(out, "Last-Modified: {}\r\nETag: {}\r\n", last_modified_text, etag);
    end_head(plan.head, keep_alive);
    return plan;
  }

  ByteRange range;  // full
  // Range is defined for GET only (RFC 9110 14.2); HEAD ignores it.
  if (request.range && request.method == Method::get &&
      (!request.if_range || if_range_matches(*request.if_range, etag, last_modified))) {
    range = parse_range(*request.range, file.size);
  }

  if (range.kind == ByteRange::Kind::unsatisfiable) {
    plan.status = 416;
    begin_head(plan.head, 416, now_unix);
    fmt::format_to(out, "Content-Length: 0\r\nContent-Range: bytes */{}\r\n", file.size);
    end_head(plan.head, keep_alive);
    return plan;
  }

  const bool partial = range.kind == ByteRange::Kind::partial;
  plan.status = partial ? 206 : 200;
  plan.body_offset = partial ? range.offset : 0;
  const std::uint64_t length = partial ? range.length : file.size;
  begin_head(plan.head, plan.status, now_unix);
  fmt::format_to(out,
                 "Content-Type: {}\r\nContent-Length: {}\r\nLast-Modified: {}\r\nETag: {}\r\nAccept-Ranges: bytes\r\n",
                 content_type_for(path), length, last_modified_text, etag);
  if (partial) {
    fmt::format_to(out, "Content-Range: bytes {}-{}/{}\r\n", range.offset, range.offset + range.length - 1, file.size);
  }
  end_head(plan.head, keep_alive);
  plan.body_length = head_only ? 0 : length;
  return plan;
}

}  // namespace ringboot::http
