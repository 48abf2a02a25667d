#include "dhcp6/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>

#include "base/log.h"

namespace ringboot::dhcp6 {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::off:
      return "off";
    case Mode::stateless:
      return "stateless";
    case Mode::server:
      return "server";
  }
  return "off";
}

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "off") return Mode::off;
  if (text == "stateless") return Mode::stateless;
  if (text == "server") return Mode::server;
  return std::nullopt;
}

bool Prefix::contains(const Ipv6& ip) const {
  std::size_t bits = length;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    const std::size_t n = std::min<std::size_t>(bits, 8);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - n));
    if ((ip.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
    bits -= n;
  }
  return true;
}

std::string Prefix::to_string() const { return fmt::format("{}/{}", network.to_string(), length); }

std::optional<Prefix> Prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto ip = Ipv6::parse(text.substr(0, slash));
  const std::string_view bits = text.substr(slash + 1);
  if (!ip || bits.empty() || bits.size() > 3) return std::nullopt;
  unsigned length = 0;
  for (const char c : bits) {
    if (c < '0' || c > '9') return std::nullopt;
    length = length * 10 + static_cast<unsigned>(c - '0');
  }
  if (length > 128) return std::nullopt;
  // Host bits must be zero.
  for (std::size_t i = 0; i < 16; ++i) {
    const std::size_t from = i * 8;
    const std::size_t keep = length <= from ? 0 : std::min<std::size_t>(length - from, 8);
    const auto mask = static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
    if ((ip->bytes[i] & ~mask & 0xff) != 0) return std::nullopt;
  }
  return Prefix{*ip, static_cast<std::uint8_t>(length)};
}

namespace {

std::uint64_t high64(const Ipv6& ip) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = v << 8 | ip.bytes[i];
  return v;
}
std::uint64_t low64(const Ipv6& ip) {
  std::uint64_t v = 0;
  for (std::size_t i = 8; i < 16; ++i) v = v << 8 | ip.bytes[i];
  return v;
}
Ipv6 with_low64(Ipv6 ip, std::uint64_t low) {
  for (std::size_t i = 16; i > 8; --i) {
    ip.bytes[i - 1] = static_cast<std::uint8_t>(low);
    low >>= 8;
  }
  ip.scope = 0;
  return ip;
}

std::string client_key(const Duid& duid, std::uint32_t iaid) {
  std::string key(reinterpret_cast<const char*>(duid.bytes.data()), duid.size);
  for (int shift = 24; shift >= 0; shift -= 8) key += static_cast<char>(iaid >> shift);
  return key;
}

}  // namespace

std::string validate_subnet(const SubnetConfig& s) {
  if (!s.prefix.contains(s.range_first) || !s.prefix.contains(s.range_last))
    return "range is not inside " + s.prefix.to_string();
  if (high64(s.range_first) != high64(s.range_last))
    return "range's first and last address differ before their last 64 bits";
  if (low64(s.range_first) > low64(s.range_last)) return "range's first address is after its last";
  if (s.preferred_seconds > s.valid_seconds) return "preferred_seconds is over valid_seconds";
  return "";
}

std::string validate(const Dhcp6Config& config) {
  if (config.mode == Mode::off) return "";
  if (config.server_address.is_unspecified()) return "server_address is required (the IPv6 address put into boot URLs)";
  for (const SubnetConfig& s : config.subnets)
    if (std::string reason = validate_subnet(s); !reason.empty()) return s.prefix.to_string() + ": " + reason;
  for (const HostConfig& h : config.hosts) {
    const bool inside = std::any_of(config.subnets.begin(), config.subnets.end(),
                                    [&](const SubnetConfig& s) { return s.prefix.contains(h.address); });
    if (!inside) return "host " + h.address.to_string() + " is outside every subnet's prefix";
  }
  if (config.mode == Mode::server && config.subnets.empty()) return "mode \"server\" needs a [[dhcp6.subnet]]";
  return "";
}

std::string format_decision(const Decision& d) {
  std::string out;
  out += to_string(d.received);
  out += "->";
  out += to_string(d.sent);
  out += " mac=";
  if (d.mac)
    d.mac->append_to(out);
  else
    out += '-';
  out += " duid=";
  out += d.duid.empty() ? std::string_view("-") : std::string_view(d.duid);
  out += " arch=";
  if (d.arch)
    fmt::format_to(std::back_inserter(out), "{}", *d.arch);
  else
    out += '-';
  out += d.ipxe ? " client=ipxe" : " client=firmware";
  out += " rule=";
  append_escaped(out, d.rule != nullptr ? std::string_view(d.rule->name) : std::string_view("-"));
  out += " url=";
  append_escaped(out, d.url.empty() ? std::string_view("-") : std::string_view(d.url));
  if (!d.address.is_unspecified()) {
    out += " address=";
    out += d.address.to_string();
  }
  out += d.relayed ? " relayed=true" : " relayed=false";
  const auto quoted = [&out](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += ' ';
    out += name;
    out += "=\"";
    append_escaped(out, value);
    out += '"';
  };
  quoted("dropped", d.drop_reason);
  quoted("vendor_class", d.vendor_class);
  quoted("user_class", d.user_class);
  return out;
}

namespace {
constexpr std::string_view kVerbs[] = {"bind6", "release6", "decline6"};
}  // namespace

std::string to_journal_line(const JournalRecord& r) {
  const bool owned = r.verb != JournalRecord::Verb::decline && !r.duid.empty();
  return fmt::format("{} {} {} {} {}", kVerbs[static_cast<std::size_t>(r.verb)], r.address.to_string(),
                     owned ? r.duid.to_string() : std::string("-"), owned ? r.iaid : 0, r.expires_unix);
}

std::optional<JournalRecord> parse_journal_line(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::array<std::string_view, 5> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto space = line.find(' ');
    if ((space == std::string_view::npos) != (i + 1 == fields.size())) return std::nullopt;
    fields[i] = line.substr(0, space);
    if (fields[i].empty()) return std::nullopt;
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  }
  JournalRecord r;
  const auto verb = std::find(std::begin(kVerbs), std::end(kVerbs), fields[0]);
  if (verb == std::end(kVerbs)) return std::nullopt;
  r.verb = static_cast<JournalRecord::Verb>(verb - std::begin(kVerbs));
  const auto address = Ipv6::parse(fields[1]);
  if (!address) return std::nullopt;
  r.address = *address;
  const bool owned = r.verb != JournalRecord::Verb::decline;
  if (owned) {
    const auto duid = Duid::parse(fields[2]);
    if (!duid || duid->empty()) return std::nullopt;
    r.duid = *duid;
  } else if (fields[2] != "-") {
    return std::nullopt;
  }
  const auto number = [](std::string_view text, auto* out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size();
  };
  if (!number(fields[3], &r.iaid) || !number(fields[4], &r.expires_unix)) return std::nullopt;
  return r;
}

const MetricTable<Counters>& metric_table() {
  using C = Counters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter("ringboot_dhcp6_messages_received_total", "DHCPv6 client messages received, by type", "type",
                   {{"solicit", &C::solicit},
                    {"request", &C::request},
                    {"confirm", &C::confirm},
                    {"renew", &C::renew},
                    {"rebind", &C::rebind},
                    {"release", &C::release},
                    {"decline", &C::decline},
                    {"information_request", &C::information_request}})
          .counter("ringboot_dhcp6_messages_sent_total", "DHCPv6 messages sent, by type", "type",
                   {{"advertise", &C::advertise}, {"reply", &C::reply}})
          .counter<ParseError>("ringboot_dhcp6_malformed_total", "DHCPv6 datagrams dropped as malformed, by reason",
                               "reason", &C::malformed_by_reason, 1)
          .counter("ringboot_dhcp6_dropped_total", "Valid DHCPv6 messages not answered", &C::dropped)
          .counter("ringboot_dhcp6_pool_exhausted_total", "Solicits and Requests answered NoAddrsAvail",
                   &C::pool_exhausted)
          .counter("ringboot_dhcp6_relayed_total", "DHCPv6 client messages that came through a relay", &C::relayed)
          .counter("ringboot_dhcp6_journal_lines_total", "DHCPv6 lease journal lines appended", &C::journal_lines)
          .gauge("ringboot_dhcp6_leases_in_use", "Offered, bound and declined DHCPv6 addresses at the last sweep",
                 &C::leases_in_use);
  return table;
}

std::size_t Engine::AddressHash::operator()(const Ipv6& ip) const {
  return std::hash<std::uint64_t>()(high64(ip) * 0x9e3779b97f4a7c15ULL ^ low64(ip));
}

Engine::Engine(const Dhcp6Config& config) : config_(config), cursor_(config.subnets.size(), 0) {
  // One host per address (the config refuses an address reserved twice).
  host_by_address_.reserve(config_.hosts.size());
  for (std::size_t i = 0; i < config_.hosts.size(); ++i) host_by_address_.emplace(config_.hosts[i].address, i);
  if (config_.boot.empty()) {
    const std::string base = fmt::format("http://[{}]:{}/", config_.server_address.to_string(), config_.http_port);
    rules_ = dhcp::default_boot_rules(std::string_view(base));
  } else {
    rules_ = config_.boot;
  }
}

const Lease* Engine::find(const Ipv6& address) const {
  const auto it = leases_.find(address);
  return it == leases_.end() ? nullptr : &it->second;
}

std::nullopt_t Engine::drop(std::string_view reason) {
  decision_.drop_reason = reason;
  counters_.dropped.inc();
  return std::nullopt;
}

std::optional<Reply> Engine::handle(Bytes datagram, const Received& rx, std::int64_t now_unix, JournalSink& journal) {
  decision_ = Decision{};
  const ParseError error = parse_message(datagram, message_);
  if (error != ParseError::none) {
    counters_.malformed_by_reason[static_cast<std::size_t>(error)].inc();
    decision_.drop_reason = to_string(error);
    return std::nullopt;
  }
  const Message& m = message_;
  switch (m.type) {
    case MessageType::solicit:
      counters_.solicit.inc();
      break;
    case MessageType::request:
      counters_.request.inc();
      break;
    case MessageType::confirm:
      counters_.confirm.inc();
      break;
    case MessageType::renew:
      counters_.renew.inc();
      break;
    case MessageType::rebind:
      counters_.rebind.inc();
      break;
    case MessageType::release:
      counters_.release.inc();
      break;
    case MessageType::decline:
      counters_.decline.inc();
      break;
    case MessageType::information_request:
      counters_.information_request.inc();
      break;
    default:
      break;
  }
  if (m.relayed()) counters_.relayed.inc();
  decision_.received = m.type;
  client_mac_ = client_mac(m, rx.from.ip);
  decision_.mac = client_mac_;
  if (!m.client_id.empty()) decision_.duid = m.client_id.to_string();
  decision_.arch = m.arch;
  decision_.ipxe = m.is_ipxe();
  decision_.relayed = m.relayed();
  decision_.vendor_class = m.vendor_class();
  decision_.user_class = m.user_class();
  auto reply = answer(rx, now_unix, journal);
  if (reply) {
    decision_.sent = reply->type;
    (reply->type == MessageType::advertise ? counters_.advertise : counters_.reply).inc();
  }
  return reply;
}

std::optional<std::size_t> Engine::subnet_for(const Message& m) const {
  // Relayed: the innermost relay's link address; on our link: the server's own address.
  Ipv6 link = config_.server_address;
  if (m.relayed()) link = m.relays[m.relay_count - 1].link_address;
  for (std::size_t i = 0; i < config_.subnets.size(); ++i)
    if (config_.subnets[i].prefix.contains(link)) return i;
  return std::nullopt;
}

std::optional<Ipv6> Engine::reservation(const Message& m) const {
  const auto& mac = client_mac_;
  for (const HostConfig& h : config_.hosts) {
    if (h.duid ? *h.duid == m.client_id : (mac && h.mac && *h.mac == *mac)) return h.address;
  }
  return std::nullopt;
}

Lease* Engine::binding(const Message& m) {
  const auto it = by_client_.find(client_key(m.client_id, m.iaid));
  if (it == by_client_.end()) return nullptr;
  const auto lease = leases_.find(it->second);
  // The address may have gone to another client since (expired, not yet swept).
  if (lease == leases_.end() || !(lease->second.duid == m.client_id) || lease->second.iaid != m.iaid) return nullptr;
  return &lease->second;
}

void Engine::forget(const Ipv6& address) {
  const auto it = leases_.find(address);
  if (it == leases_.end()) return;
  if (!it->second.duid.empty()) by_client_.erase(client_key(it->second.duid, it->second.iaid));
  leases_.erase(it);
}

void Engine::hold(const Duid& duid, std::uint32_t iaid, const Ipv6& address, LeaseState state, std::int64_t expires) {
  const std::string key = client_key(duid, iaid);
  if (const auto it = by_client_.find(key); it != by_client_.end() && !(it->second == address)) {
    const Ipv6 previous = it->second;  // this client's other address: it moves
    const auto old = leases_.find(previous);
    if (old != leases_.end() && old->second.duid == duid && old->second.iaid == iaid) forget(previous);
  }
  Lease& lease = leases_[address];
  if (!lease.duid.empty() && !(lease.duid == duid && lease.iaid == iaid))
    by_client_.erase(client_key(lease.duid, lease.iaid));  // an expired holder's index entry
  lease.duid = duid;
  lease.iaid = iaid;
  lease.address = address;
  lease.state = state;
  lease.expires_unix = expires;
  by_client_[key] = address;
}

void Engine::record(JournalSink& journal, JournalRecord::Verb verb, const Lease& lease) {
  journal.append(to_journal_line(JournalRecord{verb, lease.address, lease.duid, lease.iaid, lease.expires_unix}));
  counters_.journal_lines.inc();
}

bool Engine::apply(const JournalRecord& r) {
  const bool inside = std::any_of(config_.subnets.begin(), config_.subnets.end(),
                                  [&](const SubnetConfig& s) { return s.prefix.contains(r.address); });
  if (!inside) return false;
  if (r.verb == JournalRecord::Verb::release) {
    const auto it = leases_.find(r.address);
    if (it != leases_.end() && it->second.duid == r.duid && it->second.iaid == r.iaid) forget(r.address);
    return true;
  }
  if (!leases_.contains(r.address) && leases_.size() >= config_.leases_max) return false;
  if (r.verb == JournalRecord::Verb::bind) {
    hold(r.duid, r.iaid, r.address, LeaseState::bound, r.expires_unix);
    return true;
  }
  forget(r.address);
  Lease& lease = leases_[r.address];
  lease.address = r.address;
  lease.state = LeaseState::declined;
  lease.expires_unix = r.expires_unix;
  return true;
}

ReplayStats Engine::replay(std::string_view text) {
  ReplayStats stats;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line == "\r") continue;
    const auto r = parse_journal_line(line);
    if (!r)
      ++stats.malformed;
    else if (apply(*r))
      ++stats.applied;
    else
      ++stats.ignored;
  }
  return stats;
}

std::vector<std::string> Engine::snapshot_lines() const {
  std::vector<std::string> lines;
  lines.reserve(leases_.size());
  for (const auto& [address, l] : leases_) {
    if (l.state == LeaseState::offered) continue;
    const auto verb = l.state == LeaseState::bound ? JournalRecord::Verb::bind : JournalRecord::Verb::decline;
    lines.push_back(to_journal_line(JournalRecord{verb, address, l.duid, l.iaid, l.expires_unix}));
  }
  return lines;
}

std::optional<Ipv6> Engine::pick(const Message& m, std::size_t subnet, std::int64_t now) {
  const SubnetConfig& s = config_.subnets[subnet];
  const auto usable = [&](const Ipv6& ip) {
    const auto it = leases_.find(ip);
    if (it == leases_.end()) return true;
    const Lease& l = it->second;
    if (l.state != LeaseState::declined && l.duid == m.client_id && l.iaid == m.iaid) return true;
    return l.expires_unix <= now;  // expired, not yet swept
  };
  const auto reserved_for_other = [&](const Ipv6& ip) {
    const auto it = host_by_address_.find(ip);
    if (it == host_by_address_.end()) return false;
    const HostConfig& h = config_.hosts[it->second];
    return !(h.duid ? *h.duid == m.client_id : (client_mac_ && h.mac && *h.mac == *client_mac_));
  };
  if (const Lease* held = binding(m); held != nullptr && s.prefix.contains(held->address)) return held->address;
  if (leases_.size() >= config_.leases_max) return std::nullopt;  // the table's bound, before any new entry
  if (const auto reserved = reservation(m); reserved && s.prefix.contains(*reserved) && usable(*reserved))
    return reserved;
  for (std::size_t i = 0; i < m.ia_address_count; ++i) {
    const Ipv6& want = m.ia_addresses[i];
    if (high64(want) == high64(s.range_first) && low64(want) >= low64(s.range_first) &&
        low64(want) <= low64(s.range_last) && usable(want) && !reserved_for_other(want)) {
      Ipv6 plain = want;
      plain.scope = 0;
      return plain;
    }
  }
  const std::uint64_t first = low64(s.range_first);
  const std::uint64_t span = low64(s.range_last) - first;  // size - 1
  // At most leases_max + hosts + 1 tries: past that many, one was free or the table is full.
  const std::uint64_t tries = std::min<std::uint64_t>(span, config_.leases_max + config_.hosts.size()) + 1;
  for (std::uint64_t n = 0; n < tries; ++n) {
    const std::uint64_t offset = span == ~std::uint64_t{0} ? cursor_[subnet] : cursor_[subnet] % (span + 1);
    cursor_[subnet] = offset + 1;
    const Ipv6 ip = with_low64(s.range_first, first + offset);
    if (usable(ip) && !reserved_for_other(ip)) return ip;
  }
  return std::nullopt;
}

void Engine::ia_na(MessageBuilder& b, const Message& m, const Ipv6* address, std::size_t subnet, Status status,
                   std::string_view text) {
  const std::size_t ia = b.begin(option::kIaNa);
  b.u32(m.iaid);
  if (address != nullptr) {
    const SubnetConfig& s = config_.subnets[subnet];
    b.u32(s.preferred_seconds / 2);      // T1
    b.u32(s.preferred_seconds / 5 * 4);  // T2
    const std::size_t addr = b.begin(option::kIaAddr);
    b.address(*address);
    b.u32(s.preferred_seconds);
    b.u32(s.valid_seconds);
    b.end(addr);
  } else {
    b.u32(0);
    b.u32(0);
    b.status(status, text);
  }
  b.end(ia);
}

void Engine::boot_options(MessageBuilder& b, const Message& m) {
  dhcp::ClientFacts facts;
  if (client_mac_) facts.mac = *client_mac_;
  facts.arch = m.arch;
  facts.ipxe = m.is_ipxe();
  facts.vendor_class = m.vendor_class();
  const bool boot_client = m.arch.has_value() || facts.ipxe || m.asked(option::kBootfileUrl);
  if (!boot_client) return;
  const dhcp::BootRule* rule = dhcp::match_boot_rule(rules_, facts);
  decision_.rule = rule;
  if (rule == nullptr) return;
  if (rule->file.find("://") != std::string::npos) {
    decision_.url = rule->file;
  } else {
    std::string_view name = rule->file;
    while (name.starts_with('/')) name.remove_prefix(1);
    decision_.url = fmt::format("tftp://[{}]/{}", config_.server_address.to_string(), name);
  }
  b.option_text(option::kBootfileUrl, decision_.url);
  if (!rule->params.empty()) {
    // RFC 5970 7.2: each parameter a 16-bit length and its text.
    const std::size_t params = b.begin(option::kBootfileParam);
    for (const std::string& p : rule->params) {
      b.u16(static_cast<std::uint16_t>(p.size()));
      b.text(p);
    }
    b.end(params);
  }
  if (dhcp::is_http_boot(facts)) {
    // EDK2's HTTP boot takes an offer as its own when option 16 says HTTPClient.
    const std::size_t vendor = b.begin(option::kVendorClass);
    b.u32(kEnterpriseUefi);
    constexpr std::string_view kHttpClient = "HTTPClient";
    b.u16(static_cast<std::uint16_t>(kHttpClient.size()));
    b.text(kHttpClient);
    b.end(vendor);
  }
}

std::optional<Reply> Engine::finish(MessageBuilder& b, MessageType type) {
  const auto bytes = b.finish();
  if (!bytes) return drop("reply too large");
  reply_.size = bytes->size();
  reply_.type = type;
  return reply_;
}

std::optional<Reply> Engine::answer(const Received& rx, std::int64_t now, JournalSink& journal) {
  const Message& m = message_;
  if (config_.mode == Mode::off) return drop("dhcp6 off");
  if (m.client_id.empty() && m.type != MessageType::information_request) return drop("no client id");
  const bool ours = !m.server_id.empty() && m.server_id == config_.server_duid;
  switch (m.type) {
    case MessageType::request:
    case MessageType::renew:
    case MessageType::release:
    case MessageType::decline:
      if (!ours) return drop("another server's id");
      break;
    case MessageType::solicit:
    case MessageType::confirm:
    case MessageType::rebind:
      if (!m.server_id.empty()) return drop("server id where none belongs");
      break;
    case MessageType::information_request:
      if (!m.server_id.empty() && !ours) return drop("another server's id");
      break;
    default:
      return drop("not a client message");
  }
  // Replies go back where the message came from: the client (port 546) or the relay (547).
  reply_.to = rx.from;
  MessageBuilder b(MutableBytes(reply_.buffer.data(), reply_.buffer.size()));
  const auto header = [&](MessageType type) {
    b.header(type, m.xid, m);
    b.option(option::kServerId, config_.server_duid.view());
    if (!m.client_id.empty()) b.option(option::kClientId, m.client_id.view());
  };
  const auto dns = [&](std::optional<std::size_t> subnet) {
    if (!subnet || config_.subnets[*subnet].dns.empty()) return;
    const std::size_t mark = b.begin(option::kDnsServers);
    for (const Ipv6& ip : config_.subnets[*subnet].dns) b.address(ip);
    b.end(mark);
  };
  const auto subnet = subnet_for(m);

  if (config_.mode == Mode::stateless || m.type == MessageType::information_request) {
    // Boot options (and DNS) only; in stateless mode a Solicit is answered
    // only for a boot client, with its IA_NA refused: the address server
    // on the link hands out the address.
    if (m.type == MessageType::information_request) {
      header(MessageType::reply);
    } else if (m.type == MessageType::solicit && (m.arch || m.is_ipxe())) {
      header(MessageType::advertise);
      if (m.has_ia_na) ia_na(b, m, nullptr, 0, Status::no_addrs_avail, "stateless: addresses come from another server");
    } else {
      return drop("stateless: not an Information-Request or a boot client's Solicit");
    }
    boot_options(b, m);
    dns(subnet);
    return finish(b, m.type == MessageType::solicit ? MessageType::advertise : MessageType::reply);
  }

  if (!subnet) return drop("no subnet for the client's link");
  const SubnetConfig& s = config_.subnets[*subnet];
  switch (m.type) {
    case MessageType::solicit:
    case MessageType::request: {
      const bool commit = m.type == MessageType::request || (m.rapid_commit && config_.rapid_commit);
      const MessageType type = commit ? MessageType::reply : MessageType::advertise;
      header(type);
      if (commit && m.type == MessageType::solicit) b.option(option::kRapidCommit, Bytes());
      if (m.has_ia_na) {
        if (const auto ip = pick(m, *subnet, now)) {
          hold(m.client_id, m.iaid, *ip, commit ? LeaseState::bound : LeaseState::offered,
               now + (commit ? s.valid_seconds : config_.offer_hold_seconds));
          if (commit) record(journal, JournalRecord::Verb::bind, leases_.at(*ip));
          decision_.address = *ip;
          ia_na(b, m, &*ip, *subnet, Status::success, "");
        } else {
          counters_.pool_exhausted.inc();
          ia_na(b, m, nullptr, *subnet, Status::no_addrs_avail, "no address free");
        }
      }
      boot_options(b, m);
      dns(subnet);
      return finish(b, type);
    }
    case MessageType::renew:
    case MessageType::rebind: {
      Lease* lease = m.has_ia_na ? binding(m) : nullptr;
      if (lease == nullptr || lease->state == LeaseState::declined || !s.prefix.contains(lease->address)) {
        if (m.type == MessageType::rebind) return drop("rebind: no binding");
        header(MessageType::reply);
        ia_na(b, m, nullptr, *subnet, Status::no_binding, "no binding for this IA");
        return finish(b, MessageType::reply);
      }
      lease->state = LeaseState::bound;
      lease->expires_unix = now + s.valid_seconds;
      record(journal, JournalRecord::Verb::bind, *lease);
      decision_.address = lease->address;
      const Ipv6 address = lease->address;
      header(MessageType::reply);
      ia_na(b, m, &address, *subnet, Status::success, "");
      boot_options(b, m);
      dns(subnet);
      return finish(b, MessageType::reply);
    }
    case MessageType::release:
    case MessageType::decline: {
      for (std::size_t i = 0; i < m.ia_address_count; ++i) {
        Ipv6 ip = m.ia_addresses[i];
        ip.scope = 0;
        const auto it = leases_.find(ip);
        if (it == leases_.end() || !(it->second.duid == m.client_id) || it->second.iaid != m.iaid) continue;
        decision_.address = ip;
        if (m.type == MessageType::release) {
          record(journal, JournalRecord::Verb::release, it->second);
          forget(ip);
        } else {
          by_client_.erase(client_key(it->second.duid, it->second.iaid));
          it->second.duid = Duid{};
          it->second.iaid = 0;
          it->second.state = LeaseState::declined;
          it->second.expires_unix = now + config_.decline_hold_seconds;
          record(journal, JournalRecord::Verb::decline, it->second);
        }
      }
      header(MessageType::reply);
      b.status(Status::success, m.type == MessageType::release ? "released" : "declined");
      return finish(b, MessageType::reply);
    }
    case MessageType::confirm: {
      if (m.ia_address_count == 0) return drop("confirm without addresses");
      bool on_link = true;
      for (std::size_t i = 0; i < m.ia_address_count; ++i) on_link = on_link && s.prefix.contains(m.ia_addresses[i]);
      header(MessageType::reply);
      b.status(on_link ? Status::success : Status::not_on_link, on_link ? "on link" : "not on this link");
      return finish(b, MessageType::reply);
    }
    default:
      return drop("not a client message");
  }
}

void Engine::tick(std::int64_t now_unix) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.expires_unix <= now_unix) {
      if (!it->second.duid.empty()) by_client_.erase(client_key(it->second.duid, it->second.iaid));
      it = leases_.erase(it);
    } else {
      ++it;
    }
  }
  counters_.leases_in_use.set(static_cast<std::int64_t>(leases_.size()));
}

}  // namespace ringboot::dhcp6
