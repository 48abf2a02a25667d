#include "app/store_writer.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/log.h"

namespace ringboot {

const MetricTable<StoreCounters>& metric_table_of_store() {
  using C = StoreCounters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter("ringboot_fleet_store_writes_total",
                   "Batches of machine changes committed to the machine store (one fsynced transaction each).",
                   &C::writes)
          .counter("ringboot_fleet_store_errors_total",
                   "Machine store writes that failed; the batch stays queued and is retried with backoff.", &C::errors)
          .counter("ringboot_fleet_store_machines_written_total", "Machines written in committed batches.",
                   &C::machines_written)
          .histogram("ringboot_fleet_store_write_seconds", "Time of one machine store write, committed or not.",
                     &C::write_seconds);
  return table;
}

void merge_changes(fleet::Changes& into, fleet::Changes later) {
  if (into.empty()) {
    into = std::move(later);
    return;
  }
  if (!later.forgotten.empty()) {
    std::unordered_set<std::uint64_t> gone;
    for (const Mac& mac : later.forgotten) gone.insert(mac.key());
    std::erase_if(into.machines, [&](const fleet::Machine& m) { return gone.contains(m.mac.key()); });
    for (const Mac& mac : into.forgotten) gone.erase(mac.key());
    for (const Mac& mac : later.forgotten)
      if (gone.erase(mac.key()) != 0) into.forgotten.push_back(mac);
  }
  std::unordered_map<std::uint64_t, std::size_t> at;
  for (std::size_t i = 0; i < into.machines.size(); ++i) at.emplace(into.machines[i].mac.key(), i);
  for (fleet::Machine& m : later.machines) {
    const auto [it, added] = at.emplace(m.mac.key(), into.machines.size());
    if (added)
      into.machines.push_back(std::move(m));
    else
      into.machines[it->second] = std::move(m);
  }
}

StoreWriter::StoreWriter(std::unique_ptr<store::MachineStore> store, Take take, StoreWriterOptions options)
    : store_(std::move(store)), take_(std::move(take)), options_(options) {}

StoreWriter::~StoreWriter() { stop(); }

void StoreWriter::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void StoreWriter::notify(std::uint64_t sequence, bool urgent) {
  {
    std::lock_guard lock(mutex_);
    // A sighting while a batch is pending wakes no one: the writer is
    // waiting out its coalescing window already, or writing.
    const bool wake = urgent || requested_ <= taken_;
    requested_ = std::max(requested_, sequence);
    if (urgent) urgent_ = std::max(urgent_, sequence);
    if (!wake) return;
  }
  wake_.notify_one();
}

bool StoreWriter::wait_durable(std::uint64_t sequence, Duration bound) {
  std::unique_lock lock(mutex_);
  durable_.wait_for(lock, bound, [&] { return durable_sequence_ >= sequence || failed_sequence_ >= sequence; });
  return durable_sequence_ >= sequence;
}

void StoreWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreWriter::run() {
  Duration backoff = Duration::zero();
  std::optional<Instant> flush_deadline;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (backoff == Duration::zero()) {
      wake_.wait(lock, [&] { return stopping_ || requested_ > taken_; });
      // Sightings only: wait for more of them, unless something urgent comes.
      if (!stopping_ && urgent_ <= taken_)
        wake_.wait_for(lock, options_.coalesce, [&] { return stopping_ || urgent_ > taken_; });
    } else {
      // A failed write is retried when its backoff ends, whatever changes
      // meanwhile (they join the queued batch); a stop retries at once.
      Instant until = Clock::now() + backoff;
      if (flush_deadline) until = std::min(until, *flush_deadline);
      wake_.wait_until(lock, until, [&] { return stopping_ && !flush_deadline; });
    }
    if (stopping_) {
      if (!flush_deadline) flush_deadline = Clock::now() + options_.flush_bound;
      if (requested_ <= taken_ && queued_.empty()) break;
      if (Clock::now() >= *flush_deadline) {
        log(LogLevel::error, "fleet.store_lost", "store=\"{}\" machines={} forgotten={} reason=\"{}\"",
            store_->describe(), queued_.machines.size(), queued_.forgotten.size(),
            "the store kept failing at shutdown: these changes are not on disk");
        break;
      }
    }
    lock.unlock();
    std::uint64_t taken = 0;
    const bool ok = write_once(&taken);
    lock.lock();
    taken_ = std::max(taken_, taken);
    if (ok) {
      durable_sequence_ = std::max(durable_sequence_, queued_sequence_);
      backoff = Duration::zero();
    } else {
      failed_sequence_ = std::max(failed_sequence_, queued_sequence_);
      backoff = backoff == Duration::zero() ? options_.backoff_min : std::min(2 * backoff, options_.backoff_max);
    }
    durable_.notify_all();
  }
}

bool StoreWriter::write_once(std::uint64_t* taken) {
  fleet::Changes fresh = take_(taken);
  queued_sequence_ = std::max(queued_sequence_, *taken);
  merge_changes(queued_, std::move(fresh));
  if (queued_.empty()) return true;
  const Instant start = Clock::now();
  const store::WriteResult result = store_->write(queued_);
  counters_.write_seconds.observe(std::chrono::duration<double>(Clock::now() - start).count());
  if (result.ok()) {
    counters_.writes.inc();
    counters_.machines_written.inc(queued_.machines.size());
    if (failures_ > 0)
      log(LogLevel::warn, "fleet.store_recovered", "store=\"{}\" failed_writes={}", store_->describe(), failures_);
    failures_ = 0;
    queued_ = fleet::Changes{};
    return true;
  }
  counters_.errors.inc();
  // Once per streak: a store that stays down is one line, not one per retry.
  if (failures_++ == 0)
    log(LogLevel::error, "fleet.store_error", "store=\"{}\" error=\"{}\" machines={} forgotten={} reason=\"{}\"",
        store_->describe(), result.error, queued_.machines.size(), queued_.forgotten.size(),
        "kept in memory and retried with backoff; changes waiting on it are not acknowledged (503)");
  return false;
}

}  // namespace ringboot
