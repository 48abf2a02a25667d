// Durable files for the DHCP lease journal: an append-only descriptor whose
// appends reach the disk (fdatasync) before the caller goes on, whole-file
// reads for replay, and atomic replacement (write a temporary, fsync,
// rename over the old file, fsync the directory) for compaction.
// These calls block: they run on worker 0 between completion batches.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "io/privileges.h"

namespace ringboot::io {

// Opens (creating, mode 0640) `path` for appending. The directory must
// exist: -1 with *error saying so otherwise.
int journal_open(const std::string& path, std::string* error);
// write()s all of `bytes` (retrying short writes and EINTR), then fdatasync().
bool journal_append(int fd, std::string_view bytes, std::string* error);
// Writes `content` to "<path>.tmp", fsyncs it, renames it over `path` and
// fsyncs the directory. Returns the new file's descriptor, open for
// appending (the journal goes on in the compacted file), or -1 with *error.
int journal_replace(const std::string& path, std::string_view content, std::string* error);
// The whole file; a missing file is empty (first start). False with *error.
bool read_file(const std::string& path, std::string* out, std::string* error);
void journal_close(int fd);
// Creates the directory that holds `path` (mode 0750) when it is missing,
// owned by `owner` when there is one: the user ringboot drops to must be
// able to write the journal and its compactions there (or the machine
// store). The parent must exist; it is fsynced after the new entry. An
// existing directory is left as it is. False with *error, which names
// `what` is kept there and the `key` that moves it.
bool journal_directory_ensure(const std::string& path, const std::optional<UserIds>& owner, std::string* error,
                              std::string_view what = "lease file", std::string_view key = "dhcp.lease_file");
// Creates `path` empty with mode 0640 when it is missing (an existing file is
// left as it is): a file another library then opens, as SQLite opens the
// machine store (its -wal and -shm files take the database's mode), is
// private like the journal. False with *error.
bool file_ensure_private(const std::string& path, std::string* error);
// Takes an exclusive lock (flock) on `directory` for as long as the returned
// descriptor stays open: one ringboot per state directory. -1 with *error
// when another process holds it (or the directory cannot be opened).
int directory_lock(const std::string& directory, std::string* error);

}  // namespace ringboot::io
