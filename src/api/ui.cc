#include "api/ui.h"

#include <fmt/format.h>

#include "http/response.h"
#include "ui/assets.h"

namespace ringboot::api {

namespace {

constexpr std::string_view kPrefix = "/ui/";

// What every file carries: revalidate each time (the binary's upgrade changes
// them), and the browser runs only our own script, styles and fetches.
constexpr std::string_view kFileHeaders =
    "Cache-Control: no-cache\r\n"
    "Content-Security-Policy: default-src 'self'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n";

const ui::Asset* asset_of(std::string_view path) {
  std::string_view name = path.substr(kPrefix.size());
  if (name.empty()) name = "index.html";
  for (const ui::Asset& a : ui::assets())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace

bool is_ui(std::string_view path) {
  return path == "/ui" || (path.starts_with(kPrefix) && path != kUiLoginPath && path != kUiLogoutPath);
}

Response ui(const Request& request, std::optional<std::string_view> if_none_match) {
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = error(405, fmt::format("{} is not allowed here (allowed: GET, HEAD)", request.method.substr(0, 16)),
                       Endpoint::ui);
    r.allow = "GET, HEAD";
    return r;
  }
  if (request.path == "/ui") {
    Response r;
    r.status = 301;
    r.endpoint = Endpoint::ui;
    r.content_type = "text/plain; charset=utf-8";
    r.headers = "Location: /ui/\r\n";
    r.body = "/ui/\n";
    return r;
  }
  const ui::Asset* asset = asset_of(request.path);
  if (asset == nullptr) return error(404, "no such file of the page under /ui/", Endpoint::ui);
  Response r;
  r.endpoint = Endpoint::ui;
  r.content_type = std::string(asset->content_type);
  r.headers = fmt::format("{}ETag: {}\r\n", kFileHeaders, asset->etag);
  // A 304 keeps the body, unsent, for its Content-Length: the 200's (RFC 9110 8.6).
  r.status = if_none_match && http::if_none_match_matches(*if_none_match, asset->etag) ? 304 : 200;
  r.body = std::string(asset->bytes);
  return r;
}

}  // namespace ringboot::api
