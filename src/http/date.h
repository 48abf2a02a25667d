// IMF-fixdate (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT", and RFC 3339. Pure, no tz.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringboot::http {

std::string format_imf_fixdate(std::int64_t unix_seconds);
// RFC 3339 in UTC, to the second: "1994-11-06T08:49:37Z" (the API's times).
std::string format_rfc3339(std::int64_t unix_seconds);
// Only IMF-fixdate is accepted; the obsolete RFC 850 and asctime forms give
// nullopt and an If-Modified-Since in them is ignored (a full 200, never wrong).
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text);

}  // namespace ringboot::http
