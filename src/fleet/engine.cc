#include "fleet/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "fleet/grub.h"
#include "fleet/names.h"
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

// Every byte compared, whatever the first difference: the time taken says
// nothing about how much of a guess was right.
bool same_token(const Token& a, const Token& b) {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < kTokenBytes; ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

// "http://10.0.0.1:8080/debian12/linux?x" -> "/debian12/linux"; a bare
// path as it is.
std::string_view url_path(std::string_view url) {
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    const auto slash = url.find('/', scheme + 3);
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  return url.substr(0, url.find('?'));
}

// TFTP names are relative ("ipxe.efi"), HTTP paths absolute ("/ipxe.efi").
bool same_file(std::string_view a, std::string_view b) {
  while (!a.empty() && a.front() == '/') a.remove_prefix(1);
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  return a == b;
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
    case DoneResult::expired:
      return "expired";
    case DoneResult::too_large:
      return "too_large";
  }
  return "unknown";
}

std::string_view to_string(ChangeResult result) {
  switch (result) {
    case ChangeResult::ok:
      return "ok";
    case ChangeResult::unknown_machine:
      return "unknown_machine";
    case ChangeResult::unknown_profile:
      return "unknown_profile";
    case ChangeResult::inventory_full:
      return "inventory_full";
    case ChangeResult::invalid:
      return "invalid";
    case ChangeResult::rollouts_full:
      return "rollouts_full";
  }
  return "unknown";
}

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

std::string token_hex(const Token& token) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * kTokenBytes, '0');
  for (std::size_t i = 0; i < kTokenBytes; ++i) {
    out[2 * i] = kDigits[token[i] >> 4];
    out[2 * i + 1] = kDigits[token[i] & 0xf];
  }
  return out;
}

Fleet::Fleet(FleetConfig config) : config_(std::move(config)), inventory_(config_.settings.machines_max) {
  compile_templates();
  declare_machines();
}

void Fleet::configure(FleetConfig config) {
  config.settings.machines_max = config_.settings.machines_max;
  config_ = std::move(config);
  compile_templates();
  declare_machines();
}

// Each profile's script parsed once per config, not once per install boot.
void Fleet::compile_templates() {
  templates_.clear();
  templates_.reserve(config_.profiles.size());
  grub_templates_.clear();
  grub_templates_.reserve(config_.profiles.size());
  for (const Profile& p : config_.profiles) {
    templates_.emplace_back(script_template(p));
    grub_templates_.emplace_back(grub_parts_template(p));
  }
}

void Fleet::declare_machines() {
  inventory_.for_each([](Machine& m) {
    m.declared = false;
    m.config_hostname.clear();
    m.config_labels.clear();
    m.config_next.reset();
    m.recompute_declared();
  });
  for (const MachineConfig& c : config_.machines) {
    Machine* m = inventory_.find_or_add(c.mac);
    if (m == nullptr) {
      ++counters_.machines_refused;
      continue;
    }
    declare_from_config(*m, c);
  }
}

void Fleet::declare_from_config(Machine& m, const MachineConfig& c) {
  m.declared = true;
  m.config_hostname = c.hostname;
  m.config_labels = c.labels;
  if (c.profile) m.config_next = NextBoot{*c.profile, c.once};
  m.recompute_declared();
  const std::optional<NextBoot>& next = m.explicit_next();
  if (m.state == State::local && next && next->profile != kLocalProfile) m.state = State::install;
}

Fleet::Assignment Fleet::assignment(const Machine& m) const {
  if (const std::optional<NextBoot>& next = m.explicit_next()) return Assignment{next->profile, next->once};
  if (const Group* g = first_matching(config_.groups, m)) return Assignment{g->profile, g->once};
  return Assignment{{}, true};
}

Decision Fleet::local(Reason reason, const Machine* m, std::string_view platform, Loader loader) {
  ++counters_.boots_local;
  Decision d;
  d.reason = reason;
  if (m != nullptr) {
    d.state = m->state;
    d.install_attempts = m->install_attempts;
  }
  if (loader == Loader::grub) {
    d.script = reason == Reason::failed ? grub_hold_config(why(reason)) : grub_local_config(why(reason));
    return d;
  }
  const Group* group = m != nullptr ? group_of(*m) : nullptr;
  const Profile* profile = nullptr;
  if (m != nullptr) {
    const Assignment a = assignment(*m);
    profile = a.profile.empty() ? nullptr : config_.profile(a.profile);
  }
  const LocalBoot* by_group = group != nullptr ? &group->local_boot : nullptr;
  const LocalBoot* by_profile = profile != nullptr ? &profile->local_boot : nullptr;
  d.script = reason == Reason::failed ? failed_script(config_.settings, platform, why(reason), {by_group, by_profile})
                                      : local_script(config_.settings, platform, why(reason), {by_group, by_profile});
  return d;
}

Decision Fleet::boot(const BootFacts& facts, std::int64_t now_unix, const Token& random, std::int64_t now_ms) {
  if (now_ms == 0) now_ms = now_unix * 1000;
  const std::string platform = clean_platform(facts.platform);
  if (!facts.mac) return local(Reason::no_mac, nullptr, platform, facts.loader);
  Machine* m = inventory_.find_or_add(*facts.mac);
  if (m == nullptr) {
    ++counters_.machines_refused;
    return local(Reason::inventory_full, nullptr, platform, facts.loader);
  }
  seen(*m, now_unix);
  // What the store keeps of a boot; a boot that changes none of it is a sighting.
  const auto before_state = m->state;
  const auto before_attempts = m->install_attempts;
  const auto before_token = m->token;
  bool facts_changed = false;
  const auto keep = [&facts_changed](std::string& field, std::string value) {
    if (value.empty() || value == field) return;
    field = std::move(value);
    facts_changed = true;
  };
  keep(m->uuid, keep_if(facts.uuid, kUuidBytesMax, hex_or_hyphen));
  keep(m->buildarch, keep_if(facts.buildarch, kArchBytesMax, word_char));
  keep(m->platform, platform);
  if (facts.ip && inventory_.set_ip(*m, *facts.ip)) facts_changed = true;
  Decision d = decide(*m, facts, random, now_unix);
  if (d.install()) {
    m->boot_files.kernel.clear();
    m->boot_files.initrds.clear();
    m->boot_files.initrds_fetched = 0;
    if (facts.loader == Loader::grub) {
      for (GrubFile& file : grub_files(d.script)) {
        if (file.kernel)
          m->boot_files.kernel = std::move(file.path);
        else
          m->boot_files.initrds.push_back(std::move(file.path));
      }
    } else {
      for (const ScriptFile& file : script_files(d.script)) {
        if (file.kernel)
          m->boot_files.kernel = std::string(url_path(file.url));
        else
          m->boot_files.initrds.emplace_back(url_path(file.url));
      }
    }
    step(*m, Step::script, "install " + d.profile, now_ms);
  } else {
    step(*m, d.reason == Reason::failed ? Step::failed : Step::local, std::string(to_string(d.reason)), now_ms);
  }
  if (facts_changed || m->state != before_state || m->install_attempts != before_attempts || m->token != before_token)
    mark(*m);
  changed(*m);  // every boot is a decision
  return d;
}

Decision Fleet::decide(Machine& m, const BootFacts& facts, const Token& random, std::int64_t now_unix) {
  const Assignment a = assignment(m);
  const Profile* profile = a.profile.empty() || a.profile == kLocalProfile ? nullptr : config_.profile(a.profile);
  if (profile == nullptr) {
    if (m.state != State::failed) m.state = State::local;
    m.token.reset();
    return local(a.profile.empty() ? Reason::unassigned : Reason::assigned_local, &m, m.platform, facts.loader);
  }
  if (m.state == State::failed) return local(Reason::failed, &m, m.platform, facts.loader);
  if (m.state == State::done && a.once) return local(Reason::done, &m, m.platform, facts.loader);
  if (m.install_attempts >= config_.settings.install_attempts_max) {
    m.state = State::failed;
    m.token.reset();
    ++counters_.failed;
    ++counters_.failed_by_stage[static_cast<std::size_t>(m.install_reached)];
    return local(Reason::failed, &m, m.platform, facts.loader);
  }
  return install(m, *profile, facts, random, now_unix);
}

Decision Fleet::install(Machine& m, const Profile& profile, const BootFacts& facts, const Token& random,
                        std::int64_t now_unix) {
  ++m.install_attempts;
  m.state = State::installing;
  m.install_reached = Stage::discovered;  // step() moves it from the script on
  m.install_profile = profile.name;
  m.token = random;
  m.token_unix = now_unix;
  m.install_started_unix = now_unix;
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
  v.events_url = fmt::format("{}/api/v1/machines/{}/events?token={}", facts.http_base, v.mac_hyphens, token);
  v.labels = m.labels;
  for (const std::string& label : m.labels)
    if (const auto eq = label.find('='); eq != std::string::npos && eq > 0)
      v.label.emplace(label.substr(0, eq), label.substr(eq + 1));
  // `profile` is one of config_.profiles (decide() found it there).
  const auto index = static_cast<std::size_t>(&profile - config_.profiles.data());
  Rendered r;
  if (facts.loader == Loader::ipxe) {
    r = templates_[index].render(v);
  } else if (!profile.script.empty()) {
    r.error = "the profile is an iPXE script: it has no GRUB rendering (give it kernel, initrd, cmdline)";
  } else {
    r = grub_templates_[index].render(v);
    if (r.ok) {
      GrubRendered g = grub_install_config(r.text, profile.name);
      r.ok = g.ok;
      r.text = std::move(g.config);
      r.error = std::move(g.error);
    }
  }
  if (!r.ok) {
    ++counters_.render_errors;
    Decision d = local(Reason::render_error, &m, m.platform, facts.loader);
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

DoneResult Fleet::check_callback(const Machine* m, std::string_view token_text, std::int64_t now_unix) const {
  if (m == nullptr) return DoneResult::unknown_machine;
  if (m->state != State::installing || !m->token) return DoneResult::not_installing;
  const std::optional<Token> token = parse_token(token_text);
  if (!token || !same_token(*token, *m->token)) return DoneResult::wrong_token;
  if (now_unix - m->token_unix > static_cast<std::int64_t>(config_.settings.token_lifetime_seconds))
    return DoneResult::expired;
  return DoneResult::accepted;
}

DoneResult Fleet::done(const Mac& mac, std::string_view token_text, std::int64_t now_unix) {
  Machine* m = inventory_.find(mac);
  const DoneResult result = check_callback(m, token_text, now_unix);
  if (result != DoneResult::accepted) {
    ++counters_.done_refused;
    return result;
  }
  m->state = State::done;
  m->install_attempts = 0;
  m->token.reset();  // one done per install rendering: a reused token is refused
  m->done_unix = now_unix;
  mark(*m);
  step(*m, Step::done, "done", now_unix * 1000);
  changed(*m);
  ++counters_.done_accepted;
  return result;
}

DoneResult Fleet::event(const Mac& mac, std::string_view token_text, std::string_view message, std::int64_t now_unix) {
  Machine* m = inventory_.find(mac);
  DoneResult result = check_callback(m, token_text, now_unix);
  if (result == DoneResult::accepted && message.size() > config_.settings.event_bytes_max)
    result = DoneResult::too_large;
  if (result != DoneResult::accepted) {
    ++counters_.events_refused;
    return result;
  }
  if (config_.settings.events_max == 0) return result;
  if (m->events.size() >= config_.settings.events_max) {
    m->events.erase(m->events.begin());
    ++counters_.events_dropped;
  }
  m->events.push_back(Event{now_unix, std::string(message)});
  mark(*m);
  step(*m, Step::progress, "event", now_unix * 1000);
  changed(*m);
  ++counters_.events_accepted;
  return result;
}

void Fleet::mark(Machine& m) {
  if (m.dirty) return;
  m.dirty = true;
  dirty_.push_back(m.mac);
}

// A sighting alone is written to the store at most once a minute per
// machine: last_seen is a hint, and DHCP at line rate must not become a
// write per packet.
void Fleet::seen(Machine& m, std::int64_t now_unix) {
  constexpr std::int64_t kSeenStoreSeconds = 60;
  ++counters_.sightings;
  if (m.first_seen_unix == 0) {
    m.first_seen_unix = now_unix;
    mark(m);
  }
  m.last_seen_unix = now_unix;
  if (now_unix - m.stored_seen_unix >= kSeenStoreSeconds) mark(m);
}

bool Fleet::step(Machine& m, Step what, std::string_view detail, std::int64_t now_ms) {
  const Stage before = m.timeline.stage();
  const std::int64_t since_ms = m.timeline.stage_since_ms();
  if (!m.timeline.record(now_ms, what, detail, config_.settings.timeline_events_max)) return false;
  const Stage after = m.timeline.stage();
  // Left for a later stage of the chain (a boot in progress, or done): the
  // time in `before` is one observation (a late step recorded out of order
  // counts as no time, never as negative). A decision that ends the chain
  // (local, failed) or a new boot observes nothing.
  if (in_progress(before) && after > before && (in_progress(after) || after == Stage::done)) {
    const double seconds = static_cast<double>(std::max<std::int64_t>(0, now_ms - since_ms)) / 1000.0;
    counters_.stage_seconds[static_cast<std::size_t>(before)].observe(kStageBucketsSeconds, seconds);
  }
  if (m.state == State::installing && in_progress(after) && after > m.install_reached) m.install_reached = after;
  return true;
}

void Fleet::observe_dhcp(DhcpSighting d, std::int64_t now_ms) {
  Machine* m = inventory_.find_or_add(d.mac);
  if (m == nullptr) {
    ++counters_.machines_refused;
    return;
  }
  seen(*m, now_ms / 1000);
  if (!d.ipxe && !d.file.empty()) m->boot_files.loader.assign(url_path(d.file));  // in place: no allocation
  const bool moved = step(*m, d.ipxe ? Step::dhcp_loader : Step::dhcp_firmware, d.detail, now_ms);
  // Its time to done starts at its first boot in the rollout.
  if (!d.ipxe && !m->rollout.empty() && m->rollout_boot_unix == 0 && now_ms / 1000 >= m->rollout_joined_unix) {
    m->rollout_boot_unix = now_ms / 1000;
    mark(*m);
  }
  // The index points at it even when its address is unchanged: the address
  // may have been another machine's since.
  const bool ip_changed = d.ip && inventory_.set_ip(*m, *d.ip);
  const bool facts_changed = (!d.uuid.empty() && d.uuid != m->uuid) || ip_changed || d.facts != m->dhcp;
  if (facts_changed) {
    if (!d.uuid.empty()) m->uuid = std::string(d.uuid);
    m->dhcp = d.facts;
    mark(*m);
  }
  // A repeated sighting of an unchanged machine is no change for the stream.
  if (moved || facts_changed) changed(*m);
}

void Fleet::fetched(Fetch f, std::int64_t now_ms) {
  Machine* m = inventory_.find_by_ip(f.peer);
  if (m == nullptr) return;
  seen(*m, now_ms / 1000);
  BootFiles& files = m->boot_files;
  const std::string_view path = url_path(f.path);
  Step what = Step::other;
  if (f.ok && !files.loader.empty() && same_file(path, files.loader)) what = Step::loader_fetch;
  if (f.ok && !files.kernel.empty() && same_file(path, files.kernel)) what = Step::kernel_fetch;
  if (f.ok && std::any_of(files.initrds.begin(), files.initrds.end(),
                          [&](const std::string& i) { return same_file(path, i); })) {
    ++files.initrds_fetched;
    what = files.initrds_fetched >= files.initrds.size() ? Step::handoff : Step::initrd_fetch;
  }
  if (step(*m, what, f.detail, now_ms)) changed(*m);
}

ChangeResult Fleet::check_next_boot(const NextBoot& next, const std::string& rollout,
                                    const std::vector<const Machine*>& moving) const {
  if (!rollout.empty() && !rollout_name_ok(rollout)) return ChangeResult::invalid;
  if (next.profile != kLocalProfile && config_.profile(next.profile) == nullptr) return ChangeResult::unknown_profile;
  if (!rollout.empty() && !rollouts_.fits(rollout, moving, config_.settings.rollouts_max))
    return ChangeResult::rollouts_full;
  return ChangeResult::ok;
}

ChangeResult Fleet::set_next_boot(const Mac& mac, const NextBoot& next, std::int64_t now_unix,
                                  const std::string& rollout) {
  if (const ChangeResult c = check_next_boot(next, rollout, {inventory_.find(mac)}); c != ChangeResult::ok) return c;
  return apply_next_boot(mac, next, now_unix, rollout);
}

// Checked by the caller: creates the machine if it fits and restarts its
// state machine.
ChangeResult Fleet::apply_next_boot(const Mac& mac, const NextBoot& next, std::int64_t now_unix,
                                    const std::string& rollout) {
  Machine* m = inventory_.find_or_add(mac);
  if (m == nullptr) {
    ++counters_.machines_refused;
    return ChangeResult::inventory_full;
  }
  if (!rollout.empty()) rollouts_.join(*m, rollout, now_unix);
  m->next = next;
  m->state = next.profile == kLocalProfile ? State::local : State::install;
  m->install_attempts = 0;
  m->token.reset();
  mark(*m);
  changed(*m);
  return ChangeResult::ok;
}

BulkResult Fleet::set_next_boot(const BulkSelector& selector, const NextBoot& next, std::int64_t now_unix,
                                const std::string& rollout) {
  BulkResult r;
  if (selector.macs.empty() && selector.labels.empty() && !selector.group) {
    r.result = ChangeResult::invalid;
    return r;
  }
  const auto selected = [&](const Machine& m) {
    for (const std::string& label : selector.labels)
      if (std::find(m.labels.begin(), m.labels.end(), label) == m.labels.end()) return false;
    if (selector.group) {
      const Group* g = group_of(m);
      if (g == nullptr || g->name != *selector.group) return false;
    }
    return true;
  };
  std::vector<Mac> macs;
  if (!selector.macs.empty()) {
    // Listed MACs: new ones are created (with no labels, so only a selector
    // of MACs alone creates).
    for (const Mac& mac : selector.macs) {
      const Machine* m = inventory_.find(mac);
      if (m != nullptr ? selected(*m) : selector.labels.empty() && !selector.group) macs.push_back(mac);
    }
  } else {
    inventory_.for_each([&](const Machine& m) {
      if (selected(m)) macs.push_back(m.mac);
    });
  }
  // The whole call is refused, or none of it: a rollout bound checked over
  // every machine it moves.
  std::vector<const Machine*> moving;
  moving.reserve(macs.size());
  for (const Mac& mac : macs) moving.push_back(inventory_.find(mac));
  if (const ChangeResult c = check_next_boot(next, rollout, moving); c != ChangeResult::ok) {
    r.result = c;
    return r;
  }
  for (const Mac& mac : macs) {
    if (apply_next_boot(mac, next, now_unix, rollout) == ChangeResult::ok)
      ++r.changed;
    else
      ++r.refused;
  }
  return r;
}

ChangeResult Fleet::declare(const Mac& mac, const std::optional<std::string>& hostname,
                            const std::optional<std::vector<std::string>>& labels) {
  if (hostname && !hostname_ok(*hostname)) return ChangeResult::invalid;
  if (labels && (labels->size() > kLabelsMax || !std::all_of(labels->begin(), labels->end(), label_ok)))
    return ChangeResult::invalid;
  Machine* m = inventory_.find_or_add(mac);
  if (m == nullptr) {
    ++counters_.machines_refused;
    return ChangeResult::inventory_full;
  }
  if (hostname) m->api_hostname = hostname;
  if (labels) m->api_labels = labels;
  m->recompute_declared();
  mark(*m);
  changed(*m);
  return ChangeResult::ok;
}

ChangeResult Fleet::reset(const Mac& mac) {
  Machine* m = inventory_.find(mac);
  if (m == nullptr) return ChangeResult::unknown_machine;
  m->state = State::install;
  m->install_attempts = 0;
  m->token.reset();
  mark(*m);
  changed(*m);
  return ChangeResult::ok;
}

ChangeResult Fleet::forget(const Mac& mac) {
  if (const Machine* m = inventory_.find(mac)) rollouts_.leave(*m);
  if (!inventory_.erase(mac)) return ChangeResult::unknown_machine;
  forgotten_.push_back(mac);
  feed_.push(mac);  // the stream says it is gone (or declared afresh)
  for (const MachineConfig& c : config_.machines) {
    if (c.mac != mac) continue;
    if (Machine* m = inventory_.find_or_add(mac)) declare_from_config(*m, c);
  }
  return ChangeResult::ok;
}

Changes Fleet::take_changes() {
  Changes c;
  c.forgotten = std::move(forgotten_);
  forgotten_.clear();
  c.machines.reserve(dirty_.size());
  for (const Mac& mac : dirty_) {
    Machine* m = inventory_.find(mac);
    if (m == nullptr || !m->dirty) continue;  // forgotten since
    m->dirty = false;
    m->stored_seen_unix = m->last_seen_unix;
    c.machines.push_back(m->stored());
  }
  dirty_.clear();
  return c;
}

bool Fleet::restore(Machine stored) {
  Machine* m = inventory_.find_or_add(stored.mac);
  if (m == nullptr) return false;
  // What the config declares is the config's, not the store's.
  stored.declared = m->declared;
  stored.config_hostname = std::move(m->config_hostname);
  stored.config_labels = std::move(m->config_labels);
  stored.config_next = std::move(m->config_next);
  stored.dirty = false;
  stored.stored_seen_unix = stored.last_seen_unix;
  if (stored.events.size() > config_.settings.events_max)
    stored.events.erase(stored.events.begin(),
                        stored.events.end() - static_cast<std::ptrdiff_t>(config_.settings.events_max));
  const bool was_dirty = m->dirty;
  rollouts_.leave(*m);  // stored twice: counted once
  *m = std::move(stored);
  rollouts_.restore(*m);
  m->recompute_declared();
  if (m->ip) inventory_.set_ip(*m, *m->ip);
  if (m->ip6) inventory_.set_ip(*m, *m->ip6);
  if (was_dirty) m->dirty = true;
  return true;
}

Fleet::StageCounts Fleet::stage_counts(std::int64_t now_ms) const {
  StageCounts c;
  const std::int64_t stuck_after_ms = std::int64_t{config_.settings.stuck_after_seconds} * 1000;
  inventory_.for_each([&](const Machine& m) {
    const auto i = static_cast<std::size_t>(m.timeline.stage());
    ++c.machines[i];
    if (m.timeline.stuck(now_ms, stuck_after_ms)) ++c.stuck[i];
  });
  return c;
}

std::vector<RolloutSummary> Fleet::rollout_summaries(std::int64_t now_ms, std::optional<std::string_view> only) const {
  RolloutQuery q;
  q.now_ms = now_ms;
  q.stuck_after_ms = std::int64_t{config_.settings.stuck_after_seconds} * 1000;
  q.only = only;
  return summarize(rollouts_, inventory_, q);
}

const Group* Fleet::group_of(const Machine& m) const { return first_matching(config_.groups, m); }

}  // namespace ringboot::fleet
