// Decides the whole response to a request for a file: status, head bytes,
// and which byte range of the file the glue splices after the head.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.h"

namespace ringboot::http {

struct FileInfo {
  std::uint64_t size = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  std::uint64_t inode = 0;
};

// What the glue found when it opened and statx'ed the path. forbidden also
// covers resolve_target_path() == nullopt and EACCES/ELOOP/EXDEV from openat2.
enum class Lookup : std::uint8_t { ok, not_found, forbidden, is_directory, error };

struct ResponsePlan {
  int status = 0;
  std::string head;               // status line + headers + CRLF CRLF
  std::uint64_t body_offset = 0;  // file offset to splice from
  std::uint64_t body_length = 0;  // file bytes to splice; 0 for HEAD/304/416/errors
  std::string inline_body;        // small generated body (errors, /metrics); sent after head
  bool keep_alive = false;        // false: close after sending
};

inline constexpr std::int64_t kNoDate = -1;

// now_unix >= 0 adds a Date header and clamps Last-Modified to it (RFC 9110
// 8.8.2.1); kNoDate omits Date (the engine has no clock).
// Order (RFC 9110 13.2.2): method (405) -> lookup (403/404/500) ->
// If-None-Match, else If-Modified-Since (304) -> If-Range -> Range (206/416).
ResponsePlan plan_file_response(const Request& request, Lookup lookup, const FileInfo& file, std::string_view path,
                                std::int64_t now_unix = kNoDate);

// A generated response (/metrics, parser errors). 405 gets "Allow: GET, HEAD".
// head_only: headers as for GET (Content-Length of body) but no body.
ResponsePlan plan_simple(int status, std::string_view content_type, std::string body, bool keep_alive, bool head_only,
                         std::int64_t now_unix = kNoDate);
// plan_simple with header lines of the caller's ("Allow: PUT\r\n"...) and
// no Allow of its own (the API's responses).
ResponsePlan plan_with_headers(int status, std::string_view content_type, std::string_view headers, std::string body,
                               bool keep_alive, bool head_only, std::int64_t now_unix = kNoDate);
// plan_simple with a one-line text/plain body "<status> <reason>\n".
ResponsePlan plan_error(int status, bool keep_alive, bool head_only, std::int64_t now_unix = kNoDate);

std::string_view reason_phrase(int status);
// By basename/extension, case-insensitive; default application/octet-stream.
std::string_view content_type_for(std::string_view path);
// Strong validator: "\"<inode hex>-<size hex>-<mtime ns hex>\"" (quotes included).
std::string make_etag(const FileInfo& file);
// If-None-Match list ("*", weak comparison) against our etag.
bool if_none_match_matches(std::string_view header, std::string_view etag);

}  // namespace ringboot::http
