#include "app/lease_journal.h"

#include <algorithm>

#include "base/log.h"
#include "io/journal.h"

namespace ringboot {

LeaseJournal::~LeaseJournal() { close(); }

bool LeaseJournal::read(std::string* text, std::string* error) const { return io::read_file(path_, text, error); }

void LeaseJournal::append(std::string_view line) {
  text_.append(line);
  text_.push_back('\n');
  ++lines_;
}

bool LeaseJournal::flush(std::string* error) {
  if (text_.empty()) return true;
  bool durable = fd_ >= 0 && io::journal_append(fd_, text_, error);
  if (fd_ < 0) *error = "the lease file is not open";
  lines_since_compaction_ += lines_;
  text_.clear();
  lines_ = 0;
  return durable;
}

bool LeaseJournal::compact(const std::vector<std::string>& lines, std::int64_t now_unix, std::string* error) {
  if (!flush(error)) return false;
  std::string content;
  for (const std::string& line : lines) {
    content += line;
    content += '\n';
  }
  const int fd = io::journal_replace(path_, content, error);
  if (fd < 0) return false;
  io::journal_close(fd_);
  fd_ = fd;
  lines_since_compaction_ = 0;
  last_compaction_unix_ = now_unix;
  log(LogLevel::debug, events_ + ".compacted", "lease_file=\"{}\" records={} bytes={}", path_, lines.size(),
      content.size());
  return true;
}

bool LeaseJournal::compaction_due(std::size_t live, std::int64_t now_unix) const {
  if (lines_since_compaction_ == 0) return false;
  return lines_since_compaction_ >= std::max(kCompactLinesMin, live) ||
         now_unix - last_compaction_unix_ >= kCompactSeconds;
}

void LeaseJournal::close() {
  io::journal_close(fd_);
  fd_ = -1;
}

}  // namespace ringboot
