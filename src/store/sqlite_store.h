// The embedded machine store: one SQLite file (<state_dir>/machines.db) in
// WAL mode with synchronous=FULL, so a committed transaction is fsynced; one
// transaction per batch (the writer's group commit), prepared statements,
// the schema version in PRAGMA user_version and the file's kind in PRAGMA
// application_id. Tables: `machines`, one row per MAC with a column per
// stored field (labels as JSON text), and `events`, the installer's
// messages (mac, position, unix, message as a BLOB: a message is the
// installer's bytes, not necessarily UTF-8, so not JSON).
//
// Why SQLite and not the lease journal (src/io/journal.*, text lines
// appended and fdatasynced, replayed at start, compacted by rewriting the
// whole table into a temporary file and renaming it):
//  - The journal fits leases: a short fixed record per ACK, a few dozen
//    bytes, and a table small enough to rewrite every 10,000 lines. A
//    machine is a big, variable record (up to events_max x event_bytes_max
//    of installer messages, 16 KiB by default, plus labels) that changes
//    several times per install (render, events, done). Every change would
//    append the whole record, and compaction would rewrite the whole
//    inventory (65,536 machines: up to ~1 GiB with full event logs) on the
//    writer thread. SQLite rewrites the pages of the rows that changed and
//    checkpoints the WAL into the file incrementally.
//  - A batch is atomic. The writer commits everything changed since the
//    last write (a forget and a re-create of the same MAC among them) as one
//    transaction; a journal would need batch framing to never replay half
//    of one.
//  - Torn writes and corruption are told apart. After a power cut the
//    journal's last line can be half written, and its replay skips a
//    malformed line (the lease journal counts it and goes on): it cannot
//    tell a torn tail from a damaged file. SQLite's WAL frames carry
//    checksums, so a torn commit is rolled back on open, while a damaged
//    file is an error (SQLITE_CORRUPT, SQLITE_NOTADB, quick_check), and
//    ringboot refuses to start on it instead of starting empty.
//  - A version and a kind: user_version refuses a file from a newer
//    ringboot, application_id a SQLite file that is not a machine store. The
//    journal's lines have neither.
//  - Operators (and the tests) read it with the sqlite3 CLI while ringboot
//    runs: WAL readers do not block the writer.
//  - The next step is PostgreSQL: the same table, columns and upsert carry
//    over (see machine_store.h); a text journal shares nothing with it.
// The costs: a library (libsqlite3, in every Debian; the package's Depends
// gets it from dpkg-shlibdeps), and SQLite's own ways (a -wal and a -shm
// file beside the database). A commit costs one fsync of the WAL, about
// what a journal append's fdatasync costs; checkpoints add the database's.
// The leases stay on the journal: a DHCP ACK waits for its line on worker
// 0, and SQLite would make that no faster.
#pragma once

#include <memory>
#include <string>

#include "store/machine_store.h"

namespace ringboot::store {

// The schema this ringboot writes and reads; a file with a higher
// user_version is refused (written by a newer ringboot), never downgraded;
// an older one is migrated at open, its machines kept.
inline constexpr int kSqliteSchemaVersion = 3;
// PRAGMA application_id of a machine store: "RBMS".
inline constexpr int kSqliteApplicationId = 0x52424d53;

// Opens the store at `path`, creating the file (and its schema) when it is
// missing. The directory must exist. Refused, with *error naming the path
// and the reason: a file that is not a database or is damaged (quick_check),
// a SQLite file that is not a machine store, a newer schema, or a file
// without WAL (a read-only directory). Single-threaded: the caller runs
// load() and write() from one thread at a time.
std::unique_ptr<MachineStore> open_sqlite(const std::string& path, std::string* error);

}  // namespace ringboot::store
