// What a pure engine's write-ahead lease journal looks like to it: the
// engine appends one record per lease change before it returns the reply
// that reveals it; the glue makes the records durable before that reply
// goes out (app/lease_journal.h). Shared by DHCPv4 and DHCPv6.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringboot {

class JournalSink {
 public:
  virtual ~JournalSink() = default;
  virtual void append(std::string_view line) = 0;  // one line, no '\n'
};

// What replaying a journal into a lease table did.
struct ReplayStats {
  std::size_t applied = 0;
  std::size_t malformed = 0;  // unparsable lines, e.g. a torn write at a crash
  std::size_t ignored = 0;    // addresses outside every subnet now, or the table is full
};

}  // namespace ringboot
