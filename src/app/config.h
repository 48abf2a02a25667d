// ringboot's settings: built-in defaults, then the TOML file, then flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/tokens.h"
#include "base/endpoint.h"
#include "base/log.h"
#include "base/time.h"
#include "dhcp/config.h"
#include "dhcp6/engine.h"
#include "fleet/config.h"

namespace ringboot {

struct TftpSettings {
  std::vector<Endpoint> listen = {Endpoint{Ipv4{0}, 69}};  // either family, several; empty: off
  std::uint16_t blksize_max = 65464;                       // further clamped to the interface MTU when mtu_clamp
  bool mtu_clamp = true;                                   // 1468 on a 1500-byte link, 1448 over IPv6
  std::uint16_t windowsize_max = 64;
  std::uint32_t window_bytes_max = 128 * 1024;         // payload of one window
  std::uint32_t client_receive_buffer_bytes = 212992;  // assumed client sk_rcvbuf a window must fit; 0: off
  std::uint32_t sessions_max = 8192;                   // across all threads
  std::uint32_t sessions_per_client_max = 64;
  std::uint32_t retries_max = 6;
  Duration rto_min = milliseconds(100);
  Duration rto_max = seconds(2);
  Duration rto_initial = seconds(1);
  std::uint64_t netascii_bytes_max = 16u << 20;
  int receive_buffer_bytes = 8 << 20;  // listening socket: a 1,000-client storm fits
  std::uint32_t send_slots = 8192;     // in-flight datagrams per thread
  // Per-client (source address) request rate on the listening socket, per
  // worker thread; over it a request is dropped silently. 0: off.
  std::uint32_t requests_per_second_per_client = 0;
  std::uint32_t rate_limit_burst = 0;            // 0: the same as the rate
  std::uint32_t rate_limit_clients_max = 65536;  // addresses tracked per thread
  // Opt-in uploads: WRQs create new files beneath this directory (relative:
  // to the config file). Empty: write requests are refused with ERROR 2.
  std::string upload_dir;
  std::uint64_t upload_bytes_max = std::uint64_t{64} << 20;  // per file; larger uploads get ERROR 3
};

struct HttpSettings {
  std::vector<Endpoint> listen = {Endpoint{Ipv4{0}, 80}};  // either family, several; empty: off
  std::vector<Endpoint> metrics_listen;                    // empty: /metrics on the HTTP listener
  std::uint32_t connections_max = 2048;                    // across all threads; each holds a socket
  std::uint32_t header_bytes_max = 8192;
  std::uint32_t headers_max = 64;
  Duration header_timeout = seconds(10);
  Duration idle_timeout = seconds(30);
  Duration send_timeout = seconds(60);
  Duration lingering_timeout = seconds(5);  // after an error response: drain the client this long, then close
  std::uint32_t chunk_bytes = 1u << 20;     // a body's most bytes per sendfile call
  // body bytes one worker sends in a loop turn; connections past it wait for
  // the next turn, so its DHCP and TFTP sockets are read between
  std::uint32_t turn_bytes = 8u << 20;
};

// The admin API: its own listener, on only with a tokens file (an API with
// no token could answer nothing but 401, and a listener in every test and
// every default install would only be in the way).
struct ApiSettings {
  std::vector<Endpoint> listen = {Endpoint{Ipv4{0x7f000001}, 8081}};  // empty: off
  std::string tokens_file;                   // `ROLE TOKEN [NAME]` lines; empty: the API is off
  std::uint32_t body_bytes_max = 64 * 1024;  // a request body's bound: 413 past it
  // The event stream (GET /api/v1/events) and the page's login sessions.
  std::uint32_t subscribers_max = 64;                  // streams at once, over every worker: 503 past it
  std::uint32_t subscriber_buffer_bytes = 256 * 1024;  // a subscriber's unsent output: dropped past it
  std::uint32_t events_buffer = 4096;                  // recent changes kept for a resume (Last-Event-ID)
  Duration events_keepalive = seconds(15);             // ": keepalive" on an idle stream
  std::uint32_t sessions_max = 256;                    // login sessions at once: the oldest evicted past it
  std::uint32_t session_lifetime_seconds = 8 * 3600;   // a session's cookie lives this long
  // Read from tokens_file once the file and the flags are applied
  // (load_api_tokens); never printed.
  std::vector<api::ApiToken> tokens;
  bool enabled() const { return !listen.empty() && !tokens_file.empty(); }
};

struct Settings {
  std::string root = ".";
  std::string config_file;  // empty: none
  unsigned threads = 0;     // 0: one per core
  LogLevel log_level = LogLevel::info;
  std::string user;                             // drop privileges to this user after binding
  Duration shutdown_grace = seconds(10);        // SIGTERM: how long transfers in flight may finish
  std::string state_dir = "/var/lib/ringboot";  // the machine store, and the lease file unless dhcp.lease_file is set
  TftpSettings tftp;
  HttpSettings http;
  ApiSettings api;
  dhcp::DhcpConfig dhcp;
  dhcp6::Dhcp6Config dhcp6;  // its boot rules are dhcp.boot (the app copies them in)
  // Per-machine boot: [fleet], [[profile]], [[group]], [[machine]].
  fleet::FleetSettings fleet;
  std::vector<fleet::Profile> profiles;
  std::vector<fleet::Group> groups;
  std::vector<fleet::MachineConfig> machines;
  fleet::FleetConfig fleet_config() const { return fleet::FleetConfig{fleet, profiles, groups, machines}; }
};

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;  // 0: not tied to a line (a flag)
  std::string reason;
  std::string to_string() const;
};

// Reads `path` into `settings`; returns every error found (empty: valid).
std::vector<ConfigError> load_config_file(const std::string& path, Settings* settings);
// The same for a config held in memory; `name` stands for the file in errors
// and relative paths.
std::vector<ConfigError> load_config_text(std::string_view text, std::string name, Settings* settings);
// --set KEY=VALUE: one key of the schema, e.g. "tftp.windowsize_max=16" (a
// value that is not TOML is taken as a string). Errors name the flag.
std::vector<ConfigError> apply_setting(std::string_view assignment, Settings* settings);
// Fills in what defaults to a place under state_dir: dhcp.lease_file, when
// empty, becomes "<state_dir>/leases", dhcp6.lease_file "<state_dir>/leases6".
// Run after the file and the flags. Errors: the two lease files are one.
std::vector<ConfigError> apply_state_dir(Settings* settings);
// The machine store's file: "<state_dir>/machines.db".
std::string machine_store_path(const Settings& settings);
// Reads [api] tokens_file into settings->api.tokens, after the file and the
// flags: errors name the tokens file and its line; a file that others may
// read is allowed, with a line in *warnings. Also refuses an API listener
// on the HTTP or metrics listener's port.
std::vector<ConfigError> load_api_tokens(Settings* settings, std::vector<std::string>* warnings);
// The whole effective config as commented TOML that load_config_text accepts.
std::string dump_config(const Settings& settings);
// The keys SIGHUP cannot apply that differ between the two.
std::vector<std::string> restart_keys_changed(const Settings& before, const Settings& after);

}  // namespace ringboot
