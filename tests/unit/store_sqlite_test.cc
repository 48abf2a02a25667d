#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "store/sqlite_store.h"

// The SQLite machine store against real files in a temporary directory.
namespace ringboot::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ringboot-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "machines.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<MachineStore> open() {
    std::string error;
    auto store = open_sqlite(path_, &error);
    EXPECT_NE(store, nullptr) << error;
    return store;
  }
  // The reason a store is refused, from open or load.
  std::string refusal() {
    std::string error;
    auto store = open_sqlite(path_, &error);
    if (!store) return error;
    Loaded loaded = store->load();
    return loaded.ok() ? std::string() : loaded.error;
  }
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message ? message : "") << ": " << statement;
    sqlite3_free(message);
    sqlite3_close(db);
  }
  fs::path dir_;
  std::string path_;
};

Mac mac_of(std::uint32_t i) {
  Mac m;
  m.bytes = {0x52,
             0x54,
             0x00,
             static_cast<std::uint8_t>(i >> 16),
             static_cast<std::uint8_t>(i >> 8),
             static_cast<std::uint8_t>(i)};
  return m;
}

// Every stored field set to something other than its default.
fleet::Machine full_machine(std::uint32_t i) {
  fleet::Machine m;
  m.mac = mac_of(i);
  m.uuid = "4c4c4544-0000-1111-2222-333333333333";
  m.buildarch = "x86_64";
  m.platform = "efi";
  m.ip = Ipv4{0x0a000032 + i};
  m.ip6 = Ipv6::parse("2001:db8::32");
  m.ip6->bytes[14] = static_cast<std::uint8_t>(i >> 8);
  m.ip6->bytes[15] = static_cast<std::uint8_t>(i);
  m.dhcp.arch = 7;
  m.dhcp.relay = Ipv4{0x0a000001};
  m.dhcp.dhcp_hostname = "node-" + std::to_string(i);
  m.first_seen_unix = 1700000000;
  m.last_seen_unix = 1700000100 + i;
  m.api_hostname = "api-" + std::to_string(i);
  m.api_labels = std::vector<std::string>{"rack=a1", "gpu"};
  m.next = fleet::NextBoot{"debian12", false};
  m.state = fleet::State::installing;
  m.install_attempts = 2;
  m.install_profile = "debian12";
  fleet::Token token{};
  for (std::size_t b = 0; b < token.size(); ++b) token[b] = static_cast<std::uint8_t>(0xa0 + b + i);
  m.token = token;
  m.token_unix = 1700000200;
  m.install_started_unix = 1700000150;
  m.done_unix = 1690000000;
  m.rollout = "rack1-2024.06";
  m.rollout_joined_unix = 1700000120;
  m.rollout_boot_unix = 1700000130;
  // An installer's bytes: a NUL, a newline, a byte that is not UTF-8.
  m.events = {fleet::Event{1700000300, "partitioning"}, fleet::Event{1700000400, std::string("a\0b\n\xff", 5)}};
  return m;
}

// The stored fields, compared one by one.
void expect_stored_equal(const fleet::Machine& want, const fleet::Machine& got) {
  const std::string at = want.mac.to_string();
  EXPECT_EQ(got.mac, want.mac) << at;
  EXPECT_EQ(got.uuid, want.uuid) << at;
  EXPECT_EQ(got.buildarch, want.buildarch) << at;
  EXPECT_EQ(got.platform, want.platform) << at;
  EXPECT_EQ(got.ip, want.ip) << at;
  EXPECT_EQ(got.ip6, want.ip6) << at;
  EXPECT_EQ(got.dhcp.arch, want.dhcp.arch) << at;
  EXPECT_EQ(got.dhcp.relay, want.dhcp.relay) << at;
  EXPECT_EQ(got.dhcp.dhcp_hostname, want.dhcp.dhcp_hostname) << at;
  EXPECT_EQ(got.first_seen_unix, want.first_seen_unix) << at;
  EXPECT_EQ(got.last_seen_unix, want.last_seen_unix) << at;
  EXPECT_EQ(got.api_hostname, want.api_hostname) << at;
  EXPECT_EQ(got.api_labels, want.api_labels) << at;
  EXPECT_EQ(got.next, want.next) << at;
  EXPECT_EQ(got.state, want.state) << at;
  EXPECT_EQ(got.install_attempts, want.install_attempts) << at;
  EXPECT_EQ(got.install_profile, want.install_profile) << at;
  EXPECT_EQ(got.token, want.token) << at;
  EXPECT_EQ(got.token_unix, want.token_unix) << at;
  EXPECT_EQ(got.install_started_unix, want.install_started_unix) << at;
  EXPECT_EQ(got.done_unix, want.done_unix) << at;
  EXPECT_EQ(got.rollout, want.rollout) << at;
  EXPECT_EQ(got.rollout_joined_unix, want.rollout_joined_unix) << at;
  EXPECT_EQ(got.rollout_boot_unix, want.rollout_boot_unix) << at;
  ASSERT_EQ(got.events.size(), want.events.size()) << at;
  for (std::size_t i = 0; i < want.events.size(); ++i) {
    EXPECT_EQ(got.events[i].unix, want.events[i].unix) << at << " event " << i;
    EXPECT_EQ(got.events[i].message, want.events[i].message) << at << " event " << i;
  }
}

fleet::Changes upserts(std::vector<fleet::Machine> machines) {
  fleet::Changes c;
  c.machines = std::move(machines);
  return c;
}

TEST_F(SqliteStoreTest, ANewFileLoadsEmpty) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const Loaded loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  EXPECT_TRUE(loaded.machines.empty());
  EXPECT_EQ(store->describe(), "sqlite " + path_);
}

TEST_F(SqliteStoreTest, EveryStoredFieldRoundTrips) {
  const fleet::Machine full = full_machine(1);
  fleet::Machine bare;  // every optional unset, every string empty
  bare.mac = mac_of(2);
  fleet::Machine declared = full_machine(3);  // what the config declares and the bookkeeping: not stored
  declared.declared = true;
  declared.config_hostname = "from-config";
  declared.config_labels = {"config=label"};
  declared.config_next = fleet::NextBoot{"rescue", true};
  declared.hostname = "effective";
  declared.labels = {"effective"};
  declared.dirty = true;
  declared.stored_seen_unix = 42;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    const WriteResult w = store->write(upserts({full, bare, declared}));
    ASSERT_TRUE(w.ok()) << w.error;
    const Loaded now = store->load();  // the same connection
    ASSERT_TRUE(now.ok()) << now.error;
    ASSERT_EQ(now.machines.size(), 3u);
  }
  auto store = open();  // reopened
  ASSERT_NE(store, nullptr);
  const Loaded loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  ASSERT_EQ(loaded.machines.size(), 3u);  // ordered by MAC
  expect_stored_equal(full, loaded.machines[0]);
  expect_stored_equal(bare, loaded.machines[1]);
  EXPECT_FALSE(loaded.machines[1].ip.has_value());
  EXPECT_FALSE(loaded.machines[1].ip6.has_value());
  EXPECT_FALSE(loaded.machines[1].next.has_value());
  EXPECT_FALSE(loaded.machines[1].api_labels.has_value());
  EXPECT_FALSE(loaded.machines[1].token.has_value());
  const fleet::Machine& d = loaded.machines[2];
  expect_stored_equal(declared, d);
  EXPECT_FALSE(d.declared);
  EXPECT_TRUE(d.config_hostname.empty());
  EXPECT_TRUE(d.config_labels.empty());
  EXPECT_FALSE(d.config_next.has_value());
  EXPECT_TRUE(d.hostname.empty());
  EXPECT_TRUE(d.labels.empty());
  EXPECT_FALSE(d.dirty);
  EXPECT_EQ(d.stored_seen_unix, 0);
}

TEST_F(SqliteStoreTest, AWriteReplacesTheWholeMachine) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  fleet::Machine m = full_machine(1);
  ASSERT_TRUE(store->write(upserts({m})).ok());
  m.state = fleet::State::done;
  m.token.reset();
  m.api_labels.reset();
  m.next.reset();
  m.events = {fleet::Event{5, "only"}};
  ASSERT_TRUE(store->write(upserts({m})).ok());
  const Loaded loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  ASSERT_EQ(loaded.machines.size(), 1u);
  expect_stored_equal(m, loaded.machines[0]);
}

TEST_F(SqliteStoreTest, ForgetDeletesTheMachineAndItsEvents) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->write(upserts({full_machine(1), full_machine(2), full_machine(3)})).ok());
  fleet::Changes forget;
  forget.forgotten = {mac_of(1)};
  // A forget and a re-create in one batch: forgotten first, then written.
  forget.forgotten.push_back(mac_of(2));
  fleet::Machine again;
  again.mac = mac_of(2);
  forget.machines = {again};
  const WriteResult w = store->write(forget);
  ASSERT_TRUE(w.ok()) << w.error;
  store.reset();
  store = open();
  const Loaded loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;  // an orphan event would fail the load
  ASSERT_EQ(loaded.machines.size(), 2u);
  expect_stored_equal(again, loaded.machines[0]);
  expect_stored_equal(full_machine(3), loaded.machines[1]);
  // Forgetting a MAC the store never held is no error.
  fleet::Changes unknown;
  unknown.forgotten = {mac_of(99)};
  EXPECT_TRUE(store->write(unknown).ok());
}

TEST_F(SqliteStoreTest, TenThousandMachinesInOneBatchAndReopened) {
  std::vector<fleet::Machine> machines;
  for (std::uint32_t i = 0; i < 10000; ++i) machines.push_back(full_machine(i));
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    const auto start = std::chrono::steady_clock::now();
    const WriteResult w = store->write(upserts(machines));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(w.ok()) << w.error;
    std::printf("write of 10000 machines (2 events each): %lld ms\n", static_cast<long long>(ms));
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const Loaded loaded = store->load();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  std::printf("load of 10000 machines: %lld ms\n", static_cast<long long>(ms));
  ASSERT_EQ(loaded.machines.size(), machines.size());
  for (std::size_t i = 0; i < machines.size(); i += 997) expect_stored_equal(machines[i], loaded.machines[i]);
  expect_stored_equal(machines.back(), loaded.machines.back());
}

TEST_F(SqliteStoreTest, ANewerSchemaVersionIsRefused) {
  ASSERT_NE(open(), nullptr);
  sql("PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion + 1));
  const std::string why = refusal();
  EXPECT_NE(why.find(path_), std::string::npos) << why;
  EXPECT_NE(why.find(fmt::format("schema version is {}, newer than this ringboot's {}", kSqliteSchemaVersion + 1,
                                 kSqliteSchemaVersion)),
            std::string::npos)
      << why;
}

// A machines.db as ringboot wrote it before rollouts (schema version 1):
// opening it migrates it in place and keeps its machines.
TEST_F(SqliteStoreTest, AVersionOneFileIsMigratedAndKeepsItsMachines) {
  sql(R"sql(
CREATE TABLE machines (
  mac TEXT PRIMARY KEY NOT NULL, uuid TEXT NOT NULL, buildarch TEXT NOT NULL, platform TEXT NOT NULL, ip TEXT,
  dhcp_arch INTEGER, dhcp_relay TEXT, dhcp_hostname TEXT NOT NULL, first_seen_unix INTEGER NOT NULL,
  last_seen_unix INTEGER NOT NULL, api_hostname TEXT, api_labels TEXT, next_profile TEXT, next_once INTEGER,
  state TEXT NOT NULL, install_attempts INTEGER NOT NULL, install_profile TEXT NOT NULL, token TEXT,
  token_unix INTEGER NOT NULL, install_started_unix INTEGER NOT NULL, done_unix INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE events (
  mac TEXT NOT NULL, position INTEGER NOT NULL, unix INTEGER NOT NULL, message BLOB NOT NULL,
  PRIMARY KEY (mac, position)
) WITHOUT ROWID;
INSERT INTO machines VALUES ('52:54:00:00:00:07', '', 'x86_64', 'efi', '10.0.0.7', 7, NULL, 'node7', 1700000000,
  1700000050, 'api-7', '["rack=a1"]', 'debian12', 1, 'done', 0, 'debian12', NULL, 1700000010, 1700000010, 1700000040);
INSERT INTO events VALUES ('52:54:00:00:00:07', 0, 1700000020, 'partitioning');
PRAGMA application_id = 1380076883;
PRAGMA user_version = 1;
)sql");
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    const Loaded loaded = store->load();
    ASSERT_TRUE(loaded.ok()) << loaded.error;
    ASSERT_EQ(loaded.machines.size(), 1u);
    const fleet::Machine& m = loaded.machines[0];
    EXPECT_EQ(m.mac.to_string(), "52:54:00:00:00:07");
    EXPECT_EQ(m.state, fleet::State::done);
    EXPECT_EQ(m.api_hostname, std::optional<std::string>("api-7"));
    EXPECT_EQ(m.next, (fleet::NextBoot{"debian12", true}));
    EXPECT_EQ(m.done_unix, 1700000040);
    ASSERT_EQ(m.events.size(), 1u);
    EXPECT_EQ(m.events[0].message, "partitioning");
    EXPECT_EQ(m.rollout, "") << "a machine of an old file is in no rollout";
    EXPECT_EQ(m.rollout_joined_unix, 0);
    EXPECT_EQ(m.ip, Ipv4::parse("10.0.0.7"));
    EXPECT_FALSE(m.ip6.has_value());
    // And the migrated file takes the new columns.
    fleet::Machine changed = m;
    changed.rollout = "r1";
    changed.rollout_joined_unix = 1700000100;
    ASSERT_TRUE(store->write(upserts({changed})).ok());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  const Loaded again = store->load();
  ASSERT_TRUE(again.ok()) << again.error;
  ASSERT_EQ(again.machines.size(), 1u);
  EXPECT_EQ(again.machines[0].rollout, "r1");
  EXPECT_EQ(again.machines[0].rollout_joined_unix, 1700000100);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), kSqliteSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// A machines.db as ringboot wrote it before IPv6 addresses (schema version
// 2, the schema of that ringboot verbatim): migrated in place, its machines
// kept with no IPv6 address, and the new column written and read back.
TEST_F(SqliteStoreTest, AVersionTwoFileIsMigratedAndKeepsItsMachines) {
  sql(R"sql(
CREATE TABLE machines (
  mac TEXT PRIMARY KEY NOT NULL,
  uuid TEXT NOT NULL,
  buildarch TEXT NOT NULL,
  platform TEXT NOT NULL,
  ip TEXT,
  dhcp_arch INTEGER,
  dhcp_relay TEXT,
  dhcp_hostname TEXT NOT NULL,
  first_seen_unix INTEGER NOT NULL,
  last_seen_unix INTEGER NOT NULL,
  api_hostname TEXT,
  api_labels TEXT,
  next_profile TEXT,
  next_once INTEGER,
  state TEXT NOT NULL,
  install_attempts INTEGER NOT NULL,
  install_profile TEXT NOT NULL,
  token TEXT,
  token_unix INTEGER NOT NULL,
  install_started_unix INTEGER NOT NULL,
  done_unix INTEGER NOT NULL,
  rollout TEXT,
  rollout_joined_unix INTEGER NOT NULL DEFAULT 0,
  rollout_boot_unix INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE events (
  mac TEXT NOT NULL,
  position INTEGER NOT NULL,
  unix INTEGER NOT NULL,
  message BLOB NOT NULL,
  PRIMARY KEY (mac, position)
) WITHOUT ROWID;
INSERT INTO machines VALUES ('52:54:00:00:00:08', '', 'x86_64', 'efi', '10.0.0.8', 7, '10.0.0.1', 'node8', 1700000000,
  1700000050, NULL, NULL, NULL, NULL, 'installing', 1, 'debian12', 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf', 1700000010,
  1700000010, 0, 'r1', 1700000001, 1700000002);
INSERT INTO events VALUES ('52:54:00:00:00:08', 0, 1700000020, 'partitioning');
PRAGMA application_id = 1380076883;
PRAGMA user_version = 2;
)sql");
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    const Loaded loaded = store->load();
    ASSERT_TRUE(loaded.ok()) << loaded.error;
    ASSERT_EQ(loaded.machines.size(), 1u);
    const fleet::Machine& m = loaded.machines[0];
    EXPECT_EQ(m.mac.to_string(), "52:54:00:00:00:08");
    EXPECT_EQ(m.ip, Ipv4::parse("10.0.0.8")) << "ip keeps its meaning: the IPv4 address";
    EXPECT_FALSE(m.ip6.has_value()) << "a machine of an old file has no IPv6 address";
    EXPECT_EQ(m.state, fleet::State::installing);
    EXPECT_EQ(m.rollout, "r1");
    EXPECT_EQ(m.rollout_boot_unix, 1700000002);
    ASSERT_EQ(m.events.size(), 1u);
    fleet::Machine changed = m;
    changed.ip6 = Ipv6::parse("2001:db8::8");
    ASSERT_TRUE(store->write(upserts({changed})).ok());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  const Loaded again = store->load();
  ASSERT_TRUE(again.ok()) << again.error;
  ASSERT_EQ(again.machines.size(), 1u);
  EXPECT_EQ(again.machines[0].ip6, Ipv6::parse("2001:db8::8"));
  EXPECT_EQ(again.machines[0].ip, Ipv4::parse("10.0.0.8"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT ip, ip6, (SELECT user_version FROM pragma_user_version) FROM machines", -1,
                               &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "10.0.0.8");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), "2001:db8::8");
  EXPECT_EQ(sqlite3_column_int(st, 2), kSqliteSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// ip6 as written: RFC 5952, a link-local address with its interface; any
// other text is refused.
TEST_F(SqliteStoreTest, Ip6RoundTripsWithItsZoneAndOtherTextIsRefused) {
  fleet::Machine m = full_machine(1);
  m.ip6 = Ipv6{Ipv6::parse("fe80::5054:ff:fe12:3456")->bytes, 3};
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write(upserts({m})).ok());
    const Loaded loaded = store->load();
    ASSERT_TRUE(loaded.ok()) << loaded.error;
    ASSERT_EQ(loaded.machines.size(), 1u);
    EXPECT_EQ(loaded.machines[0].ip6, m.ip6);
  }
  for (const std::string bad : {"10.0.0.1", "2001:db8::1%3", "fe80::1%", "fe80::1%0", "fe80::1%x", "[::1]", "::g"}) {
    sql("UPDATE machines SET ip6 = '" + bad + "'");
    const std::string why = refusal();
    EXPECT_NE(why.find("machine 52:54:00:00:00:01: ip6 is not an IPv6 address"), std::string::npos)
        << bad << ": " << why;
  }
}

TEST_F(SqliteStoreTest, ARolloutNameOfAnotherFormIsRefused) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write(upserts({full_machine(1)})).ok());
  }
  sql("UPDATE machines SET rollout = 'no spaces'");
  const std::string why = refusal();
  EXPECT_NE(why.find("rollout is not a rollout name"), std::string::npos) << why;
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseIsRefused) {
  {
    std::ofstream out(path_, std::ios::binary);
    for (int i = 0; i < 1000; ++i) out << "this is not a SQLite database, it is a text file\n";
  }
  const std::string why = refusal();
  EXPECT_NE(why.find(path_), std::string::npos) << why;
  EXPECT_NE(why.find("file is not a database"), std::string::npos) << why;
}

TEST_F(SqliteStoreTest, ADamagedFileIsRefused) {
  {
    std::vector<fleet::Machine> machines;
    for (std::uint32_t i = 0; i < 2000; ++i) machines.push_back(full_machine(i));
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write(upserts(machines)).ok());
  }  // closed: the WAL is checkpointed into the file
  ASSERT_FALSE(fs::exists(path_ + "-wal"));
  const auto size = fs::file_size(path_);
  ASSERT_GT(size, 64u * 1024);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    const std::string junk(8192, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const std::string why = refusal();
  EXPECT_FALSE(why.empty()) << "a damaged store was opened and loaded";
  EXPECT_TRUE(why.find("damaged") != std::string::npos || why.find("malformed") != std::string::npos) << why;
}

// Damage a load would not read: the free list (pages a later write would
// hand out while they are in use) points at page 2. quick_check finds it.
TEST_F(SqliteStoreTest, ADamagedFreeListIsRefused) {
  {
    std::vector<fleet::Machine> machines;
    for (std::uint32_t i = 0; i < 2000; ++i) machines.push_back(full_machine(i));
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write(upserts(machines)).ok());
    fleet::Changes forget;
    for (std::uint32_t i = 100; i < 2000; ++i) forget.forgotten.push_back(mac_of(i));
    ASSERT_TRUE(store->write(forget).ok());
  }
  {
    // The header's first free-list trunk page, a big-endian u32 at byte 32.
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(32);
    const char page2[4] = {0, 0, 0, 2};
    f.write(page2, 4);
  }
  const std::string why = refusal();
  EXPECT_NE(why.find(path_), std::string::npos) << why;
  EXPECT_NE(why.find("it is damaged (quick_check: "), std::string::npos) << why;
}

TEST_F(SqliteStoreTest, ASqliteFileOfAnotherProgramIsRefused) {
  sql("CREATE TABLE other (x INTEGER)");
  std::string why = refusal();
  EXPECT_NE(why.find("not a machine store"), std::string::npos) << why;
  fs::remove(path_);
  sql("PRAGMA application_id = 1234");
  why = refusal();
  EXPECT_NE(why.find("not a machine store (application_id 0x4d2)"), std::string::npos) << why;
}

TEST_F(SqliteStoreTest, ARowThisRingbootDidNotWriteIsRefused) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write(upserts({full_machine(1)})).ok());
  }
  sql("UPDATE machines SET state = 'rebooting'");
  std::string why = refusal();
  EXPECT_NE(why.find("machine 52:54:00:00:00:01: state \"rebooting\" is not a state"), std::string::npos) << why;
  sql("UPDATE machines SET state = 'done', token = 'xyz'");
  why = refusal();
  EXPECT_NE(why.find("token is not 32 lower-case hex digits"), std::string::npos) << why;
}

TEST_F(SqliteStoreTest, AFailedWriteKeepsNothingAndTheNextOneWorks) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->write(upserts({full_machine(1)})).ok());
  // Another connection holds the write lock past the busy timeout.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  fleet::Changes batch = upserts({full_machine(2), full_machine(3)});
  batch.forgotten = {mac_of(1)};
  const WriteResult failed = store->write(batch);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.error.find("database is locked"), std::string::npos) << failed.error;  // sqlite3_errmsg
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  Loaded loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  ASSERT_EQ(loaded.machines.size(), 1u);  // none of the failed batch
  // A statement failing inside the transaction: what the batch wrote before
  // it is rolled back, and the next write starts clean.
  sql("CREATE TRIGGER refuse BEFORE INSERT ON machines WHEN new.mac = '52:54:00:00:00:03' "
      "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  const WriteResult midway = store->write(batch);
  EXPECT_FALSE(midway.ok());
  EXPECT_NE(midway.error.find("write 52:54:00:00:00:03: refused by the test"), std::string::npos) << midway.error;
  loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  ASSERT_EQ(loaded.machines.size(), 1u);  // machine 1 not forgotten, machine 2 not written
  expect_stored_equal(full_machine(1), loaded.machines[0]);
  sql("DROP TRIGGER refuse");
  const WriteResult again = store->write(batch);
  ASSERT_TRUE(again.ok()) << again.error;
  loaded = store->load();
  ASSERT_EQ(loaded.machines.size(), 2u);
}

// kill -9 the instant write() returns: the change is in the file.
TEST_F(SqliteStoreTest, AWriteSurvivesKillNine) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    std::string error;
    auto store = open_sqlite(path_, &error);
    const bool ok = store && store->write(upserts({full_machine(7)})).ok();
    const char byte = ok ? '1' : '0';
    (void)!::write(ready[1], &byte, 1);
    for (;;) ::pause();  // killed here, the store still open
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(ready[0]);
  ASSERT_EQ(byte, '1') << "the child's write failed";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(fs::exists(path_ + "-wal")) << "the commit should still be in the WAL, not checkpointed";
  auto store = open();
  ASSERT_NE(store, nullptr);
  const Loaded loaded = store->load();
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  ASSERT_EQ(loaded.machines.size(), 1u);
  expect_stored_equal(full_machine(7), loaded.machines[0]);
}

}  // namespace
}  // namespace ringboot::store
