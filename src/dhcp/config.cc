#include "dhcp/config.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace ringboot::dhcp {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::off: return "off";
    case Mode::proxy: return "proxy";
    case Mode::server: return "server";
  }
  return "off";
}

std::string_view to_string(ConflictCheck check) { return check == ConflictCheck::icmp ? "icmp" : "none"; }

namespace {

class Reader {
 public:
  Reader(std::string_view file, std::vector<std::string>& errors) : file_(file), errors_(errors) {}

  void error(const toml::node& node, std::string_view reason) { error_at(node.source().begin.line, reason); }
  void error_at(std::uint32_t line, std::string_view reason) { errors_.push_back(fmt::format("{}:{}: {}", file_, line, reason)); }

  // Reports every key of `table` not in `allowed`.
  void check_keys(const toml::table& table, std::string_view where, std::initializer_list<std::string_view> allowed) {
    for (auto&& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end())
        error_at(key.source().begin.line != 0 ? key.source().begin.line : node.source().begin.line,
                 fmt::format("unknown key '{}' in {}", key.str(), where));
    }
  }

  std::optional<std::string> string(const toml::table& t, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (auto s = n->value<std::string>()) return s;
    error(*n, fmt::format("'{}' must be a string", key));
    return std::nullopt;
  }

  std::optional<Ipv4> ip(const toml::node& n, std::string_view key) {
    if (auto s = n.value<std::string>()) {
      if (auto ip = Ipv4::parse(*s)) return ip;
      error(n, fmt::format("'{}': bad IPv4 address '{}'", key, *s));
      return std::nullopt;
    }
    error(n, fmt::format("'{}' must be an IPv4 address string", key));
    return std::nullopt;
  }
  std::optional<Ipv4> ip(const toml::table& t, std::string_view key) {
    const toml::node* n = t.get(key);
    return n == nullptr ? std::nullopt : ip(*n, key);
  }

  std::optional<std::int64_t> integer(const toml::table& t, std::string_view key, std::int64_t min, std::int64_t max) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    auto v = n->value_exact<std::int64_t>();
    if (!v) {
      error(*n, fmt::format("'{}' must be an integer", key));
      return std::nullopt;
    }
    if (*v < min || *v > max) {
      error(*n, fmt::format("'{}' must be in {}..{}", key, min, max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<Cidr> cidr(const toml::table& t, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    auto s = n->value<std::string>();
    if (auto c = s ? Cidr::parse(*s) : std::nullopt) return c;
    error(*n, fmt::format("'{}' must be a CIDR like \"10.0.0.0/24\" with zero host bits", key));
    return std::nullopt;
  }

  const toml::array* array(const toml::table& t, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return nullptr;
    if (const toml::array* a = n->as_array()) return a;
    error(*n, fmt::format("'{}' must be an array", key));
    return nullptr;
  }

  // An array of tables ([[dhcp.boot]]); reports other shapes.
  template <typename F>
  void each_table(const toml::table& t, std::string_view key, F&& f) {
    const toml::array* a = array(t, key);
    if (a == nullptr) return;
    for (const toml::node& el : *a) {
      if (const toml::table* tt = el.as_table())
        f(*tt);
      else
        error(el, fmt::format("'{}' entries must be tables", key));
    }
  }

 private:
  std::string_view file_;
  std::vector<std::string>& errors_;
};

void parse_match(Reader& r, const toml::table& m, BootMatch& out) {
  r.check_keys(m, "match", {"arch", "ipxe", "vendor_class", "mac", "subnet"});
  if (const toml::array* a = r.array(m, "arch")) {
    for (const toml::node& el : *a) {
      auto v = el.value_exact<std::int64_t>();
      if (!v || *v < 0 || *v > 0xffff)
        r.error(el, "'arch' entries must be integers 0..65535 (option 93)");
      else
        out.arch.push_back(static_cast<std::uint16_t>(*v));
    }
    if (a->empty()) r.error(*a, "'arch' must not be empty");
  }
  if (const toml::node* n = m.get("ipxe")) {
    if (auto b = n->value_exact<bool>())
      out.ipxe = *b;
    else
      r.error(*n, "'ipxe' must be true or false");
  }
  if (auto s = r.string(m, "vendor_class")) out.vendor_class = *s;
  if (auto s = r.string(m, "mac")) {
    if (auto p = MacPattern::parse(*s))
      out.mac = *p;
    else
      r.error(*m.get("mac"), fmt::format("'mac': bad MAC or prefix '{}'", *s));
  }
  out.subnet = r.cidr(m, "subnet");
}

void parse_boot(Reader& r, const toml::table& t, DhcpConfig& c) {
  r.check_keys(t, "[[dhcp.boot]]", {"match", "file", "next_server", "name"});
  BootRule rule;
  rule.index = c.boot.size();
  rule.name = r.string(t, "name").value_or("boot[" + std::to_string(rule.index) + "]");
  if (const toml::node* m = t.get("match")) {
    if (const toml::table* mt = m->as_table())
      parse_match(r, *mt, rule.match);
    else
      r.error(*m, "'match' must be a table, e.g. { arch = [7, 9] }");
  }
  if (auto f = r.string(t, "file")) {
    rule.file = *f;
    if (f->empty() || f->size() > 1024) r.error(*t.get("file"), "'file' must be 1..1024 characters");
  } else if (t.get("file") == nullptr) {
    r.error(t, "[[dhcp.boot]] needs 'file'");
  }
  rule.next_server = r.ip(t, "next_server");
  c.boot.push_back(std::move(rule));
}

void parse_subnet(Reader& r, const toml::table& t, DhcpConfig& c) {
  r.check_keys(t, "[[dhcp.subnet]]", {"cidr", "range", "router", "dns", "domain", "lease_seconds", "next_server"});
  SubnetConfig s;
  auto cidr = r.cidr(t, "cidr");
  if (!cidr && t.get("cidr") == nullptr) r.error(t, "[[dhcp.subnet]] needs 'cidr'");
  const toml::array* range = r.array(t, "range");
  bool range_ok = false;
  if (range != nullptr) {
    if (range->size() != 2) {
      r.error(*range, "'range' must be [first, last]");
    } else {
      auto first = r.ip(*range->get(0), "range");
      auto last = r.ip(*range->get(1), "range");
      if (first && last) {
        s.range_first = *first;
        s.range_last = *last;
        range_ok = true;
        if (first->value > last->value) {
          r.error(*range, "'range' first address is after the last");
          range_ok = false;
        } else if (last->value - first->value >= (1U << 24)) {
          r.error(*range, "'range' holds more than 2^24 addresses");
          range_ok = false;
        }
      }
    }
  } else if (t.get("range") == nullptr) {
    r.error(t, "[[dhcp.subnet]] needs 'range'");
  }
  if (cidr) {
    s.cidr = *cidr;
    if (range_ok) {
      if (!cidr->contains(s.range_first) || !cidr->contains(s.range_last)) {
        r.error(*range, fmt::format("'range' is not inside {}", cidr->to_string()));
      } else if (cidr->prefix < 31 && (s.range_first == cidr->network || s.range_last == cidr->broadcast())) {
        r.error(*range, "'range' must not include the network or broadcast address");
      }
    }
  }
  s.router = r.ip(t, "router");
  if (s.router && cidr && !cidr->contains(*s.router)) r.error(*t.get("router"), "'router' is not inside the subnet");
  if (const toml::array* dns = r.array(t, "dns")) {
    for (const toml::node& el : *dns)
      if (auto ip = r.ip(el, "dns")) s.dns.push_back(*ip);
    if (dns->size() > 8) r.error(*dns, "'dns' has more than 8 servers");
  }
  if (auto d = r.string(t, "domain")) {
    s.domain = *d;
    if (d->empty() || d->size() > 255) r.error(*t.get("domain"), "'domain' must be 1..255 characters");
  }
  if (auto l = r.integer(t, "lease_seconds", 60, std::numeric_limits<std::int32_t>::max()))
    s.lease_seconds = static_cast<std::uint32_t>(*l);
  s.next_server = r.ip(t, "next_server");
  if (cidr) {
    for (const SubnetConfig& other : c.subnets)
      if (other.cidr.contains(cidr->network) || cidr->contains(other.cidr.network))
        r.error(t, fmt::format("subnet {} overlaps {}", cidr->to_string(), other.cidr.to_string()));
    c.subnets.push_back(std::move(s));
  }
}

void parse_host(Reader& r, const toml::table& t, DhcpConfig& c) {
  r.check_keys(t, "[[dhcp.host]]", {"mac", "address", "hostname"});
  HostConfig h;
  bool ok = true;
  if (auto m = r.string(t, "mac")) {
    if (auto mac = Mac::parse(*m))
      h.mac = *mac;
    else {
      r.error(*t.get("mac"), fmt::format("'mac': bad MAC '{}' (want aa:bb:cc:dd:ee:ff)", *m));
      ok = false;
    }
  } else {
    if (t.get("mac") == nullptr) r.error(t, "[[dhcp.host]] needs 'mac'");
    ok = false;
  }
  if (auto a = r.ip(t, "address")) {
    h.address = *a;
    const bool inside = std::any_of(c.subnets.begin(), c.subnets.end(),
                                    [&](const SubnetConfig& s) { return s.cidr.contains(*a); });
    if (!inside) {
      r.error(*t.get("address"), fmt::format("'address' {} is not inside any [[dhcp.subnet]]", a->to_string()));
      ok = false;
    }
  } else {
    if (t.get("address") == nullptr) r.error(t, "[[dhcp.host]] needs 'address'");
    ok = false;
  }
  if (auto n = r.string(t, "hostname")) h.hostname = *n;
  if (!ok) return;
  for (const HostConfig& other : c.hosts) {
    if (other.mac == h.mac) r.error(t, fmt::format("MAC {} is reserved twice", h.mac.to_string()));
    if (other.address == h.address) r.error(t, fmt::format("address {} is reserved twice", h.address.to_string()));
  }
  c.hosts.push_back(std::move(h));
}

}  // namespace

DhcpConfigResult parse_dhcp_config(const toml::table& root, std::string_view file_name) {
  DhcpConfigResult result;
  Reader r(file_name, result.errors);
  DhcpConfig& c = result.config;
  const toml::node* section = root.get("dhcp");
  if (section == nullptr) return result;
  const toml::table* t = section->as_table();
  if (t == nullptr) {
    r.error(*section, "'dhcp' must be a table");
    return result;
  }
  r.check_keys(*t, "[dhcp]",
               {"mode", "interface", "server_address", "shared_port", "lease_file", "leases_max", "offer_hold_seconds",
                "decline_hold_seconds", "conflict_check", "conflict_check_ms", "probes_max", "requests_per_second_per_client", "rate_limit_burst",
                "rate_limit_clients_max", "boot", "subnet",
                "host"});
  if (auto m = r.string(*t, "mode")) {
    if (*m == "off")
      c.mode = Mode::off;
    else if (*m == "proxy")
      c.mode = Mode::proxy;
    else if (*m == "server")
      c.mode = Mode::server;
    else
      r.error(*t->get("mode"), fmt::format("'mode' must be \"proxy\", \"server\" or \"off\", not \"{}\"", *m));
  }
  if (auto i = r.string(*t, "interface")) c.interface = *i;
  c.server_address = r.ip(*t, "server_address");
  if (const toml::node* n = t->get("shared_port")) {
    if (auto b = n->value<bool>(); b && n->is_boolean())
      c.shared_port = *b;
    else
      r.error(*n, "'shared_port' must be true or false");
  }
  if (auto f = r.string(*t, "lease_file")) c.lease_file = *f;
  if (auto n = r.integer(*t, "leases_max", 1, 1 << 24)) c.leases_max = static_cast<std::size_t>(*n);
  if (auto n = r.integer(*t, "offer_hold_seconds", 1, 3600)) c.offer_hold_seconds = static_cast<std::uint32_t>(*n);
  if (auto n = r.integer(*t, "decline_hold_seconds", 1, 86400 * 7))
    c.decline_hold_seconds = static_cast<std::uint32_t>(*n);
  if (auto m = r.string(*t, "conflict_check")) {
    if (*m == "icmp")
      c.conflict_check = ConflictCheck::icmp;
    else if (*m == "none")
      c.conflict_check = ConflictCheck::none;
    else
      r.error(*t->get("conflict_check"), fmt::format("'conflict_check' must be \"icmp\" or \"none\", not \"{}\"", *m));
  }
  if (auto n = r.integer(*t, "conflict_check_ms", 1, 10000)) c.conflict_check_ms = static_cast<std::uint32_t>(*n);
  if (auto n = r.integer(*t, "probes_max", 0, 65536)) c.probes_max = static_cast<std::size_t>(*n);
  if (auto n = r.integer(*t, "requests_per_second_per_client", 0, 1000000))
    c.requests_per_second_per_client = static_cast<std::uint32_t>(*n);
  if (auto n = r.integer(*t, "rate_limit_burst", 0, 1000000)) c.rate_limit_burst = static_cast<std::uint32_t>(*n);
  if (auto n = r.integer(*t, "rate_limit_clients_max", 1, 1 << 24)) c.rate_limit_clients_max = static_cast<std::size_t>(*n);
  r.each_table(*t, "boot", [&](const toml::table& b) { parse_boot(r, b, c); });
  r.each_table(*t, "subnet", [&](const toml::table& s) { parse_subnet(r, s, c); });
  r.each_table(*t, "host", [&](const toml::table& h) { parse_host(r, h, c); });
  if (c.mode == Mode::server && c.subnets.empty() && result.errors.empty())
    r.error(*t, "mode \"server\" needs at least one [[dhcp.subnet]]");
  if (c.mode != Mode::off && c.interface.empty()) r.error(*t, "'interface' is required when DHCP is on");
  if (c.shared_port && c.mode != Mode::proxy)
    r.error(*t->get("shared_port"), "'shared_port' is for mode \"proxy\" only (a server answers unicast on port 67)");
  return result;
}

}  // namespace ringboot::dhcp
