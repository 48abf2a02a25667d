// The /ui/ page on the API listener: a path to one of the files embedded in
// the binary (ui/assets.h). Pure, like the rest of the API. The files hold
// no data and need no token; what the page then fetches (/api/v1/...) does.
//   GET /ui          301 to /ui/
//   GET /ui/         index.html
//   GET /ui/NAME     app.js, style.css (any embedded file by its name)
// Each answer has its Content-Type, Cache-Control: no-cache with an ETag
// (If-None-Match: 304), a Content-Security-Policy of default-src 'self'
// (the page runs no inline script and loads nothing from elsewhere) and
// X-Content-Type-Options: nosniff. Another path under /ui/ is 404, another
// method than GET and HEAD 405. POST /ui/login (the session) is not a file:
// is_ui() leaves it to handle().
#pragma once

#include <optional>
#include <string_view>

#include "api/service.h"

namespace ringboot::api {

inline constexpr std::string_view kUiLoginPath = "/ui/login";
inline constexpr std::string_view kUiLogoutPath = "/ui/logout";  // the API's too (api/service.h)

// "/ui" and every path under "/ui/" but kUiLoginPath and kUiLogoutPath.
bool is_ui(std::string_view path);
// `if_none_match`: the request's If-None-Match header, if any.
Response ui(const Request& request, std::optional<std::string_view> if_none_match);

}  // namespace ringboot::api
