#include "dhcp/lease.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace ringboot::dhcp {

std::string_view to_string(LeaseState state) {
  switch (state) {
    case LeaseState::offered:
      return "offer";
    case LeaseState::bound:
      return "bind";
    case LeaseState::released:
      return "release";
    case LeaseState::declined:
      return "decline";
  }
  return "offer";
}

std::string to_journal_line(const Lease& lease) {
  return fmt::format("{} {} {} {}", to_string(lease.state), lease.mac.to_string(), lease.address.to_string(),
                     lease.expires_unix);
}

std::optional<Lease> parse_journal_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::string_view fields[4];
  for (std::size_t i = 0; i < 4; ++i) {
    const auto space = line.find(' ');
    if ((space == std::string_view::npos) != (i == 3)) return std::nullopt;
    fields[i] = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  }
  Lease l;
  if (fields[0] == "bind")
    l.state = LeaseState::bound;
  else if (fields[0] == "release")
    l.state = LeaseState::released;
  else if (fields[0] == "decline")
    l.state = LeaseState::declined;
  else if (fields[0] == "offer")
    l.state = LeaseState::offered;
  else
    return std::nullopt;
  auto mac = Mac::parse(fields[1]);
  auto ip = Ipv4::parse(fields[2]);
  if (!mac || !ip) return std::nullopt;
  const char* end = fields[3].data() + fields[3].size();
  auto [next, ec] = std::from_chars(fields[3].data(), end, l.expires_unix);
  if (fields[3].empty() || ec != std::errc{} || next != end) return std::nullopt;
  l.mac = *mac;
  l.address = *ip;
  return l;
}

LeaseTable::LeaseTable(std::span<const SubnetConfig> subnets, std::span<const HostConfig> hosts, std::size_t leases_max,
                       std::uint32_t offer_hold_seconds, std::uint32_t decline_hold_seconds)
    : leases_max_(leases_max), offer_hold_seconds_(offer_hold_seconds), decline_hold_seconds_(decline_hold_seconds) {
  for (const SubnetConfig& s : subnets) {
    Pool p{s, {}, 0};
    const std::size_t n = p.size();
    p.used.assign((n + 63) / 64, 0);
    if (n % 64 != 0) p.used.back() = ~std::uint64_t{0} << (n % 64);  // bits past the range are never free
    pools_.push_back(std::move(p));
  }
  for (const HostConfig& h : hosts) {
    reserved_by_mac_[h.mac.key()] = h.address;
    reserved_by_ip_[h.address.value] = h.mac;
    mark(h.address, true);
  }
  records_.reserve(leases_max);
  in_use_.reserve(leases_max);
  by_mac_.reserve(leases_max);
  by_ip_.reserve(leases_max);
}

std::optional<std::size_t> LeaseTable::subnet_of(Ipv4 ip) const {
  for (std::size_t i = 0; i < pools_.size(); ++i)
    if (pools_[i].config.cidr.contains(ip)) return i;
  return std::nullopt;
}

bool LeaseTable::live(const Lease& lease, std::int64_t now) const {
  return lease.state != LeaseState::released && lease.expires_unix > now;
}

const Lease* LeaseTable::find(const Mac& mac) const {
  auto it = by_mac_.find(mac.key());
  return it == by_mac_.end() ? nullptr : &records_[it->second];
}

const Lease* LeaseTable::find(Ipv4 address) const {
  auto it = by_ip_.find(address.value);
  return it == by_ip_.end() ? nullptr : &records_[it->second];
}

std::optional<Ipv4> LeaseTable::reservation(const Mac& mac) const {
  auto it = reserved_by_mac_.find(mac.key());
  if (it == reserved_by_mac_.end()) return std::nullopt;
  return it->second;
}

bool LeaseTable::reserved_for_other(const Mac& mac, Ipv4 ip) const {
  auto it = reserved_by_ip_.find(ip.value);
  return it != reserved_by_ip_.end() && it->second != mac;
}

// Free for mac: not someone else's reservation, and no live record of another
// client (a declined address is nobody's, so it is never free while live).
bool LeaseTable::available_for(const Mac& mac, Ipv4 ip, std::int64_t now) const {
  if (reserved_for_other(mac, ip)) return false;
  const Lease* l = find(ip);
  if (l == nullptr || !live(*l, now)) return true;
  return l->state != LeaseState::declined && l->mac == mac;
}

void LeaseTable::mark(Ipv4 ip, bool used) {
  for (Pool& p : pools_) {
    if (!p.in_range(ip)) continue;
    const std::size_t bit = ip.value - p.config.range_first.value;
    if (used) {
      p.used[bit / 64] |= std::uint64_t{1} << (bit % 64);
    } else {
      p.used[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
      p.hint_word = std::min(p.hint_word, bit / 64);
    }
    return;
  }
}

std::optional<Ipv4> LeaseTable::lowest_free(Pool& pool) {
  for (std::size_t w = pool.hint_word; w < pool.used.size(); ++w) {
    if (pool.used[w] == ~std::uint64_t{0}) {
      pool.hint_word = w + 1;
      continue;
    }
    const auto bit = static_cast<std::size_t>(std::countr_one(pool.used[w]));
    return Ipv4{pool.config.range_first.value + static_cast<std::uint32_t>(w * 64 + bit)};
  }
  return std::nullopt;
}

// Pool full of records: reuse the one that expired longest ago. O(records),
// only when the pool has no never-used address left.
std::optional<Ipv4> LeaseTable::oldest_expired(const Pool& pool, std::int64_t now) const {
  std::optional<Ipv4> best;
  std::int64_t best_expiry = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const Lease& l = records_[i];
    if (!in_use_[i] || live(l, now) || !pool.in_range(l.address) || reserved_by_ip_.contains(l.address.value)) continue;
    if (l.expires_unix < best_expiry) {
      best_expiry = l.expires_unix;
      best = l.address;
    }
  }
  return best;
}

// A free record slot; at leases_max, evicts the record that expired longest ago.
std::optional<std::uint32_t> LeaseTable::take_slot(std::int64_t now) {
  if (!free_slots_.empty()) {
    const std::uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  if (records_.size() < leases_max_) {
    records_.emplace_back();
    in_use_.push_back(false);
    return static_cast<std::uint32_t>(records_.size() - 1);
  }
  std::optional<std::uint32_t> best;
  for (std::uint32_t i = 0; i < records_.size(); ++i) {
    if (!in_use_[i] || live(records_[i], now)) continue;
    if (!best || records_[i].expires_unix < records_[*best].expires_unix) best = i;
  }
  if (!best) return std::nullopt;
  remove(*best);
  free_slots_.pop_back();  // remove() pushed it
  return best;
}

void LeaseTable::remove(std::uint32_t slot) {
  const Lease& l = records_[slot];
  by_ip_.erase(l.address.value);
  auto it = by_mac_.find(l.mac.key());
  if (it != by_mac_.end() && it->second == slot) by_mac_.erase(it);
  if (!reserved_by_ip_.contains(l.address.value)) mark(l.address, false);
  in_use_[slot] = false;
  free_slots_.push_back(slot);
}

// Gives ip to mac; the caller has checked it may. The client's record for
// another address goes (one address per client, declined aside), and so does an expired
// record of another client at ip.
const Lease* LeaseTable::assign(const Mac& mac, Ipv4 ip, LeaseState state, std::int64_t expires, std::int64_t now) {
  // A quarantine is nobody's lease: it never takes the client's other record
  // (replaying "bind M B" then "decline M A" keeps M's binding).
  if (auto it = by_mac_.find(mac.key());
      state != LeaseState::declined && it != by_mac_.end() && records_[it->second].address != ip)
    remove(it->second);
  std::uint32_t slot = 0;
  if (auto it = by_ip_.find(ip.value); it != by_ip_.end()) {
    slot = it->second;
    auto owner = by_mac_.find(records_[slot].mac.key());
    if (owner != by_mac_.end() && owner->second == slot && records_[slot].mac != mac) by_mac_.erase(owner);
  } else {
    auto s = take_slot(now);
    if (!s) return nullptr;
    slot = *s;
    in_use_[slot] = true;
    by_ip_[ip.value] = slot;
    mark(ip, true);
  }
  records_[slot] = Lease{mac, ip, state, expires};
  if (state == LeaseState::declined) {
    auto owner = by_mac_.find(mac.key());
    if (owner != by_mac_.end() && owner->second == slot) by_mac_.erase(owner);
  } else {
    by_mac_[mac.key()] = slot;
  }
  return &records_[slot];
}

std::optional<Ipv4> LeaseTable::offer(const Mac& mac, std::size_t subnet, std::optional<Ipv4> requested,
                                      std::int64_t now, bool* fresh) {
  if (fresh != nullptr) *fresh = false;
  if (subnet >= pools_.size()) return std::nullopt;
  Pool& pool = pools_[subnet];
  const std::int64_t hold = now + offer_hold_seconds_;
  auto give = [&](Ipv4 ip) -> std::optional<Ipv4> {
    const Lease* l = find(ip);
    if (fresh != nullptr)
      *fresh = !(reservation(mac) == ip) &&
               !(l != nullptr && l->mac == mac && (l->state == LeaseState::bound || l->state == LeaseState::released));
    // A renewing client's binding stays bound; the offer does not shorten it.
    if (l != nullptr && l->mac == mac && l->state == LeaseState::bound && live(*l, now)) return ip;
    if (assign(mac, ip, LeaseState::offered, hold, now) == nullptr) return std::nullopt;
    return ip;
  };
  if (auto r = reservation(mac); r && pool.config.cidr.contains(*r)) {
    // A reserved client gets its address or nothing: bind() refuses any other
    // (while the reservation is quarantined after a DECLINE the client waits).
    if (!available_for(mac, *r, now)) return std::nullopt;
    return give(*r);
  }
  if (const Lease* l = find(mac); l != nullptr && pool.in_range(l->address) && available_for(mac, l->address, now))
    return give(l->address);
  if (requested && pool.in_range(*requested) && available_for(mac, *requested, now)) return give(*requested);
  if (auto ip = lowest_free(pool)) return give(*ip);
  if (auto ip = oldest_expired(pool, now)) return give(*ip);
  return std::nullopt;
}

std::optional<Lease> LeaseTable::bind(const Mac& mac, Ipv4 address, std::size_t subnet, std::int64_t now) {
  if (subnet >= pools_.size()) return std::nullopt;
  const Pool& pool = pools_[subnet];
  if (!pool.config.cidr.contains(address) || !available_for(mac, address, now)) return std::nullopt;
  const auto reserved = reservation(mac);
  if (reserved && pool.config.cidr.contains(*reserved)) {
    if (*reserved != address) return std::nullopt;  // move the client to its reservation
  } else if (!pool.in_range(address)) {
    return std::nullopt;
  }
  if (const Lease* mine = find(mac); mine != nullptr && mine->address != address && live(*mine, now))
    return std::nullopt;  // we hold another address for it: NAK, it restarts and gets that one
  const Lease* l = assign(mac, address, LeaseState::bound, now + pool.config.lease_seconds, now);
  if (l == nullptr) return std::nullopt;
  return *l;
}

std::optional<Lease> LeaseTable::release(const Mac& mac, Ipv4 address, std::int64_t now) {
  auto it = by_mac_.find(mac.key());
  if (it == by_mac_.end() || records_[it->second].address != address) return std::nullopt;
  Lease& l = records_[it->second];
  if (l.state != LeaseState::bound && l.state != LeaseState::offered) return std::nullopt;
  l.state = LeaseState::released;
  l.expires_unix = now;
  return l;
}

std::optional<Lease> LeaseTable::decline(const Mac& mac, Ipv4 address, std::int64_t now) {
  if (!subnet_of(address)) return std::nullopt;
  const Lease* l = find(address);
  // Only the holder may decline: a stray DECLINE must not take a live lease from another client.
  if (l != nullptr && live(*l, now) && (l->mac != mac || l->state == LeaseState::declined)) return std::nullopt;
  const Lease* d = assign(mac, address, LeaseState::declined, now + decline_hold_seconds_, now);
  if (d == nullptr) return std::nullopt;
  return *d;
}

std::optional<Lease> LeaseTable::mark_conflict(Ipv4 address, std::int64_t now) {
  if (!subnet_of(address)) return std::nullopt;
  const Lease* l = find(address);
  // A live binding is its client's: an echo from it proves nothing against it.
  if (l != nullptr && live(*l, now) && l->state == LeaseState::bound) return std::nullopt;
  if (l != nullptr && live(*l, now) && l->state == LeaseState::declined) return std::nullopt;  // already is
  const Mac owner = l != nullptr ? l->mac : Mac{};
  const Lease* d = assign(owner, address, LeaseState::declined, now + decline_hold_seconds_, now);
  if (d == nullptr) return std::nullopt;
  return *d;
}

void LeaseTable::drop_offer(const Mac& mac) {
  auto it = by_mac_.find(mac.key());
  if (it != by_mac_.end() && records_[it->second].state == LeaseState::offered) remove(it->second);
}

bool LeaseTable::apply(const Lease& record) {
  if (!subnet_of(record.address) || record.state == LeaseState::offered) return false;
  return assign(record.mac, record.address, record.state, record.expires_unix, record.expires_unix) != nullptr;
}

ReplayStats LeaseTable::replay(std::string_view text) {
  ReplayStats stats;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line == "\r") continue;
    auto record = parse_journal_line(line);
    if (!record)
      ++stats.malformed;
    else if (apply(*record))
      ++stats.applied;
    else
      ++stats.ignored;
  }
  return stats;
}

std::vector<std::string> LeaseTable::snapshot_lines(std::int64_t now) const {
  std::vector<std::string> lines;
  lines.reserve(by_ip_.size());
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const Lease& l = records_[i];
    if (!in_use_[i] || l.state == LeaseState::offered) continue;
    if (l.state == LeaseState::declined && !live(l, now)) continue;
    lines.push_back(to_journal_line(l));
  }
  return lines;
}

std::size_t LeaseTable::sweep(std::int64_t now) {
  std::size_t in_use = 0;
  for (std::uint32_t i = 0; i < records_.size(); ++i) {
    if (!in_use_[i]) continue;
    const Lease& l = records_[i];
    const bool is_live = live(l, now);
    if (!is_live && (l.state == LeaseState::offered || l.state == LeaseState::declined))
      remove(i);
    else if (is_live && l.state != LeaseState::declined)
      ++in_use;
  }
  return in_use;
}

}  // namespace ringboot::dhcp
