// A write-ahead lease journal file, the glue half of base/journal_sink.h,
// shared by the DHCPv4 and DHCPv6 services (group commit).
//
// The engine appends records while it handles a batch of datagrams; the
// service holds every reply that follows a record (pending() is true) and,
// at the end of the batch, flush() writes the records and fdatasync()s them
// before the held replies go out. So a `kill -9` at any moment loses no
// lease a client was told of, and one fdatasync covers a whole batch.
// compact() replaces the file with the table's snapshot (a temporary,
// fsync, rename, fsync of the directory): at start after replay, when
// compaction_due(), and at shutdown. These calls block the worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/journal_sink.h"

namespace ringboot {

class LeaseJournal final : public JournalSink {
 public:
  // `events`: the log events' prefix ("dhcp" logs "dhcp.compacted").
  LeaseJournal(std::string path, std::string_view events) : path_(std::move(path)), events_(events) {}
  ~LeaseJournal() override;
  LeaseJournal(const LeaseJournal&) = delete;
  LeaseJournal& operator=(const LeaseJournal&) = delete;

  const std::string& path() const { return path_; }
  // The whole file for replay ("" on a first start). False with *error.
  bool read(std::string* text, std::string* error) const;
  void append(std::string_view line) override;
  // Records buffered since the last flush: replies must wait for it.
  bool pending() const { return !text_.empty(); }
  // Makes the buffered records durable. False with *error when they could not
  // be (no file open, a write or fdatasync failed): they are dropped, so the
  // replies held behind them must be too (the clients retry).
  bool flush(std::string* error);
  // Flushes, then writes `lines` as the new file and goes on appending there.
  bool compact(const std::vector<std::string>& lines, std::int64_t now_unix, std::string* error);
  // After max(kCompactLinesMin, live) lines since the last compaction, or kCompactSeconds.
  bool compaction_due(std::size_t live, std::int64_t now_unix) const;
  void close();

  static constexpr std::size_t kCompactLinesMin = 10000;
  static constexpr std::int64_t kCompactSeconds = 300;

 private:
  std::string path_;
  std::string events_;
  int fd_ = -1;
  std::string text_;
  std::size_t lines_ = 0;  // in text_
  std::size_t lines_since_compaction_ = 0;
  std::int64_t last_compaction_unix_ = 0;
};

}  // namespace ringboot
