// The admin API's bearer tokens: one `ROLE TOKEN [NAME]` a line of the
// [api] tokens_file. A read token may look, an admin token may also change.
// The name is who the audit log says made a change; without one it is the
// role and the token's first characters, never the whole token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringboot::api {

enum class Role : std::uint8_t { read, admin };
std::string_view to_string(Role role);

inline constexpr std::size_t kTokenBytesMin = 16;
inline constexpr std::size_t kTokenBytesMax = 256;
inline constexpr std::size_t kTokenNameBytesMax = 64;
inline constexpr std::size_t kTokensMax = 1024;

struct ApiToken {
  Role role = Role::read;
  std::string secret;
  std::string name;  // may be empty
  // Who the audit log names: the name, else "ROLE:abcd..." (4 characters of the token).
  std::string who() const;
};

struct TokenFileError {
  std::uint32_t line = 0;  // 0: the file as a whole
  std::string reason;
};

struct ParsedTokens {
  std::vector<ApiToken> tokens;
  std::vector<TokenFileError> errors;
};

// Blank lines and lines starting with '#' are skipped. A token is 16..256
// characters of RFC 6750's b64token (letters, digits, "-._~+/", trailing
// '='); a name 1..64 of letters, digits and "._@-". A bad line, a token or
// name given twice, or a file without a token is an error.
ParsedTokens parse_tokens(std::string_view text);

class TokenTable {
 public:
  TokenTable() = default;
  explicit TokenTable(std::vector<ApiToken> tokens) : tokens_(std::move(tokens)) {}
  // The token `presented` is, or null. Every token is compared, each in
  // time that does not depend on where a guess first differs.
  const ApiToken* find(std::string_view presented) const;
  bool empty() const { return tokens_.empty(); }
  std::size_t size() const { return tokens_.size(); }

 private:
  std::vector<ApiToken> tokens_;
};

// Every byte of `secret` compared whatever the first difference; false when
// the lengths differ (the time then says only the length of the guess).
bool constant_time_equal(std::string_view secret, std::string_view guess);

}  // namespace ringboot::api
