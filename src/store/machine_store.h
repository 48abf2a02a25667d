// The machine store: where the fleet engine's machines survive a restart,
// kill -9 and a power cut. One small interface, two calls: load() once at
// start (before serving), write() for each batch of changes the engine hands
// out (Fleet::take_changes). Decisions never come from here: the engine
// serves from memory and src/app's StoreWriter calls write() on its own
// thread, so the hot path never waits on the disk.
//
// What is stored of a fleet::Machine: everything the machine reported, the
// API declared and the state machine holds (uuid, arch, platform, its IPv4
// and IPv6 addresses, DHCP facts, first and last seen, api_hostname, api_labels, the API's next
// boot, state, install_attempts, install_profile, token and its time, the
// install and done times, events, the rollout and its join and boot times). Not stored: what the config declares
// ([[machine]]: `declared`, config_hostname, config_labels, config_next: the
// config is their home), the effective hostname and labels (recomputed) and
// the engine's bookkeeping (`dirty`, stored_seen_unix).
//
// Errors come back as values with a sentence (sqlite3_errmsg for SQLite);
// nothing throws across this interface.
//
// A PostgreSQL backend (the next step: several ringboot instances, one per
// site or L2 segment, on one database) implements the same two calls and adds:
//  - an instance id column (the site, from config) in the machines table, in
//    the primary key with the MAC or as the machine's owner, so load() reads
//    this instance's machines and write() upserts only its own rows;
//  - LISTEN/NOTIFY: write() ends its transaction with NOTIFY (the changed
//    MACs), and a third call, say `Loaded changed_since(cursor)`, lets the
//    writer thread pull what another instance's API changed and feed it to
//    Fleet::restore under the engine's lock;
//  - a connection that drops is a write error like any other: the writer
//    keeps the batch and retries with backoff, as it does here.
// The table has real columns for the same reason: the SQL, the upsert
// (INSERT ... ON CONFLICT (mac) DO UPDATE) and the schema version check
// carry over; only the connection and the types (jsonb, bytea) change.
#pragma once

#include <string>
#include <vector>

#include "fleet/engine.h"
#include "fleet/inventory.h"

namespace ringboot::store {

// What load() found; error empty: ok. A store that cannot be read (corrupt,
// of a newer schema, not a machine store) is an error, never an empty load.
struct Loaded {
  std::vector<fleet::Machine> machines;
  std::string error;
  bool ok() const { return error.empty(); }
};

struct WriteResult {
  std::string error;  // empty: the whole batch is on disk
  bool ok() const { return error.empty(); }
};

class MachineStore {
 public:
  virtual ~MachineStore() = default;
  // Every stored machine, with only the stored fields set.
  virtual Loaded load() = 0;
  // Applies `changes` atomically and durably: the forgotten MACs are deleted
  // first, then every machine is written whole (inserted or replaced). true
  // only once the batch is on disk (fsync); on an error nothing of it is.
  virtual WriteResult write(const fleet::Changes& changes) = 0;
  // "sqlite /var/lib/ringboot/machines.db": for logs and errors.
  virtual std::string describe() const = 0;
};

}  // namespace ringboot::store
