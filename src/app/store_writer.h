// The machine store's writer: one thread that owns the store and writes
// the fleet engine's changes, so no worker ever waits on the disk.
//
// Each change to the engine bumps a sequence number (SharedFleet, under its
// lock) and wakes the writer. The writer takes everything changed since its
// last take (the engine's copies, under the lock, which it then releases),
// writes it as one transaction (a group commit: a storm of boots or API
// calls costs one fsync per write, not one per change), then publishes the
// durable sequence and wakes the waiters. SharedFleet::change waits for its
// own sequence, bounded by [fleet] store_wait_ms.
//
// A failed write is counted, logged once per failure streak, and retried
// with backoff; its batch stays queued here and is merged with what changes
// meanwhile (the newest copy of a machine wins; a forget drops the older
// copy), so nothing is lost while the store is down. The queue is bounded
// by the inventory: one copy per machine, at most machines_max, plus the
// MACs forgotten since the last good write (the API's forgets only).
// Waiters whose change a failed write covered get false (the API answers
// 503; the change stays in memory and is written when the store is back).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/metrics.h"
#include "base/time.h"
#include "fleet/engine.h"
#include "store/machine_store.h"

namespace ringboot {

// Written by the writer thread only; a scrape reads them.
struct StoreCounters {
  Counter writes;            // batches committed
  Counter errors;            // write attempts that failed
  Counter machines_written;  // machines in the committed batches
  Histogram write_seconds;   // one write() call, committed or not
};
const MetricTable<StoreCounters>& metric_table_of_store();

struct StoreWriterOptions {
  Duration backoff_min = milliseconds(100);  // after a failed write, doubled per failure
  Duration backoff_max = seconds(2);         // below store_wait_ms's default: a waiter sees a retry
  Duration flush_bound = seconds(10);        // at stop: how long the last write is retried
  // Sightings only (a machine first seen, its new address, its last_seen):
  // written at most this long after the first of them, in one batch, so a
  // storm of DHCP costs one transaction a second, not one per request. A
  // change someone waits for, or a boot decision, is written at once and
  // takes the waiting sightings with it.
  Duration coalesce = milliseconds(1000);
};

// Later changes into a queued batch: forgotten MACs drop the queued copies
// of those machines, and a newer copy of a machine replaces the queued one.
// Written in one transaction (forgotten first, then machines) the result is
// what writing `into` then `later` would leave.
void merge_changes(fleet::Changes& into, fleet::Changes later);

class StoreWriter {
 public:
  // `take` runs on the writer's thread: the engine's changes, under its
  // lock, and the change sequence they cover.
  using Take = std::function<fleet::Changes(std::uint64_t* sequence)>;
  StoreWriter(std::unique_ptr<store::MachineStore> store, Take take, StoreWriterOptions options = {});
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;
  ~StoreWriter();  // stop()

  void start();
  // There are changes up to `sequence` (called under the engine's lock: only
  // takes the writer's own mutex for a moment). Not urgent: sightings only,
  // written within options.coalesce.
  void notify(std::uint64_t sequence, bool urgent = true);
  // true once `sequence` is on disk; false after `bound`, or when a write
  // that covered it failed.
  bool wait_durable(std::uint64_t sequence, Duration bound);
  // Writes what is pending (retried for flush_bound at most), then stops the
  // thread. Idempotent.
  void stop();
  const StoreCounters& counters() const { return counters_; }
  std::string describe() const { return store_->describe(); }

 private:
  void run();
  // Takes what changed and writes it with what is queued; under no lock.
  bool write_once(std::uint64_t* taken);

  std::unique_ptr<store::MachineStore> store_;
  Take take_;
  StoreWriterOptions options_;
  StoreCounters counters_;

  std::mutex mutex_;
  std::condition_variable wake_;     // the writer: a change, or stop
  std::condition_variable durable_;  // the waiters: a write ended
  std::uint64_t requested_ = 0;      // the newest sequence notified
  std::uint64_t urgent_ = 0;         // the newest sequence notified as urgent
  std::uint64_t taken_ = 0;          // the newest sequence the writer took
  std::uint64_t durable_sequence_ = 0;
  std::uint64_t failed_sequence_ = 0;  // the newest sequence a failed write covered
  bool stopping_ = false;
  bool started_ = false;

  // The writer thread's own: the batch not on disk yet.
  fleet::Changes queued_;
  std::uint64_t queued_sequence_ = 0;
  std::uint64_t failures_ = 0;  // in the current streak
  std::thread thread_;
};

}  // namespace ringboot
