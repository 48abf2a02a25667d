// The machine store's write(): one fsynced SQLite transaction of N machines
// (the writer's group commit), on a real file in $TMPDIR (or /tmp), so the
// time includes the WAL's fsync on that file system.
//   build/bench/store_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite_store.h"

namespace {

using namespace ringboot;

// A machine mid-install: every column set, two installer messages.
fleet::Machine machine(std::uint32_t i, std::uint32_t attempts) {
  fleet::Machine m;
  m.mac.bytes = {0x52,
                 0x54,
                 0x00,
                 static_cast<std::uint8_t>(i >> 16),
                 static_cast<std::uint8_t>(i >> 8),
                 static_cast<std::uint8_t>(i)};
  m.uuid = "4c4c4544-0000-1111-2222-333333333333";
  m.buildarch = "x86_64";
  m.platform = "efi";
  m.ip = Ipv4{0x0a000000 + i};
  m.dhcp.arch = 7;
  m.first_seen_unix = 1700000000;
  m.last_seen_unix = 1700000000 + attempts;
  m.api_labels = std::vector<std::string>{"rack=a1"};
  m.state = fleet::State::installing;
  m.install_attempts = attempts;
  m.install_profile = "debian12";
  m.token = fleet::Token{};
  m.events = {fleet::Event{1700000001, "partitioning"}, fleet::Event{1700000002, "installing packages"}};
  return m;
}

void BM_StoreWrite(benchmark::State& state) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/ringboot-store-bench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  std::string error;
  auto store = store::open_sqlite(dir + "/machines.db", &error);
  if (!store) {
    state.SkipWithError(error.c_str());
    return;
  }
  const auto n = static_cast<std::uint32_t>(state.range(0));
  std::uint32_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fleet::Changes batch;
    for (std::uint32_t i = 0; i < n; ++i) batch.machines.push_back(machine(i, round));
    ++round;
    state.ResumeTiming();
    const store::WriteResult r = store->write(batch);
    if (!r.ok()) state.SkipWithError(r.error.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n);
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StoreWrite)->Arg(1)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
