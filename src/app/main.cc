// ringboot: a network boot server (TFTP, HTTP, DHCP tagger) on io_uring.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#ifndef RINGBOOT_NO_MIMALLOC  // sanitizer builds: the system allocator
#include <mimalloc.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/fleet_service.h"
#include "app/machines_cli.h"
#include "app/metrics_page.h"
#include "app/schema.h"
#include "app/signals.h"
#include "app/store_writer.h"
#include "app/worker.h"
#include "base/log.h"
#include "base/version.h"
#include "io/journal.h"
#include "io/privileges.h"
#include "io/rlimit.h"
#include "store/sqlite_store.h"

namespace {

// A listener key as the start-up line prints it: "off" or "0.0.0.0:69,[::]:69".
std::string listen_text(const std::vector<ringboot::Endpoint>& endpoints) {
  if (endpoints.empty()) return "off";
  std::string out;
  for (const ringboot::Endpoint& e : endpoints) out += (out.empty() ? "" : ",") + e.to_string();
  return out;
}

using namespace ringboot;

struct Flags {
  std::string config_file;
  bool check_config = false;
  bool dump_config = false;
  std::vector<std::string> sets;  // --set KEY=VALUE, in order
  std::optional<std::string> root, tftp_listen, http_listen, metrics_listen, api_listen, log_level, user;
  std::optional<unsigned> threads;
};

// Flags win over the config file.
std::vector<ConfigError> apply_flags(const Flags& f, Settings* s) {
  std::vector<ConfigError> errors;
  auto listen = [&](const std::optional<std::string>& text, const char* flag, std::vector<Endpoint>* out) {
    if (!text) return;
    std::string reason;
    if (auto endpoints = schema::parse_listen(*text, &reason))
      *out = std::move(*endpoints);
    else
      errors.push_back(ConfigError{flag, 0, reason});
  };
  for (const std::string& assignment : f.sets)
    for (auto& e : apply_setting(assignment, s)) errors.push_back(std::move(e));
  if (f.root) s->root = *f.root;
  listen(f.tftp_listen, "--tftp-listen", &s->tftp.listen);
  listen(f.http_listen, "--http-listen", &s->http.listen);
  listen(f.metrics_listen, "--metrics-listen", &s->http.metrics_listen);
  listen(f.api_listen, "--api-listen", &s->api.listen);
  if (f.api_listen && !s->api.listen.empty() && s->api.tokens_file.empty())
    errors.push_back(ConfigError{
        "--api-listen", 0, "the API listens only with [api] tokens_file (without a token it could answer only 401)"});
  if (f.threads) s->threads = *f.threads;
  if (f.user) s->user = *f.user;
  if (f.log_level) {
    if (auto level = parse_log_level(*f.log_level))
      s->log_level = *level;
    else
      errors.push_back(
          ConfigError{"--log-level", 0, fmt::format("\"{}\" is not debug, info, warn or error", *f.log_level)});
  }
  return errors;
}

// Defaults, then the config file, then flags; then the API's tokens file.
std::vector<ConfigError> load_settings(const Flags& f, Settings* settings, std::vector<std::string>* warnings) {
  std::vector<ConfigError> errors;
  if (!f.config_file.empty()) {
    settings->config_file = f.config_file;
    errors = load_config_file(f.config_file, settings);
  }
  for (auto& e : apply_flags(f, settings)) errors.push_back(std::move(e));
  for (auto& e : apply_state_dir(settings)) errors.push_back(std::move(e));
  if (errors.empty())
    for (auto& e : load_api_tokens(settings, warnings)) errors.push_back(std::move(e));
  return errors;
}

// SIGHUP: re-read the config; an invalid one is rejected and the old stays.
void reload(const Flags& f, SettingsBox& box, SharedFleet& fleet) {
  Settings next;
  std::vector<std::string> warnings;
  const std::vector<ConfigError> errors = load_settings(f, &next, &warnings);
  for (const auto& w : warnings) log(LogLevel::warn, "ringboot.config_warning", "reason=\"{}\"", w);
  if (!errors.empty()) {
    for (const auto& e : errors) log(LogLevel::error, "ringboot.reload_rejected", "error=\"{}\"", e.to_string());
    return;
  }
  const auto current = box.get();
  const std::vector<std::string> restart = restart_keys_changed(*current, next);
  if (!restart.empty())
    log(LogLevel::warn, "ringboot.reload", "keys=\"{}\" reason=\"these take effect on restart\"",
        fmt::join(restart, ","));
  if (next.api.enabled() != current->api.enabled())
    log(LogLevel::warn, "ringboot.reload",
        "keys=\"api.tokens_file\" reason=\"the API's listener starts or stops on restart; tokens change now\"");
  set_log_level(next.log_level);
  if (fleet.writer() == nullptr && next.fleet_config().enabled())
    log(LogLevel::warn, "fleet.store_off",
        "reason=\"per-machine boot was off at start, so no machine store is open: its state is not kept and API "
        "changes answer 503 until a restart\"");
  fleet.configure(next.fleet_config());
  box.publish(std::move(next));
  log(LogLevel::info, "ringboot.reloaded", "config=\"{}\"", f.config_file);
}

// The machine store, when per-machine boot is on: <state_dir>/machines.db,
// opened (as the --user: its files are that user's) and loaded into the
// engine before the first request is served, then written by its own
// thread. A store that cannot be read refuses the start: starting empty
// would forget every machine's state and hand out installs again.
std::unique_ptr<StoreWriter> open_store(const Settings& settings, SharedFleet& fleet, std::string* error) {
  const Instant start = Clock::now();
  const std::string path = machine_store_path(settings);
  if (!io::file_ensure_private(path, error)) {
    *error = "machine store: " + *error;
    return nullptr;
  }
  std::unique_ptr<store::MachineStore> store = store::open_sqlite(path, error);
  if (!store) return nullptr;
  store::Loaded loaded = store->load();
  if (!loaded.ok()) {
    *error = fmt::format("machine store {}: {}", path, loaded.error);
    return nullptr;
  }
  const std::size_t stored = loaded.machines.size();
  if (const std::size_t refused = fleet.restore(std::move(loaded.machines)); refused > 0) {
    *error = fmt::format("machine store {}: {} of its {} machines do not fit in [fleet] machines_max {} (raise it)",
                         path, refused, stored, settings.fleet.machines_max);
    return nullptr;
  }
  auto writer = std::make_unique<StoreWriter>(
      std::move(store), [&fleet](std::uint64_t* sequence) { return fleet.take_changes(sequence); });
  writer->start();
  fleet.attach(writer.get());
  log(LogLevel::info, "fleet.store_loaded", "store=\"{}\" machines={} ms={}", writer->describe(), stored,
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  return writer;
}

int serve(const Flags& flags, const Settings& initial) {
  SettingsBox box(initial);
  SharedFleet fleet(initial.fleet_config());
  {
    // The event stream's sequences start from the start time, so a
    // Last-Event-ID of an earlier run never resumes in this one.
    const auto start_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    fleet.configure_feed(initial.api.events_buffer, static_cast<std::uint64_t>(start_ms) * 1000);
  }
  ApiShared api_shared(initial.api.sessions_max, initial.api.session_lifetime_seconds);
  std::unique_ptr<StoreWriter> writer;  // destroyed before the engine it writes from
  const Settings& settings = initial;
  const bool store_on = initial.fleet_config().enabled();
  // Each TFTP session holds a socket; each HTTP connection a socket and a pipe.
  const unsigned long files = io::raise_open_file_limit();
  const unsigned long wanted = std::uint64_t{settings.tftp.sessions_max} + 3ull * settings.http.connections_max + 512;
  if (files < wanted)
    log(LogLevel::warn, "ringboot.open_files",
        "limit={} needed={} reason=\"raise LimitNOFILE or lower tftp.sessions_max / http.connections_max\"", files,
        wanted);
  const unsigned threads = settings.threads != 0 ? settings.threads : std::max(1u, std::thread::hardware_concurrency());
  const bool leases_on = settings.dhcp.mode == dhcp::Mode::server;
  const bool leases6_on = settings.dhcp6.mode == dhcp6::Mode::server;
  int state_lock = -1;
  if (leases_on || leases6_on || store_on) {
    // The state directory (/var/lib/ringboot by default) is made here when
    // missing, for the --user that will write it.
    std::string error;
    std::optional<io::UserIds> owner;
    if (!settings.user.empty() && !(owner = io::lookup_user(settings.user, &error))) {
      std::fprintf(stderr, "ringboot: %s\n", error.c_str());
      return 1;
    }
    if ((leases_on && !io::journal_directory_ensure(settings.dhcp.lease_file, owner, &error)) ||
        (leases6_on &&
         !io::journal_directory_ensure(settings.dhcp6.lease_file, owner, &error, "lease file", "dhcp6.lease_file"))) {
      std::fprintf(stderr, "ringboot: %s\n", error.c_str());
      return 1;
    }
    if (store_on &&
        (!io::journal_directory_ensure(machine_store_path(settings), owner, &error, "machine store", "state_dir") ||
         (state_lock = io::directory_lock(settings.state_dir, &error)) < 0)) {
      std::fprintf(stderr, "ringboot: %s\n", error.c_str());
      return 1;
    }
  }
  block_signals();
  io::forbid_new_privileges();  // inherited by every worker thread started below
  std::atomic<RunPhase> phase{RunPhase::running};
  std::atomic<unsigned> running{threads};
  std::atomic<bool> go{false};  // workers serve only after privileges are dropped
  std::vector<std::unique_ptr<WorkerStats>> stats;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> pool;
  std::vector<std::future<std::string>> ready;
  for (unsigned i = 0; i < threads; ++i) stats.push_back(std::make_unique<WorkerStats>());
  const bool api_on = settings.api.enabled();
  auto metrics = [&stats, &fleet, api_on] {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return render_metrics(stats, &fleet, std::chrono::duration_cast<std::chrono::milliseconds>(now).count(), api_on);
  };
  // Every worker exists before the first thread starts: a thread holds its
  // own Worker, never an element of a vector that is still growing (found by
  // ThreadSanitizer: the vector's reallocation freed what thread 0 read).
  for (unsigned i = 0; i < threads; ++i)
    workers.push_back(std::make_unique<Worker>(box, i, threads, *stats[i], metrics, &fleet, &api_shared));
  for (const auto& owned : workers) {
    std::promise<std::string> started;
    ready.push_back(started.get_future());
    pool.emplace_back([&, worker = owned.get(), started = std::move(started)]() mutable {
      std::string error;
      const bool ok = worker->init(&error);
      started.set_value(ok ? "" : (error.empty() ? "worker setup failed" : error));
      go.wait(false);
      if (ok) worker->run(phase);
      running.fetch_sub(1);
    });
  }
  std::string failure;
  for (auto& f : ready) {
    std::string error = f.get();
    if (!error.empty() && failure.empty()) failure = std::move(error);
  }
  // Every port is bound now: drop root before serving a single packet.
  if (failure.empty() && !settings.user.empty() && !io::drop_privileges(settings.user, &failure))
    phase.store(RunPhase::stopped);
  if (failure.empty() && store_on && !(writer = open_store(settings, fleet, &failure))) phase.store(RunPhase::stopped);
  go.store(true);
  go.notify_all();
  if (failure.empty() && settings.user.empty() && io::running_as_root())
    log(LogLevel::warn, "ringboot.root",
        "reason=\"running as root without --user: set --user to drop privileges after binding\"");
  if (failure.empty()) {
    log(LogLevel::info, "ringboot.started", "root=\"{}\" threads={} tftp={} http={} api={} dhcp={} dhcp6={}",
        settings.root, threads, listen_text(settings.tftp.listen), listen_text(settings.http.listen),
        settings.api.enabled() ? listen_text(settings.api.listen) : "off", dhcp::to_string(settings.dhcp.mode),
        dhcp6::to_string(settings.dhcp6.mode));
    while (wait_for_signal() == SignalEvent::reload) reload(flags, box, fleet);
    // Stop accepting; transfers in flight get the grace period; a second
    // signal stops at once.
    log(LogLevel::info, "ringboot.draining", "grace_ms={}",
        std::chrono::duration_cast<std::chrono::milliseconds>(settings.shutdown_grace).count());
    phase.store(RunPhase::draining);
    while (running.load() > 0)
      if (wait_for_stop_signal_for(std::chrono::milliseconds(100))) phase.store(RunPhase::stopped);
  }
  phase.store(RunPhase::stopped);
  for (auto& t : pool) t.join();
  // Every worker has stopped: what they changed last is written, then the writer ends.
  if (writer) writer->stop();
  io::journal_close(state_lock);
  if (!failure.empty()) {
    std::fprintf(stderr, "ringboot: %s\n", failure.c_str());
    return 1;
  }
  log(LogLevel::info, "ringboot.stopped", "");
  return 0;
}

// `ringboot machines ...`: the admin API's client (app/machines_cli.h).
CLI::App* add_machines_command(CLI::App& app, MachinesOptions& o) {
  CLI::App* m = app.add_subcommand("machines",
                                   "the fleet's machines over the admin API: list, show, reinstall, "
                                   "local, reset, forget, rollouts, watch (a table; --json: the API's JSON)");
  m->add_option("--api", o.api, "the API's ADDR:PORT or http://HOST:PORT")->capture_default_str();
  m->add_option("--token-file", o.token_file,
                fmt::format("a file with the API token on its first line (default: ${})", kApiTokenEnvironment));
  m->add_flag("--json", o.json, "print the API's JSON instead of a table");
  m->require_subcommand(1, 1);
  m->fallthrough();  // --api, --token-file and --json also after the subcommand
  CLI::App* list = m->add_subcommand("list", "the machines, with filters");
  list->add_option("--state", o.state, "local, install, installing, done or failed");
  list->add_option("--label", o.labels, "machines with this label (repeatable: all of them)");
  list->add_option("--profile", o.list_profile, "machines whose next boot is this profile");
  list->add_option("--group", o.group, "machines of this [[group]]");
  list->add_option("--rollout", o.rollout, "machines of this rollout");
  CLI::App* show = m->add_subcommand("show", "one machine's state, facts and installer events");
  show->add_option("MAC", o.macs, "colons or hyphens")->required();
  CLI::App* reinstall =
      m->add_subcommand("reinstall", "install on the next boot: --profile, or the profile of each machine's group");
  reinstall->add_option("MAC", o.macs, "colons or hyphens (a MAC not seen yet is created)");
  reinstall->add_option("--profile", o.profile, "the [[profile]] to install (required with --label or --group)");
  reinstall->add_flag("--always", o.always, "install on every boot, not once");
  reinstall->add_option("--label", o.labels, "every known machine with this label (repeatable: all of them)");
  reinstall->add_option("--group", o.group, "every known machine of this [[group]]");
  reinstall->add_option("--rollout", o.rollout,
                        "the rollout (a name of letters, digits, '.', '_', '-') the machines join: "
                        "`ringboot machines rollouts NAME` follows it");
  CLI::App* local = m->add_subcommand("local", "boot the local disk from the next boot on");
  local->add_option("MAC", o.macs, "colons or hyphens");
  local->add_option("--label", o.labels, "every known machine with this label (repeatable: all of them)");
  local->add_option("--group", o.group, "every known machine of this [[group]]");
  CLI::App* reset = m->add_subcommand("reset", "back to install with no attempts (a failed or done machine)");
  reset->add_option("MAC", o.macs, "colons or hyphens")->required();
  CLI::App* forget = m->add_subcommand("forget", "drop the machine and its state ([[machine]]s come back declared)");
  forget->add_option("MAC", o.macs, "colons or hyphens")->required();
  CLI::App* rollouts = m->add_subcommand(
      "rollouts", "the rollouts: machines per stage, done, failed, stuck, time to done (NAME: its failed and stuck)");
  rollouts->add_option("NAME", o.rollout, "one rollout");
  CLI::App* watch =
      m->add_subcommand("watch", "the machines table, then a line per change as it happens (Ctrl-C ends it)");
  watch->add_option("--rollout", o.rollout, "only the machines of this rollout");
  watch->add_option("--stage", o.stage, "only machines in this stage (discovered, ..., installing, done, failed)");
  return m;
}

}  // namespace

int main(int argc, char** argv) {
#ifndef RINGBOOT_NO_MIMALLOC
  mi_version();  // links mimalloc's override before any allocation
#endif
  CLI::App app{"ringboot: network boot server (TFTP, HTTP, proxyDHCP/DHCP) on io_uring"};
  Flags f;
  app.add_option("--config", f.config_file, "TOML config file (flags override it)");
  app.add_flag("--check-config", f.check_config, "validate the config, print errors with file and line, and exit");
  app.add_flag("--dump-config", f.dump_config,
               "print the effective config (defaults, file, flags) as commented TOML and exit");
  app.add_option("--set", f.sets, "KEY=VALUE: any config key, e.g. --set tftp.windowsize_max=16 (repeatable)");
  app.add_option("--root", f.root, "boot root directory served over TFTP and HTTP");
  app.add_option("--tftp-listen", f.tftp_listen,
                 "TFTP addresses ADDR:PORT,[IPV6]:PORT,... or off (default 0.0.0.0:69)");
  app.add_option("--http-listen", f.http_listen,
                 "HTTP addresses ADDR:PORT,[IPV6]:PORT,... or off (default 0.0.0.0:80)");
  app.add_option("--metrics-listen", f.metrics_listen,
                 "separate /metrics addresses, comma-separated (default: the HTTP listeners)");
  app.add_option("--api-listen", f.api_listen,
                 "admin API addresses, comma-separated, or off (default 127.0.0.1:8081; listens only with [api] "
                 "tokens_file)");
  app.add_option("--threads", f.threads, "worker threads (default: one per core)")->check(CLI::Range(1u, 256u));
  app.add_option("--log-level", f.log_level, "debug, info, warn or error");
  app.add_option("--user", f.user, "drop privileges to this user after binding ports");
  app.set_version_flag("--version", fmt::format("ringboot {}", kVersion));
  MachinesOptions machines_options;
  CLI::App* machines = add_machines_command(app, machines_options);
  CLI11_PARSE(app, argc, argv);
  if (machines->parsed()) {
    for (const CLI::App* sub : machines->get_subcommands()) machines_options.command = sub->get_name();
    return run_machines(machines_options);
  }

  Settings settings;
  std::vector<std::string> warnings;
  const std::vector<ConfigError> errors = load_settings(f, &settings, &warnings);
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
  if (f.check_config || f.dump_config)
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (f.dump_config) {
    if (!errors.empty()) return 1;
    std::fputs(dump_config(settings).c_str(), stdout);
    return 0;
  }
  if (f.check_config) {
    if (errors.empty()) std::printf("%s: ok\n", f.config_file.empty() ? "flags" : f.config_file.c_str());
    return errors.empty() ? 0 : 1;
  }
  if (!errors.empty()) return 1;
  set_log_level(settings.log_level);
  for (const auto& w : warnings) log(LogLevel::warn, "ringboot.config_warning", "reason=\"{}\"", w);
  return serve(f, settings);
}
