#include "api/tokens.h"

#include <fmt/format.h>

#include <algorithm>

namespace ringboot::api {

namespace {

bool b64token_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool b64token(std::string_view t) {
  const std::size_t end = t.find_last_not_of('=');
  if (end == std::string_view::npos) return false;
  return std::all_of(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(end) + 1, b64token_char);
}

bool name_ok(std::string_view n) {
  return !n.empty() && n.size() <= kTokenNameBytesMax && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
           c == '@' || c == '-';
  });
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

std::string_view to_string(Role role) { return role == Role::admin ? "admin" : "read"; }

std::string ApiToken::who() const {
  if (!name.empty()) return name;
  return fmt::format("{}:{}...", to_string(role), std::string_view(secret).substr(0, 4));
}

ParsedTokens parse_tokens(std::string_view text) {
  ParsedTokens out;
  std::uint32_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<std::string_view> f = fields_of(line);
    if (f.empty() || f[0].front() == '#') continue;
    auto error = [&](std::string reason) { out.errors.push_back(TokenFileError{number, std::move(reason)}); };
    if (f.size() < 2 || f.size() > 3) {
      error("want ROLE TOKEN [NAME], ROLE read or admin");
      continue;
    }
    ApiToken t;
    if (f[0] == "admin") {
      t.role = Role::admin;
    } else if (f[0] != "read") {
      // The line may hold a token in the wrong column: never repeat what is on it.
      error("the role must be read or admin");
      continue;
    }
    if (f[1].size() < kTokenBytesMin || f[1].size() > kTokenBytesMax) {
      error(fmt::format("the token must be {}..{} characters (head -c 32 /dev/urandom | base64)", kTokenBytesMin,
                        kTokenBytesMax));
      continue;
    }
    if (!b64token(f[1])) {
      error("the token may hold only letters, digits and -._~+/ (and = at its end)");
      continue;
    }
    if (f.size() == 3 && !name_ok(f[2])) {
      error(fmt::format("the name must be 1..{} letters, digits or ._@-", kTokenNameBytesMax));
      continue;
    }
    t.secret = std::string(f[1]);
    if (f.size() == 3) t.name = std::string(f[2]);
    const bool same_token = std::any_of(out.tokens.begin(), out.tokens.end(),
                                        [&](const ApiToken& other) { return other.secret == t.secret; });
    if (same_token) {
      error("this token is on an earlier line too");
      continue;
    }
    const bool same_name = !t.name.empty() && std::any_of(out.tokens.begin(), out.tokens.end(),
                                                          [&](const ApiToken& other) { return other.name == t.name; });
    if (same_name) {
      error(fmt::format("the name \"{}\" is on an earlier line too", t.name));
      continue;
    }
    if (out.tokens.size() == kTokensMax) {
      error(fmt::format("more than {} tokens", kTokensMax));
      break;
    }
    out.tokens.push_back(std::move(t));
  }
  if (out.tokens.empty() && out.errors.empty())
    out.errors.push_back(TokenFileError{0, "holds no token: the API would answer every request 401"});
  return out;
}

bool constant_time_equal(std::string_view secret, std::string_view guess) {
  // The loop runs over our secret whatever the guess; the difference is
  // accumulated, never tested inside it.
  unsigned diff = secret.size() != guess.size() ? 1u : 0u;
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const auto g = static_cast<unsigned char>(i < guess.size() ? guess[i] : 0);
    diff |= static_cast<unsigned char>(secret[i]) ^ g;
  }
  return diff == 0;
}

const ApiToken* TokenTable::find(std::string_view presented) const {
  const ApiToken* found = nullptr;
  for (const ApiToken& t : tokens_) {
    const bool same = constant_time_equal(t.secret, presented);
    if (same && found == nullptr) found = &t;  // no early exit: every token is compared
  }
  return found;
}

}  // namespace ringboot::api
