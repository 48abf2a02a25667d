// The query part of a request-target ("/ipxe?mac=52-54-00-12-34-56&uuid=...").
// Pure; Request::path has it stripped, Request::target keeps it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringboot::http {

// The first `name=value` of the target's query, percent-decoded, with '+' as
// a space (what forms send). nullopt: no query, no such name, or a malformed
// escape in its value (a value that cannot be decoded is not a value). A
// name without '=' has the empty value. The fragment is never part of it.
std::optional<std::string> query_value(std::string_view target, std::string_view name);
// Every name=value pair of the target's query, in order, percent-decoded
// ('+' a space); nullopt on a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> query_pairs(std::string_view target);

// The target with the value of every `name=` in its query replaced by
// "<redacted>", for logs: a credential in a URL (the installer callbacks'
// token) must not reach them.
std::string redact_query_value(std::string_view target, std::string_view name);

}  // namespace ringboot::http
