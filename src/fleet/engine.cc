#include "fleet/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "fleet/script.h"
#include "fleet/selector.h"
#include "fleet/template.h"

namespace ringboot::fleet {

namespace {

constexpr std::size_t kUuidBytesMax = 36;
constexpr std::size_t kArchBytesMax = 16;

// A client's string kept only when every byte is of the expected form, in
// lower case; anything else is dropped whole (it goes into a script).
template <typename Allowed>
std::string keep_if(std::string_view text, std::size_t max, Allowed allowed) {
  if (text.size() > max) return {};
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!allowed(c)) return {};
    out += c;
  }
  return out;
}
bool hex_or_hyphen(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'; }
bool word_char(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_'; }

std::string clean_platform(std::string_view platform) { return keep_if(platform, kArchBytesMax, word_char); }

std::optional<Token> parse_token(std::string_view hex) {
  if (hex.size() != 2 * kTokenBytes) return std::nullopt;
  Token t{};
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (v < 0) return std::nullopt;
    t[i / 2] = static_cast<std::uint8_t>(t[i / 2] << 4 | v);
  }
  return t;
}

// Every byte compared, whatever the first difference: the time taken says
// nothing about how much of a guess was right.
bool same_token(const Token& a, const Token& b) {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < kTokenBytes; ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

std::string_view why(Reason reason) {
  switch (reason) {
    case Reason::install:
      return "install";
    case Reason::no_mac:
      return "no valid MAC in the request";
    case Reason::inventory_full:
      return "the machine inventory is full";
    case Reason::unassigned:
      return "no profile for this machine";
    case Reason::assigned_local:
      return "its profile is local";
    case Reason::done:
      return "installed";
    case Reason::failed:
      return "install failed too often, reset the machine to retry";
    case Reason::render_error:
      return "its install script did not render";
  }
  return "local";
}

}  // namespace

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::install:
      return "install";
    case Reason::no_mac:
      return "no_mac";
    case Reason::inventory_full:
      return "inventory_full";
    case Reason::unassigned:
      return "unassigned";
    case Reason::assigned_local:
      return "assigned_local";
    case Reason::done:
      return "done";
    case Reason::failed:
      return "failed";
    case Reason::render_error:
      return "render_error";
  }
  return "unknown";
}

std::string_view to_string(DoneResult result) {
  switch (result) {
    case DoneResult::accepted:
      return "accepted";
    case DoneResult::unknown_machine:
      return "unknown_machine";
    case DoneResult::not_installing:
      return "not_installing";
    case DoneResult::wrong_token:
      return "wrong_token";
  }
  return "unknown";
}

std::string token_hex(const Token& token) {
  std::string out;
  for (const std::uint8_t b : token) out += fmt::format("{:02x}", b);
  return out;
}

Fleet::Fleet(FleetConfig config) : config_(std::move(config)), inventory_(config_.settings.machines_max) {
  declare_machines();
}

void Fleet::configure(FleetConfig config) {
  config.settings.machines_max = config_.settings.machines_max;
  config_ = std::move(config);
  declare_machines();
}

void Fleet::declare_machines() {
  inventory_.for_each([](Machine& m) {
    m.declared = false;
    m.hostname.clear();
    m.labels.clear();
    m.next_profile.reset();
    m.next_once = true;
  });
  for (const MachineConfig& c : config_.machines) {
    Machine* m = inventory_.find_or_add(c.mac);
    if (m == nullptr) {
      ++counters_.machines_refused;
      continue;
    }
    m->declared = true;
    m->hostname = c.hostname;
    m->labels = c.labels;
    m->next_profile = c.profile;
    m->next_once = c.once;
    if (m->state == State::local && c.profile && *c.profile != kLocalProfile) m->state = State::install;
  }
}

Fleet::Assignment Fleet::assignment(const Machine& m) const {
  if (m.next_profile) return Assignment{*m.next_profile, m.next_once};
  if (const Group* g = first_matching(config_.groups, m)) return Assignment{g->profile, g->once};
  return Assignment{{}, true};
}

Decision Fleet::local(Reason reason, const Machine* m, std::string_view platform) {
  ++counters_.boots_local;
  Decision d;
  d.reason = reason;
  d.script = local_script(config_.settings, platform, why(reason));
  if (m != nullptr) {
    d.state = m->state;
    d.install_attempts = m->install_attempts;
  }
  return d;
}

Decision Fleet::boot(const BootFacts& facts, std::int64_t now_unix, const Token& random) {
  const std::string platform = clean_platform(facts.platform);
  if (!facts.mac) return local(Reason::no_mac, nullptr, platform);
  Machine* m = inventory_.find_or_add(*facts.mac);
  if (m == nullptr) {
    ++counters_.machines_refused;
    return local(Reason::inventory_full, nullptr, platform);
  }
  if (m->first_seen_unix == 0) m->first_seen_unix = now_unix;
  m->last_seen_unix = now_unix;
  if (std::string uuid = keep_if(facts.uuid, kUuidBytesMax, hex_or_hyphen); !uuid.empty()) m->uuid = std::move(uuid);
  if (std::string arch = keep_if(facts.buildarch, kArchBytesMax, word_char); !arch.empty())
    m->buildarch = std::move(arch);
  if (!platform.empty()) m->platform = platform;
  if (facts.ip) m->ip = facts.ip;

  const Assignment a = assignment(*m);
  const Profile* profile = a.profile.empty() || a.profile == kLocalProfile ? nullptr : config_.profile(a.profile);
  if (profile == nullptr) {
    if (m->state != State::failed) m->state = State::local;
    m->token.reset();
    return local(a.profile.empty() ? Reason::unassigned : Reason::assigned_local, m, m->platform);
  }
  if (m->state == State::failed) return local(Reason::failed, m, m->platform);
  if (m->state == State::done && a.once) return local(Reason::done, m, m->platform);
  if (m->install_attempts >= config_.settings.install_attempts_max) {
    m->state = State::failed;
    m->token.reset();
    ++counters_.failed;
    return local(Reason::failed, m, m->platform);
  }
  return install(*m, *profile, facts, random);
}

Decision Fleet::install(Machine& m, const Profile& profile, const BootFacts& facts, const Token& random) {
  ++m.install_attempts;
  m.state = State::installing;
  m.install_profile = profile.name;
  m.token = random;
  Variables v;
  v.mac = m.mac.to_string();
  v.mac_hyphens = m.mac.to_string("-");
  v.mac_hex = m.mac.to_string("");
  v.uuid = m.uuid;
  v.ip = m.ip ? m.ip->to_string() : std::string();
  v.hostname = m.hostname;
  v.buildarch = m.buildarch;
  v.platform = m.platform;
  v.profile = profile.name;
  v.http_base = facts.http_base;
  const std::string token = token_hex(random);
  v.done_url = fmt::format("{}/api/v1/machines/{}/done?token={}", facts.http_base, v.mac_hyphens, token);
  v.events_url = fmt::format("{}/fleet/events/{}/{}", facts.http_base, v.mac_hyphens, token);
  v.labels = m.labels;
  for (const std::string& label : m.labels)
    if (const auto eq = label.find('='); eq != std::string::npos && eq > 0)
      v.label.emplace(label.substr(0, eq), label.substr(eq + 1));
  Rendered r = render_template(script_template(profile), v);
  if (!r.ok) {
    ++counters_.render_errors;
    Decision d = local(Reason::render_error, &m, m.platform);
    d.error = std::move(r.error);
    return d;
  }
  ++counters_.boots_install;
  Decision d;
  d.reason = Reason::install;
  d.profile = profile.name;
  d.script = std::move(r.text);
  d.state = m.state;
  d.install_attempts = m.install_attempts;
  return d;
}

DoneResult Fleet::done(const Mac& mac, std::string_view token_text, std::int64_t now_unix) {
  Machine* m = inventory_.find(mac);
  DoneResult result = DoneResult::accepted;
  const std::optional<Token> token = parse_token(token_text);
  if (m == nullptr) {
    result = DoneResult::unknown_machine;
  } else if (m->state != State::installing || !m->token) {
    result = DoneResult::not_installing;
  } else if (!token || !same_token(*token, *m->token)) {
    result = DoneResult::wrong_token;
  }
  if (result != DoneResult::accepted) {
    ++counters_.done_refused;
    return result;
  }
  m->state = State::done;
  m->install_attempts = 0;
  m->token.reset();  // one done per install rendering: a reused token is refused
  m->done_unix = now_unix;
  ++counters_.done_accepted;
  return result;
}

bool Fleet::reset(const Mac& mac) {
  Machine* m = inventory_.find(mac);
  if (m == nullptr) return false;
  m->state = State::install;
  m->install_attempts = 0;
  m->token.reset();
  return true;
}

}  // namespace ringboot::fleet
