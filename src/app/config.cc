#include "app/config.h"

#include <fmt/format.h>

#include <set>
#include <toml++/toml.h>

namespace ringboot {

std::string ConfigError::to_string() const {
  if (file.empty()) return reason;
  if (line == 0) return fmt::format("{}: {}", file, reason);
  return fmt::format("{}:{}: {}", file, line, reason);
}

namespace {

// Walks one TOML table: typed getters that record errors with the line of
// the offending value, and a final check that reports unknown keys.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string file, std::string prefix, std::vector<ConfigError>* errors)
      : table_(table), file_(std::move(file)), prefix_(std::move(prefix)), errors_(errors) {}

  template <typename T>
  void integer(std::string_view key, T* out, std::int64_t min, std::int64_t max) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto value = node->value<std::int64_t>();
    if (!node->is_integer() || !value) return error(*node, fmt::format("{} must be an integer", name(key)));
    if (*value < min || *value > max)
      return error(*node, fmt::format("{} = {} is out of range {}..{}", name(key), *value, min, max));
    *out = static_cast<T>(*value);
  }
  void millis(std::string_view key, Duration* out, std::int64_t min, std::int64_t max) {
    std::int64_t ms = -1;
    integer(key, &ms, min, max);
    if (ms >= 0) *out = milliseconds(ms);
  }
  void boolean(std::string_view key, bool* out) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    if (!node->is_boolean()) return error(*node, fmt::format("{} must be true or false", name(key)));
    *out = *node->value<bool>();
  }
  void string(std::string_view key, std::string* out) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    if (!node->is_string()) return error(*node, fmt::format("{} must be a string", name(key)));
    *out = *node->value<std::string>();
  }
  // "ADDR:PORT" or "off".
  void listen(std::string_view key, std::optional<Endpoint>* out) {
    const toml::node* node = find(key);
    if (node == nullptr) return;
    const auto text = node->value<std::string>();
    if (!text) return error(*node, fmt::format("{} must be a string \"ADDR:PORT\" or \"off\"", name(key)));
    if (*text == "off") {
      out->reset();
      return;
    }
    const auto endpoint = Endpoint::parse(*text);
    if (!endpoint) return error(*node, fmt::format("{} = \"{}\" is not ADDR:PORT or off", name(key), *text));
    *out = *endpoint;
  }
  const toml::table* table(std::string_view key) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      error(*node, fmt::format("{} must be a table", name(key)));
      return nullptr;
    }
    return node->as_table();
  }
  void skip(std::string_view key) { seen_.insert(std::string(key)); }
  const toml::node* node(std::string_view key) const { return table_.get(key); }
  void reject_unknown() {
    for (const auto& [key, node] : table_)
      if (!seen_.contains(std::string(key.str()))) error(node, fmt::format("unknown key {}", name(key.str())));
  }
  void error(const toml::node& node, std::string reason) {
    errors_->push_back(ConfigError{file_, static_cast<std::uint32_t>(node.source().begin.line), std::move(reason)});
  }

 private:
  const toml::node* find(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
  }
  std::string name(std::string_view key) const { return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key); }

  const toml::table& table_;
  std::string file_;
  std::string prefix_;
  std::vector<ConfigError>* errors_;
  std::set<std::string> seen_;
};

std::vector<ConfigError> load_config_from(const toml::table& document, const std::string& path, Settings* settings);

void read_tftp(TableReader& r, TftpSettings* t) {
  r.listen("listen", &t->listen);
  r.integer("blksize_max", &t->blksize_max, 8, 65464);
  r.boolean("mtu_clamp", &t->mtu_clamp);
  r.integer("windowsize_max", &t->windowsize_max, 1, 65535);
  r.integer("window_bytes_max", &t->window_bytes_max, 0, std::int64_t{1} << 30);
  r.integer("client_receive_buffer_bytes", &t->client_receive_buffer_bytes, 0, std::int64_t{1} << 30);
  r.integer("sessions_max", &t->sessions_max, 1, 1 << 20);
  r.integer("sessions_per_client_max", &t->sessions_per_client_max, 1, 1 << 20);
  r.integer("retries_max", &t->retries_max, 1, 100);
  r.millis("rto_min_ms", &t->rto_min, 1, 60000);
  r.millis("rto_max_ms", &t->rto_max, 1, 255000);
  r.millis("rto_initial_ms", &t->rto_initial, 1, 255000);
  r.integer("netascii_bytes_max", &t->netascii_bytes_max, 0, std::int64_t{1} << 32);
  r.integer("receive_buffer_bytes", &t->receive_buffer_bytes, 0, 1 << 30);
  r.integer("send_slots", &t->send_slots, 16, 1 << 20);
  r.integer("requests_per_second_per_client", &t->requests_per_second_per_client, 0, 1000000);
  r.integer("rate_limit_burst", &t->rate_limit_burst, 0, 1000000);
  r.integer("rate_limit_clients_max", &t->rate_limit_clients_max, 1, 1 << 24);
  r.string("upload_dir", &t->upload_dir);
  r.integer("upload_bytes_max", &t->upload_bytes_max, 1, std::int64_t{1} << 40);
  r.reject_unknown();
}

void read_http(TableReader& r, HttpSettings* h) {
  r.listen("listen", &h->listen);
  r.listen("metrics_listen", &h->metrics_listen);
  r.integer("connections_max", &h->connections_max, 1, 1 << 20);
  r.integer("header_bytes_max", &h->header_bytes_max, 256, 1 << 20);
  r.integer("headers_max", &h->headers_max, 1, 1024);
  r.millis("header_timeout_ms", &h->header_timeout, 1, 3600000);
  r.millis("idle_timeout_ms", &h->idle_timeout, 1, 3600000);
  r.millis("send_timeout_ms", &h->send_timeout, 1, 3600000);
  r.integer("chunk_bytes", &h->chunk_bytes, 4096, 1 << 30);
  r.reject_unknown();
}

}  // namespace

std::vector<ConfigError> load_config_file(const std::string& path, Settings* settings) {
  try {
    return load_config_from(toml::parse_file(path), path, settings);
  } catch (const toml::parse_error& e) {
    return {ConfigError{path, static_cast<std::uint32_t>(e.source().begin.line), std::string(e.description())}};
  }
}

std::vector<ConfigError> load_config_text(std::string_view text, std::string name, Settings* settings) {
  // Debian's toml++ 3.3 reaches undefined behaviour on some non-ASCII
  // whitespace (upstream issues 190/295, found by fuzz/config_fuzz): accept
  // ASCII only, which every key and value ringboot knows fits.
  std::uint32_t line = 1;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80)
      return {ConfigError{name, line, fmt::format("non-ASCII byte 0x{:02x}: ringboot configs are ASCII",
                                                  static_cast<unsigned char>(c))}};
  }
  try {
    return load_config_from(toml::parse(text, name), name, settings);
  } catch (const toml::parse_error& e) {
    return {ConfigError{name, static_cast<std::uint32_t>(e.source().begin.line), std::string(e.description())}};
  }
}

namespace {

std::vector<ConfigError> load_config_from(const toml::table& document, const std::string& path, Settings* settings) {
  std::vector<ConfigError> errors;
  TableReader top(document, path, "", &errors);
  top.string("root", &settings->root);
  // A relative root is relative to the config file, so a config works from any directory.
  if (!settings->root.empty() && settings->root[0] != '/') {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos) settings->root = path.substr(0, slash + 1) + settings->root;
  }
  top.integer("threads", &settings->threads, 0, 256);
  std::string level;
  top.string("log_level", &level);
  if (!level.empty()) {
    if (auto parsed = parse_log_level(level))
      settings->log_level = *parsed;
    else
      top.error(*document.get("log_level"), fmt::format("log_level = \"{}\" is not debug, info, warn or error", level));
  }
  top.string("user", &settings->user);
  top.millis("shutdown_grace_ms", &settings->shutdown_grace, 0, 3600000);
  if (const toml::table* t = top.table("tftp")) {
    TableReader r(*t, path, "tftp", &errors);
    read_tftp(r, &settings->tftp);
    // A relative upload dir is relative to the config file, like root.
    std::string& upload_dir = settings->tftp.upload_dir;
    if (!upload_dir.empty() && upload_dir[0] != '/') {
      const auto slash = path.rfind('/');
      if (slash != std::string::npos) upload_dir = path.substr(0, slash + 1) + upload_dir;
    }
  }
  if (const toml::table* h = top.table("http")) {
    TableReader r(*h, path, "http", &errors);
    read_http(r, &settings->http);
  }
  top.skip("dhcp");  // the DHCP tagger's own schema, parsed by src/dhcp
  top.reject_unknown();
  dhcp::DhcpConfigResult dhcp = dhcp::parse_dhcp_config(document, path);
  for (auto& reason : dhcp.errors) errors.push_back(ConfigError{"", 0, std::move(reason)});  // already "file:line: ..."
  settings->dhcp = std::move(dhcp.config);
  // A relative lease file is relative to the config file too.
  std::string& lease_file = settings->dhcp.lease_file;
  if (!lease_file.empty() && lease_file[0] != '/') {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos) lease_file = path.substr(0, slash + 1) + lease_file;
  }
  return errors;
}

}  // namespace

}  // namespace ringboot
