// The machine store's writer between SharedFleet and a fake store: changes
// are acknowledged once on disk, boots never wait, a failing store loses
// nothing, waiters get false on a failure or a timeout, and a stop flushes.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "app/fleet_service.h"
#include "app/metrics_page.h"
#include "app/store_writer.h"
#include "base/log.h"
#include "support/fake_store.h"

namespace ringboot {
namespace {

using std::chrono::steady_clock;
using testing::FakeStore;

fleet::FleetConfig install_all(Duration store_wait = seconds(5)) {
  fleet::FleetConfig c;
  fleet::Profile p;
  p.name = "p";
  p.kernel = "{{http_base}}/k";
  c.profiles = {p};
  fleet::Group g;
  g.profile = "p";
  c.groups = {g};
  c.settings.install_attempts_max = 1000;
  c.settings.store_wait = store_wait;
  return c;
}

Mac mac_of(std::uint32_t i) {
  Mac m;
  m.bytes = {0x52, 0x54, 0x00, 0x00, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  return m;
}

std::string boot_target(std::uint32_t i) { return "/ipxe?platform=efi&mac=" + mac_of(i).to_string("-"); }

StoreWriterOptions fast() {
  StoreWriterOptions o;
  o.backoff_min = milliseconds(2);
  o.backoff_max = milliseconds(10);
  o.flush_bound = seconds(5);
  return o;
}

// A SharedFleet whose changes go through a StoreWriter to a FakeStore.
struct Rig {
  explicit Rig(fleet::FleetConfig config = install_all(), StoreWriterOptions options = fast()) : fleet(config) {
    auto owned = std::make_unique<FakeStore>();
    store = owned.get();
    writer = std::make_unique<StoreWriter>(
        std::move(owned), [this](std::uint64_t* sequence) { return fleet.take_changes(sequence); }, options);
    writer->start();
    fleet.attach(writer.get());
  }
  ~Rig() { writer->stop(); }
  Changed<fleet::ChangeResult> set_next(std::uint32_t i, std::string profile = "p") {
    return fleet.change([&](fleet::Fleet& f) { return f.set_next_boot(mac_of(i), fleet::NextBoot{profile, true}, 1); });
  }
  SharedFleet fleet;
  FakeStore* store = nullptr;  // owned by the writer
  std::unique_ptr<StoreWriter> writer;
};

double ms_since(steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - start).count();
}

TEST(StoreWriter, AChangeIsAcknowledgedOnceOnDisk) {
  Rig rig;
  const auto r = rig.set_next(1, "local");
  EXPECT_EQ(r.result, fleet::ChangeResult::ok);
  EXPECT_TRUE(r.durable);
  // No waiting here: change() returned after the write.
  const auto disk = rig.store->disk();
  const fleet::Machine* m = FakeStore::find(disk, mac_of(1));
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->next.has_value());
  EXPECT_EQ(m->next->profile, "local");
  // A change that changes nothing has nothing to wait for.
  const auto none = rig.fleet.change([](fleet::Fleet& f) { return f.reset(mac_of(99)); });
  EXPECT_EQ(none.result, fleet::ChangeResult::unknown_machine);
  EXPECT_TRUE(none.durable);
}

TEST(StoreWriter, BootsNeverWaitOnTheStoreButAreWritten) {
  Rig rig;
  rig.store->hold();
  const auto start = steady_clock::now();
  for (std::uint32_t i = 0; i < 20; ++i) rig.fleet.ipxe(boot_target(i), std::nullopt, "h", 1);
  EXPECT_LT(ms_since(start), 1000) << "a boot waited on a held store";
  rig.store->release();
  EXPECT_TRUE(rig.store->wait_for([](const auto& disk) { return disk.size() == 20; }, seconds(5)));
  // Group commit: the boots made while the first write was held went in
  // one batch after it.
  EXPECT_LE(rig.store->batches().size(), 3u);
}

TEST(StoreWriter, AFailingStoreLosesNothing) {
  Rig rig;
  rig.store->fail_next(3);
  for (std::uint32_t round = 0; round < 3; ++round)
    for (std::uint32_t i = 0; i < 50; ++i) rig.fleet.ipxe(boot_target(i), std::nullopt, "h", 1 + round);
  // The last boot of each machine, as the engine holds it, is what the disk
  // must hold: nothing of a failed batch was dropped.
  const auto engine_agrees = [&](const std::map<std::uint64_t, fleet::Machine>& disk) {
    if (disk.size() != 50) return false;
    return rig.fleet.read([&](const fleet::Fleet& f) {
      for (std::uint32_t i = 0; i < 50; ++i) {
        const fleet::Machine* m = f.machine(mac_of(i));
        const fleet::Machine* d = FakeStore::find(disk, mac_of(i));
        if (m == nullptr || d == nullptr || d->install_attempts != m->install_attempts || d->token != m->token)
          return false;
      }
      return true;
    });
  };
  EXPECT_TRUE(rig.store->wait_for(engine_agrees, seconds(5)));
  const auto disk = rig.store->disk();
  const fleet::Machine* seven = FakeStore::find(disk, mac_of(7));
  ASSERT_NE(seven, nullptr);
  EXPECT_EQ(seven->install_attempts, 3u);
  EXPECT_EQ(rig.writer->counters().errors.get(), 3u);
  EXPECT_GE(rig.writer->counters().writes.get(), 1u);
}

TEST(StoreWriter, WaitersGetFalseOnAFailureAndLaterChangesAreDurable) {
  Rig rig;
  rig.store->fail_all(true);
  const auto start = steady_clock::now();
  const auto failed = rig.set_next(1);
  EXPECT_EQ(failed.result, fleet::ChangeResult::ok);  // in memory
  EXPECT_FALSE(failed.durable);
  EXPECT_LT(ms_since(start), 2000) << "a failed write should answer at once, not at store_wait_ms (5 s)";
  rig.store->fail_all(false);
  const auto later = rig.set_next(2);
  EXPECT_TRUE(later.durable);
  const auto disk = rig.store->disk();
  EXPECT_NE(FakeStore::find(disk, mac_of(1)), nullptr) << "the change that failed was dropped";
  EXPECT_NE(FakeStore::find(disk, mac_of(2)), nullptr);
}

TEST(StoreWriter, AWaiterGivesUpAfterStoreWait) {
  Rig rig(install_all(milliseconds(100)));
  rig.store->hold();
  const auto start = steady_clock::now();
  const auto r = rig.set_next(1);
  EXPECT_FALSE(r.durable);
  EXPECT_GE(ms_since(start), 100);
  rig.store->release();
  EXPECT_TRUE(rig.store->wait_for([](const auto& disk) { return disk.size() == 1; }, seconds(5)));
  EXPECT_TRUE(rig.set_next(2).durable);
}

TEST(StoreWriter, StopWritesWhatIsPending) {
  Rig rig;
  rig.store->hold();
  rig.fleet.ipxe(boot_target(1), std::nullopt, "h", 1);
  // The writer is inside the held write of machine 1: these queue behind it.
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && rig.store->attempts() == 0; ++i) std::this_thread::sleep_for(milliseconds(2));
    return rig.store->attempts() == 1;
  }());
  for (std::uint32_t i = 2; i <= 10; ++i) rig.fleet.ipxe(boot_target(i), std::nullopt, "h", 1);
  auto stopped = std::async(std::launch::async, [&] { rig.writer->stop(); });
  std::this_thread::sleep_for(milliseconds(20));
  rig.store->release();
  stopped.get();
  EXPECT_EQ(rig.store->disk().size(), 10u);
}

fleet::DhcpSighting sighting_of(std::uint32_t i) {
  fleet::DhcpSighting s;
  s.mac = mac_of(i);
  s.ip = Ipv4{0x0a000000 + i};
  return s;
}

// Sightings wait out the coalescing window (an hour here, so nothing in
// this test depends on the machine's speed), then go in one batch with the
// first urgent change; a stop writes them too.
TEST(StoreWriter, SightingsAreBatchedUntilSomethingUrgent) {
  StoreWriterOptions o = fast();
  o.coalesce = std::chrono::hours(1);
  {
    Rig rig(install_all(), o);
    for (std::uint32_t i = 0; i < 100; ++i) rig.fleet.observe_dhcp(sighting_of(i), 1000);
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_TRUE(rig.store->batches().empty()) << "sightings were written before the window or an urgent change";
    const auto r = rig.set_next(1000, "local");
    EXPECT_TRUE(r.durable);
    const auto disk = rig.store->disk();
    EXPECT_EQ(disk.size(), 101u);
    ASSERT_NE(FakeStore::find(disk, mac_of(7)), nullptr);
    EXPECT_EQ(FakeStore::find(disk, mac_of(7))->ip, Ipv4{0x0a000007});
    EXPECT_EQ(rig.store->batches().size(), 1u);
  }
  {
    Rig rig(install_all(), o);
    for (std::uint32_t i = 0; i < 10; ++i) rig.fleet.observe_dhcp(sighting_of(i), 1000);
    rig.writer->stop();
    EXPECT_EQ(rig.store->disk().size(), 10u) << "a stop must write the sightings it held";
  }
}

// With the default window the sightings reach the disk by themselves.
TEST(StoreWriter, SightingsAloneAreWrittenAfterTheWindow) {
  StoreWriterOptions o = fast();
  o.coalesce = milliseconds(20);
  Rig rig(install_all(), o);
  for (std::uint32_t i = 0; i < 10; ++i) rig.fleet.observe_dhcp(sighting_of(i), 1000);
  EXPECT_TRUE(rig.store->wait_for([](const auto& disk) { return disk.size() == 10; }, seconds(10)));
}

TEST(StoreWriter, AStoreErrorIsLoggedOncePerStreak) {
  set_log_level(LogLevel::info);
  ::testing::internal::CaptureStderr();
  {
    Rig rig;
    rig.store->fail_next(5);
    rig.fleet.ipxe(boot_target(1), std::nullopt, "h", 1);
    EXPECT_TRUE(rig.store->wait_for([](const auto& disk) { return disk.size() == 1; }, seconds(5)));
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  std::size_t errors = 0, recovered = 0;
  for (std::size_t at = 0; (at = err.find("fleet.store_error", at)) != std::string::npos; ++at) ++errors;
  for (std::size_t at = 0; (at = err.find("fleet.store_recovered", at)) != std::string::npos; ++at) ++recovered;
  EXPECT_EQ(errors, 1u) << err;
  EXPECT_EQ(recovered, 1u) << err;
  EXPECT_NE(err.find("error=\"the fake store failed on purpose\""), std::string::npos) << err;
  EXPECT_NE(err.find("failed_writes=5"), std::string::npos) << err;
}

TEST(StoreWriter, WithoutAStoreNothingIsDurable) {
  SharedFleet fleet(install_all());
  const auto r = fleet.change([](fleet::Fleet& f) { return f.set_next_boot(mac_of(1), fleet::NextBoot{"p"}, 1); });
  EXPECT_EQ(r.result, fleet::ChangeResult::ok);
  EXPECT_FALSE(r.durable);
  EXPECT_EQ(fleet.writer(), nullptr);
}

TEST(StoreWriter, MetricsWhenThereIsAStore) {
  EXPECT_EQ(metric_table_of_store().first_unread_byte(), sizeof(StoreCounters))
      << "a StoreCounters field has no family";
  Rig rig;
  ASSERT_TRUE(rig.set_next(1).durable);
  std::vector<std::unique_ptr<WorkerStats>> workers;
  workers.push_back(std::make_unique<WorkerStats>());
  const std::string page = render_metrics(workers, &rig.fleet);
  EXPECT_NE(page.find("\nringboot_fleet_store_writes_total 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_fleet_store_errors_total 0\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_fleet_store_machines_written_total 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_fleet_store_write_seconds_count 1\n"), std::string::npos) << page;
  SharedFleet without(install_all());
  EXPECT_EQ(render_metrics(workers, &without).find("ringboot_fleet_store_"), std::string::npos);
}

// merge_changes: writing the merged batch leaves what writing both would.
fleet::Machine machine(std::uint32_t i, std::uint32_t attempts) {
  fleet::Machine m;
  m.mac = mac_of(i);
  m.install_attempts = attempts;
  return m;
}

TEST(MergeChanges, TheNewestCopyWinsAndAForgetDropsTheQueuedOne) {
  fleet::Changes queued;
  queued.machines = {machine(1, 1), machine(2, 1), machine(3, 1)};
  queued.forgotten = {mac_of(4)};
  fleet::Changes later;
  later.machines = {machine(1, 2), machine(5, 1)};
  later.forgotten = {mac_of(2), mac_of(4)};
  merge_changes(queued, later);
  ASSERT_EQ(queued.machines.size(), 3u);
  EXPECT_EQ(queued.machines[0].mac, mac_of(1));
  EXPECT_EQ(queued.machines[0].install_attempts, 2u);
  EXPECT_EQ(queued.machines[1].mac, mac_of(3));
  EXPECT_EQ(queued.machines[2].mac, mac_of(5));
  ASSERT_EQ(queued.forgotten.size(), 2u);  // 4 once
  EXPECT_EQ(queued.forgotten[0], mac_of(4));
  EXPECT_EQ(queued.forgotten[1], mac_of(2));
}

TEST(MergeChanges, AForgetThenARecreateKeepsTheNewMachine) {
  fleet::Changes queued;
  queued.machines = {machine(1, 5)};
  fleet::Changes later;
  later.forgotten = {mac_of(1)};
  later.machines = {machine(1, 0)};  // forgotten, then booted again
  merge_changes(queued, later);
  ASSERT_EQ(queued.machines.size(), 1u);
  EXPECT_EQ(queued.machines[0].install_attempts, 0u);
  ASSERT_EQ(queued.forgotten.size(), 1u);  // deleted first, then written
}

}  // namespace
}  // namespace ringboot
