#include "api/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

namespace ringboot::api {

namespace {

// A field as a cell: strings as they are, null or missing as "-".
std::string cell(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  if (it->is_array()) {
    std::string out;
    for (const auto& e : *it) out += (out.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    return out.empty() ? "-" : out;
  }
  if (it->is_object() && it->contains("name")) return cell(*it, "name");
  return it->dump();
}

// What the terminal shows of a string: control bytes as '?', so an
// installer's event cannot move the cursor or clear the screen.
std::string printable(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  return s;
}

// Rows under their header, each column padded to its widest cell.
template <std::size_t N>
std::string padded(const std::vector<std::array<std::string, N>>& rows) {
  std::array<std::size_t, N> width{};
  for (const auto& row : rows)
    for (std::size_t i = 0; i < N; ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < N; ++i) line += i + 1 < N ? fmt::format("{:<{}}  ", row[i], width[i]) : row[i];
    out += line + "\n";
  }
  return out;
}

// A rollout's machines still on their way: the stages of a boot in progress.
std::string booting(const nlohmann::json& rollout) {
  const auto stages = rollout.find("stages");
  if (stages == rollout.end() || !stages->is_object()) return "-";
  std::uint64_t n = 0;
  for (const char* stage : {"firmware_dhcp", "loader", "script", "kernel", "initrd", "installing"})
    if (const auto it = stages->find(stage); it != stages->end() && it->is_number_unsigned())
      n += it->get<std::uint64_t>();
  return std::to_string(n);
}

// A machine's address for a list: its IPv4 one, else its IPv6 one.
std::string address(const nlohmann::json& m) {
  std::string ip = cell(m, "ip");
  return ip == "-" ? cell(m, "ip6") : ip;
}

}  // namespace

std::string machines_table(const nlohmann::json& list) {
  static constexpr std::array<std::pair<const char*, const char*>, 10> kColumns = {{
      {"MAC", "mac"},
      {"HOSTNAME", "hostname"},
      {"STATE", "state"},
      {"STAGE", "stage"},
      {"PROFILE", "profile"},
      {"ONCE", "once"},
      {"ATTEMPTS", "install_attempts"},
      {"GROUP", "group"},
      {"IP", "ip"},
      {"LAST SEEN", "last_seen"},
  }};
  std::vector<std::array<std::string, kColumns.size()>> rows;
  std::array<std::string, kColumns.size()> header;
  for (std::size_t i = 0; i < kColumns.size(); ++i) header[i] = kColumns[i].first;
  rows.push_back(header);
  const auto machines = list.find("machines");
  if (machines != list.end() && machines->is_array())
    for (const auto& m : *machines) {
      std::array<std::string, kColumns.size()> row;
      for (std::size_t i = 0; i < kColumns.size(); ++i)
        row[i] = printable(kColumns[i].second == std::string_view("ip") ? address(m) : cell(m, kColumns[i].second));
      rows.push_back(std::move(row));
    }
  return padded(rows);
}

std::string rollouts_table(const nlohmann::json& list) {
  static constexpr std::array<std::pair<const char*, const char*>, 9> kColumns = {{
      {"NAME", "name"},
      {"MACHINES", "machines"},
      {"BOOTING", nullptr},  // the sum of the in-progress stages
      {"DONE", "done"},
      {"FAILED", "failed"},
      {"STUCK", "stuck"},
      {"P50 S", "time_to_done_p50_s"},
      {"P99 S", "time_to_done_p99_s"},
      {"STARTED", "started"},
  }};
  std::vector<std::array<std::string, kColumns.size()>> rows;
  std::array<std::string, kColumns.size()> header;
  for (std::size_t i = 0; i < kColumns.size(); ++i) header[i] = kColumns[i].first;
  rows.push_back(header);
  const auto rollouts = list.find("rollouts");
  if (rollouts != list.end() && rollouts->is_array())
    for (const auto& r : *rollouts) {
      std::array<std::string, kColumns.size()> row;
      for (std::size_t i = 0; i < kColumns.size(); ++i)
        row[i] = printable(kColumns[i].second != nullptr ? cell(r, kColumns[i].second) : booting(r));
      rows.push_back(std::move(row));
    }
  return padded(rows);
}

std::string rollout_details(const nlohmann::json& r) {
  std::string out = rollouts_table(nlohmann::json{{"rollouts", nlohmann::json::array({r})}});
  const auto stages = r.find("stages");
  if (stages != r.end() && stages->is_object()) {
    out += "stages:";  // in the chain's order, not the JSON object's
    for (const char* stage : {"discovered", "firmware_dhcp", "loader", "script", "kernel", "initrd", "installing",
                              "done", "local", "failed"})
      if (const auto it = stages->find(stage); it != stages->end()) out += fmt::format(" {}={}", stage, it->dump());
    out += "\n";
  }
  for (const char* list : {"failed_machines", "stuck_machines"}) {
    const auto machines = r.find(list);
    if (machines == r.end() || !machines->is_array() || machines->empty()) continue;
    out += fmt::format("{}:\n", list == std::string_view("failed_machines") ? "failed" : "stuck");
    std::vector<std::array<std::string, 3>> rows;
    for (const auto& m : *machines)
      rows.push_back({"  " + cell(m, "mac"), printable(cell(m, "hostname")), cell(m, "stage")});
    out += padded(rows);
  }
  return out;
}

std::string machine_details(const nlohmann::json& m) {
  static constexpr std::array<std::pair<const char*, const char*>, 23> kFields = {{
      {"mac", "mac"},
      {"hostname", "hostname"},
      {"labels", "labels"},
      {"state", "state"},
      {"stage", "stage"},
      {"stage since", "stage_since"},
      {"profile", "profile"},
      {"once", "once"},
      {"profile from", "profile_source"},
      {"group", "group"},
      {"rollout", "rollout"},
      {"install attempts", "install_attempts"},
      {"install profile", "install_profile"},
      {"install started", "install_started"},
      {"done at", "done_at"},
      {"declared", "declared"},
      {"uuid", "uuid"},
      {"buildarch", "buildarch"},
      {"platform", "platform"},
      {"ip", "ip"},
      {"ip6", "ip6"},
      {"first seen", "first_seen"},
      {"last seen", "last_seen"},
  }};
  std::string out;
  auto line = [&](std::string_view label, const std::string& value) {
    out += fmt::format("{:<17} {}\n", fmt::format("{}:", label), printable(value));
  };
  for (const auto& [label, key] : kFields) line(label, cell(m, key));
  const auto dhcp = m.find("dhcp");
  const nlohmann::json none = nlohmann::json::object();
  const nlohmann::json& d = dhcp != m.end() && dhcp->is_object() ? *dhcp : none;
  line("dhcp arch", cell(d, "arch"));
  line("dhcp relay", cell(d, "relay"));
  line("dhcp hostname", cell(d, "hostname"));
  const auto events = m.find("events");
  if (events != m.end() && events->is_array() && !events->empty()) {
    out += "events:\n";
    for (const auto& e : *events) out += fmt::format("  {}  {}\n", cell(e, "time"), printable(cell(e, "message")));
  }
  const auto timeline = m.find("timeline");
  if (timeline != m.end() && timeline->is_array() && !timeline->empty()) {
    out += "timeline:\n";
    for (const auto& e : *timeline)
      out += fmt::format("  {}  {:<13} {}\n", cell(e, "time"), cell(e, "step"), printable(cell(e, "detail")));
  }
  return out;
}

namespace {
constexpr const char* kWatchFormat = "{:<17}  {:<16}  {:<15}  {:<12}  {:<13}  {:>8}  {}\n";
constexpr std::size_t kLastEventChars = 72;
}  // namespace

std::string watch_header() {
  return fmt::format(kWatchFormat, "MAC", "HOSTNAME", "IP", "ARCH", "STAGE", "IN-STAGE", "LAST EVENT");
}

std::string watch_row(const nlohmann::json& m, std::int64_t now_unix) {
  std::string arch = cell(m, "buildarch");
  if (const std::string platform = cell(m, "platform"); platform != "-")
    arch = arch == "-" ? platform : arch + "/" + platform;
  std::string in_stage = "-";
  if (const auto since = m.find("stage_since"); since != m.end() && since->is_string())
    if (const auto t = parse_rfc3339(since->get_ref<const std::string&>())) in_stage = short_duration(now_unix - *t);
  std::string last = "-";
  if (const auto e = m.find("last_event"); e != m.end() && e->is_object()) {
    last = cell(*e, "step");
    if (const std::string detail = cell(*e, "detail"); detail != "-") last += " " + detail;
    if (last.size() > kLastEventChars) last = last.substr(0, kLastEventChars - 3) + "...";
  }
  return fmt::format(kWatchFormat, printable(cell(m, "mac")), printable(cell(m, "hostname")), printable(address(m)),
                     printable(arch), printable(cell(m, "stage")), in_stage, printable(last));
}

std::string short_duration(std::int64_t s) {
  if (s < 0) return "-";
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::optional<std::int64_t> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SSZ, exactly.
  if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z')
    return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const auto y = number(0, 4), mo = number(5, 2), d = number(8, 2), h = number(11, 2), mi = number(14, 2),
             sec = number(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 ||
      *sec > 60)
    return std::nullopt;
  // Days from the civil date (Howard Hinnant's days_from_civil).
  const int yy = *y - (*mo <= 2 ? 1 : 0);
  const int era = yy / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (*mo + (*mo > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
  return days * 86400 + *h * 3600 + *mi * 60 + *sec;
}

}  // namespace ringboot::api
