#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fleet/names.h"

namespace ringboot::store {
namespace {

// The schema, version 3 (version 1 without the rollout columns, 2 without
// ip6; see kMigrations). Text for what is text (the MAC as
// "52:54:00:12:34:56", IPv4 addresses dotted, ip6 in RFC 5952 form, the
// state by name, the token as 32 hex digits), NULL for what is unset,
// integers for times (unix seconds). A column a migration adds comes last,
// here too: a new file and a migrated one have the same table.
constexpr std::string_view kSchema = R"sql(
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
  rollout_boot_unix INTEGER NOT NULL DEFAULT 0,
  ip6 TEXT
) WITHOUT ROWID;
CREATE TABLE events (
  mac TEXT NOT NULL,
  position INTEGER NOT NULL,
  unix INTEGER NOT NULL,
  message BLOB NOT NULL,
  PRIMARY KEY (mac, position)
) WITHOUT ROWID;
)sql";

// What brings a file of version N to N + 1 (index N - 1), run in one
// transaction with the version bump, so an old file keeps its machines.
constexpr std::array<std::string_view, kSqliteSchemaVersion - 1> kMigrations = {
    // 1 -> 2: rollouts (fleet/rollout.h); a machine of an old file is in none.
    "ALTER TABLE machines ADD COLUMN rollout TEXT; "
    "ALTER TABLE machines ADD COLUMN rollout_joined_unix INTEGER NOT NULL DEFAULT 0; "
    "ALTER TABLE machines ADD COLUMN rollout_boot_unix INTEGER NOT NULL DEFAULT 0;",
    // 2 -> 3: the machine's IPv6 address beside its IPv4 one; unknown (NULL) in an old file.
    "ALTER TABLE machines ADD COLUMN ip6 TEXT;",
};

constexpr std::string_view kColumns =
    "mac, uuid, buildarch, platform, ip, dhcp_arch, dhcp_relay, dhcp_hostname, first_seen_unix, last_seen_unix, "
    "api_hostname, api_labels, next_profile, next_once, state, install_attempts, install_profile, token, token_unix, "
    "install_started_unix, done_unix, rollout, rollout_joined_unix, rollout_boot_unix, ip6";

constexpr std::array<fleet::State, 5> kStates = {fleet::State::local, fleet::State::install, fleet::State::installing,
                                                 fleet::State::done, fleet::State::failed};

// Ipv6::to_string's text back: RFC 5952, and "%N" after a link-local
// address scoped to interface N (a peer's, from /ipxe over link-local).
std::optional<Ipv6> parse_ipv6_zoned(std::string_view text) {
  const auto percent = text.find('%');
  std::optional<Ipv6> a = Ipv6::parse(text.substr(0, percent));
  if (!a || percent == std::string_view::npos) return a;
  const std::string_view zone = text.substr(percent + 1);
  std::uint32_t scope = 0;
  const auto [end, ec] = std::from_chars(zone.data(), zone.data() + zone.size(), scope);
  if (zone.empty() || ec != std::errc() || end != zone.data() + zone.size() || scope == 0 || !a->is_link_local())
    return std::nullopt;
  a->scope = scope;
  return a;
}

std::optional<fleet::State> parse_state(std::string_view text) {
  for (const fleet::State s : kStates)
    if (fleet::to_string(s) == text) return s;
  return std::nullopt;
}

// A prepared statement, finalized with its owner.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }
  bool prepare(sqlite3* db, std::string_view sql) {
    return sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                              nullptr) == SQLITE_OK;
  }
  sqlite3_stmt* get() const { return stmt_; }
  // Binds by 1-based index; false: SQLite refused (out of memory, too big).
  bool text(int i, std::string_view v) {
    return sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) == SQLITE_OK;
  }
  bool blob(int i, std::string_view v) {
    return sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) == SQLITE_OK;
  }
  bool integer(int i, std::int64_t v) { return sqlite3_bind_int64(stmt_, i, v) == SQLITE_OK; }
  bool null(int i) { return sqlite3_bind_null(stmt_, i) == SQLITE_OK; }
  template <typename T, typename F>
  bool optional(int i, const std::optional<T>& v, F bind) {
    return v ? bind(i, *v) : null(i);
  }
  // Runs a statement that returns no rows, then resets it for the next use.
  bool run() {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return rc == SQLITE_DONE;
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// A row's columns, read with the checks a stored value must pass.
class Row {
 public:
  explicit Row(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    const int n = sqlite3_column_bytes(stmt_, i);
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
  }
  std::string blob(int i) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    const int n = sqlite3_column_bytes(stmt_, i);
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
  }
  bool is_integer(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_INTEGER; }
  std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteStore final : public MachineStore {
 public:
  SqliteStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override {
    // Statements before the connection; the last close checkpoints the WAL
    // into the database file and removes it.
    begin_.reset();
    commit_.reset();
    rollback_.reset();
    upsert_.reset();
    delete_machine_.reset();
    delete_events_.reset();
    insert_event_.reset();
    sqlite3_close_v2(db_);
  }

  std::string describe() const override { return "sqlite " + path_; }

  // Checks the file and makes the schema when it is new; the message of the
  // first failure otherwise.
  std::string init() {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 2000);  // a reader (the sqlite3 CLI) holding a lock for a moment
    // The first read of the file: "file is not a database" shows here.
    std::int64_t application_id = 0;
    std::int64_t version = 0;
    if (!pragma_integer("PRAGMA application_id", &application_id) || !pragma_integer("PRAGMA user_version", &version))
      return failure("cannot read it");
    if (application_id != 0 && application_id != kSqliteApplicationId)
      return fmt::format("it is a SQLite file but not a machine store (application_id {:#x})", application_id);
    if (version > kSqliteSchemaVersion)
      return fmt::format(
          "its schema version is {}, newer than this ringboot's {}: it was written by a newer ringboot (run that "
          "one, or move the file away to start empty)",
          version, kSqliteSchemaVersion);
    std::string mode;
    if (!pragma_text("PRAGMA journal_mode=WAL", &mode)) return failure("cannot switch it to WAL");
    if (mode != "wal") return fmt::format("it cannot use WAL (journal_mode is {})", mode);
    // FULL: the WAL is fsynced at every commit, so a commit survives a power
    // cut (NORMAL would only survive a crash of the process).
    if (!exec("PRAGMA synchronous=FULL") || !exec("PRAGMA journal_size_limit=16777216"))
      return failure("cannot set its pragmas");
    if (version == 0) {
      std::int64_t tables = 0;
      if (!pragma_integer("SELECT count(*) FROM sqlite_schema", &tables)) return failure("cannot read its schema");
      if (tables != 0)
        return "it is a SQLite file with tables but no schema version: not a machine store (move it away)";
      if (!exec("BEGIN IMMEDIATE") || !exec(kSchema) ||
          !exec(fmt::format("PRAGMA application_id={}", kSqliteApplicationId)) ||
          !exec(fmt::format("PRAGMA user_version={}", kSqliteSchemaVersion)) || !exec("COMMIT")) {
        std::string e = failure("cannot create its schema");
        exec("ROLLBACK");
        return e;
      }
    }
    if (version > 0 && version < kSqliteSchemaVersion) {
      if (std::string e = migrate(version); !e.empty()) return e;
    }
    // Damage anywhere in the file, not only in the pages a load reads.
    std::string check;
    if (!pragma_text("PRAGMA quick_check", &check)) return failure("cannot check it");
    if (check != "ok") return "it is damaged (quick_check: " + check + ")";
    const std::string upsert = fmt::format(
        "INSERT INTO machines ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
        "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25) ON CONFLICT (mac) DO UPDATE SET uuid = excluded.uuid, "
        "buildarch = excluded.buildarch, platform = excluded.platform, ip = excluded.ip, dhcp_arch = "
        "excluded.dhcp_arch, dhcp_relay = excluded.dhcp_relay, dhcp_hostname = excluded.dhcp_hostname, "
        "first_seen_unix = excluded.first_seen_unix, last_seen_unix = excluded.last_seen_unix, api_hostname = "
        "excluded.api_hostname, api_labels = excluded.api_labels, next_profile = excluded.next_profile, next_once = "
        "excluded.next_once, state = excluded.state, install_attempts = excluded.install_attempts, install_profile = "
        "excluded.install_profile, token = excluded.token, token_unix = excluded.token_unix, install_started_unix = "
        "excluded.install_started_unix, done_unix = excluded.done_unix, rollout = excluded.rollout, "
        "rollout_joined_unix = excluded.rollout_joined_unix, rollout_boot_unix = excluded.rollout_boot_unix, "
        "ip6 = excluded.ip6",
        kColumns);
    if (!prepare(begin_, "BEGIN IMMEDIATE") || !prepare(commit_, "COMMIT") || !prepare(rollback_, "ROLLBACK") ||
        !prepare(upsert_, upsert) || !prepare(delete_machine_, "DELETE FROM machines WHERE mac = ?1") ||
        !prepare(delete_events_, "DELETE FROM events WHERE mac = ?1") ||
        !prepare(insert_event_, "INSERT INTO events (mac, position, unix, message) VALUES (?1, ?2, ?3, ?4)"))
      return failure("cannot prepare its statements");
    return "";
  }

  Loaded load() override {
    Loaded out;
    Statement select;
    if (!select.prepare(db_, fmt::format("SELECT {} FROM machines ORDER BY mac", kColumns))) {
      out.error = failure("load");
      return out;
    }
    std::unordered_map<std::uint64_t, std::size_t> index;
    int rc = 0;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
      fleet::Machine m;
      if (std::string e = read_machine(Row(select.get()), &m); !e.empty()) {
        out.error = e;
        return out;
      }
      if (!index.emplace(m.mac.key(), out.machines.size()).second) {
        out.error = fmt::format("machine {} is stored twice", m.mac.to_string());
        return out;
      }
      out.machines.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) {
      out.error = failure("load machines");
      return out;
    }
    Statement events;
    if (!events.prepare(db_, "SELECT mac, position, unix, message FROM events ORDER BY mac, position")) {
      out.error = failure("load events");
      return out;
    }
    while ((rc = sqlite3_step(events.get())) == SQLITE_ROW) {
      const Row row(events.get());
      const std::string mac_text = row.text(0);
      const std::optional<Mac> mac = Mac::parse(mac_text);
      const auto it = mac ? index.find(mac->key()) : index.end();
      if (it == index.end()) {
        out.error = fmt::format("an event of \"{}\", which is not a stored machine", mac_text);
        return out;
      }
      if (!row.is_integer(2)) {
        out.error = fmt::format("an event of {} has no time", mac_text);
        return out;
      }
      out.machines[it->second].events.push_back(fleet::Event{row.integer(2), row.blob(3)});
    }
    if (rc != SQLITE_DONE) out.error = failure("load events");
    return out;
  }

  WriteResult write(const fleet::Changes& changes) override {
    WriteResult r;
    if (!begin_->run()) {
      r.error = failure("begin");
      return r;
    }
    r.error = write_batch(changes);
    if (r.error.empty() && !commit_->run()) r.error = failure("commit");
    // A failed statement or commit: nothing of the batch is kept.
    if (!r.error.empty() && sqlite3_get_autocommit(db_) == 0) rollback_->run();
    return r;
  }

 private:
  std::string failure(std::string_view what) const {
    return fmt::format("{}: {} (SQLite code {})", what, sqlite3_errmsg(db_), sqlite3_extended_errcode(db_));
  }
  // An older file brought to this version, every step and the new version
  // in one transaction: a failure leaves it as it was.
  std::string migrate(std::int64_t from) {
    if (!exec("BEGIN IMMEDIATE")) return failure("cannot begin its migration");
    for (std::int64_t v = from; v < kSqliteSchemaVersion; ++v) {
      if (!exec(kMigrations[static_cast<std::size_t>(v - 1)])) {
        std::string e = failure(fmt::format("cannot migrate it from schema version {} to {}", v, v + 1));
        exec("ROLLBACK");
        return e;
      }
    }
    if (!exec(fmt::format("PRAGMA user_version={}", kSqliteSchemaVersion)) || !exec("COMMIT")) {
      std::string e = failure("cannot commit its migration");
      exec("ROLLBACK");
      return e;
    }
    return "";
  }
  bool exec(std::string_view sql) {
    return sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  bool prepare(std::optional<Statement>& s, std::string_view sql) { return s.emplace().prepare(db_, sql); }
  bool pragma_integer(std::string_view sql, std::int64_t* out) {
    Statement s;
    if (!s.prepare(db_, sql) || sqlite3_step(s.get()) != SQLITE_ROW) return false;
    *out = sqlite3_column_int64(s.get(), 0);
    return true;
  }
  bool pragma_text(std::string_view sql, std::string* out) {
    Statement s;
    if (!s.prepare(db_, sql) || sqlite3_step(s.get()) != SQLITE_ROW) return false;
    *out = Row(s.get()).text(0);
    return true;
  }

  std::string write_batch(const fleet::Changes& changes) {
    for (const Mac& mac : changes.forgotten) {
      const std::string key = mac.to_string();
      if (!delete_machine_->text(1, key) || !delete_machine_->run() || !delete_events_->text(1, key) ||
          !delete_events_->run())
        return failure("forget " + key);
    }
    for (const fleet::Machine& m : changes.machines)
      if (!upsert(m)) return failure("write " + m.mac.to_string());
    return "";
  }

  bool upsert(const fleet::Machine& m) {
    Statement& s = *upsert_;
    const std::string mac = m.mac.to_string();
    const auto text = [&s](int i, const std::string& v) { return s.text(i, v); };
    const auto ipv4 = [&s](int i, Ipv4 v) { return s.text(i, v.to_string()); };
    const auto ipv6 = [&s](int i, const Ipv6& v) { return s.text(i, v.to_string()); };
    const auto number = [&s](int i, std::int64_t v) { return s.integer(i, v); };
    std::optional<std::string> labels;
    if (m.api_labels)
      labels = nlohmann::json(*m.api_labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::optional<std::string> token;
    if (m.token) token = fleet::token_hex(*m.token);
    const bool bound =
        s.text(1, mac) && s.text(2, m.uuid) && s.text(3, m.buildarch) && s.text(4, m.platform) &&
        s.optional(5, m.ip, ipv4) && s.optional(6, m.dhcp.arch, number) && s.optional(7, m.dhcp.relay, ipv4) &&
        s.text(8, m.dhcp.dhcp_hostname) && s.integer(9, m.first_seen_unix) && s.integer(10, m.last_seen_unix) &&
        s.optional(11, m.api_hostname, text) && s.optional(12, labels, text) &&
        (m.next ? s.text(13, m.next->profile) && s.integer(14, m.next->once ? 1 : 0) : s.null(13) && s.null(14)) &&
        s.text(15, fleet::to_string(m.state)) && s.integer(16, m.install_attempts) && s.text(17, m.install_profile) &&
        s.optional(18, token, text) && s.integer(19, m.token_unix) && s.integer(20, m.install_started_unix) &&
        s.integer(21, m.done_unix) && (m.rollout.empty() ? s.null(22) : s.text(22, m.rollout)) &&
        s.integer(23, m.rollout_joined_unix) && s.integer(24, m.rollout_boot_unix) && s.optional(25, m.ip6, ipv6);
    if (!bound || !s.run()) return false;
    if (!delete_events_->text(1, mac) || !delete_events_->run()) return false;
    for (std::size_t i = 0; i < m.events.size(); ++i) {
      Statement& e = *insert_event_;
      if (!e.text(1, mac) || !e.integer(2, static_cast<std::int64_t>(i)) || !e.integer(3, m.events[i].unix) ||
          !e.blob(4, m.events[i].message) || !e.run())
        return false;
    }
    return true;
  }

  // One row into `m`; the reason when a column does not hold what this
  // ringboot writes (the file was damaged or written by another program).
  static std::string read_machine(const Row& row, fleet::Machine* m) {
    const std::string mac_text = row.text(0);
    const std::optional<Mac> mac = Mac::parse(mac_text);
    if (!mac) return fmt::format("a machine's mac \"{}\" is not a MAC", mac_text);
    m->mac = *mac;
    const auto bad = [&](std::string_view column, std::string_view why) {
      return fmt::format("machine {}: {} {}", mac_text, column, why);
    };
    const auto ipv4 = [&](int i, std::optional<Ipv4>* out) {
      if (row.is_null(i)) return true;
      *out = Ipv4::parse(row.text(i));
      return out->has_value();
    };
    const auto integer = [&](int i, std::int64_t min, std::int64_t max, std::int64_t* out) {
      if (!row.is_integer(i)) return false;
      *out = row.integer(i);
      return *out >= min && *out <= max;
    };
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    m->uuid = row.text(1);
    m->buildarch = row.text(2);
    m->platform = row.text(3);
    if (!ipv4(4, &m->ip)) return bad("ip", "is not an IPv4 address");
    if (!row.is_null(5)) {
      std::int64_t arch = 0;
      if (!integer(5, 0, 0xffff, &arch)) return bad("dhcp_arch", "is not 0..65535");
      m->dhcp.arch = static_cast<std::uint16_t>(arch);
    }
    if (!ipv4(6, &m->dhcp.relay)) return bad("dhcp_relay", "is not an IPv4 address");
    m->dhcp.dhcp_hostname = row.text(7);
    if (!integer(8, kMin, kMax, &m->first_seen_unix)) return bad("first_seen_unix", "is not an integer");
    if (!integer(9, kMin, kMax, &m->last_seen_unix)) return bad("last_seen_unix", "is not an integer");
    if (!row.is_null(10)) m->api_hostname = row.text(10);
    if (!row.is_null(11)) {
      const nlohmann::json labels = nlohmann::json::parse(row.text(11), nullptr, false);
      if (!labels.is_array()) return bad("api_labels", "is not a JSON array");
      std::vector<std::string> values;
      for (const auto& label : labels) {
        if (!label.is_string()) return bad("api_labels", "holds a value that is not a string");
        values.push_back(label.get<std::string>());
      }
      m->api_labels = std::move(values);
    }
    if (!row.is_null(12)) {
      std::int64_t once = 0;
      if (!integer(13, 0, 1, &once)) return bad("next_once", "is not 0 or 1");
      m->next = fleet::NextBoot{row.text(12), once == 1};
    }
    const std::optional<fleet::State> state = parse_state(row.text(14));
    if (!state) return bad("state", fmt::format("\"{}\" is not a state", row.text(14)));
    m->state = *state;
    std::int64_t attempts = 0;
    if (!integer(15, 0, std::numeric_limits<std::uint32_t>::max(), &attempts))
      return bad("install_attempts", "is not a count");
    m->install_attempts = static_cast<std::uint32_t>(attempts);
    m->install_profile = row.text(16);
    if (!row.is_null(17)) {
      m->token = fleet::parse_token(row.text(17));
      if (!m->token) return bad("token", "is not 32 lower-case hex digits");
    }
    if (!integer(18, kMin, kMax, &m->token_unix)) return bad("token_unix", "is not an integer");
    if (!integer(19, kMin, kMax, &m->install_started_unix)) return bad("install_started_unix", "is not an integer");
    if (!integer(20, kMin, kMax, &m->done_unix)) return bad("done_unix", "is not an integer");
    if (!row.is_null(21)) {
      m->rollout = row.text(21);
      if (!fleet::rollout_name_ok(m->rollout)) return bad("rollout", "is not a rollout name");
    }
    if (!integer(22, kMin, kMax, &m->rollout_joined_unix)) return bad("rollout_joined_unix", "is not an integer");
    if (!integer(23, kMin, kMax, &m->rollout_boot_unix)) return bad("rollout_boot_unix", "is not an integer");
    if (!row.is_null(24)) {
      m->ip6 = parse_ipv6_zoned(row.text(24));
      if (!m->ip6) return bad("ip6", "is not an IPv6 address");
    }
    return "";
  }

  std::string path_;
  sqlite3* db_;
  std::optional<Statement> begin_, commit_, rollback_, upsert_, delete_machine_, delete_events_, insert_event_;
};

}  // namespace

std::unique_ptr<MachineStore> open_sqlite(const std::string& path, std::string* error) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    *error = fmt::format("machine store {}: cannot open it: {}", path,
                         db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return nullptr;
  }
  auto store = std::make_unique<SqliteStore>(path, db);
  if (std::string reason = store->init(); !reason.empty()) {
    *error = fmt::format("machine store {}: {}", path, reason);
    return nullptr;
  }
  return store;
}

}  // namespace ringboot::store
