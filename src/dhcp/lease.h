// The lease table: bounded, pure (time is passed in), journaled by the caller.
// Invariant: an address has at most one record, and a live record (offered,
// bound or declined, not yet expired) is never handed to another client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/endpoint.h"
#include "base/journal_sink.h"
#include "dhcp/config.h"
#include "dhcp/packet.h"

namespace ringboot::dhcp {

enum class LeaseState : std::uint8_t {
  offered,   // held for offer_hold_seconds after an OFFER; never journaled
  bound,     // ACKed until expires_unix
  released,  // given back; remembered so the client gets it again
  declined,  // quarantined until expires_unix (RFC 2131 DECLINE); no owner
};
std::string_view to_string(LeaseState state);

struct Lease {
  Mac mac;
  Ipv4 address;
  LeaseState state = LeaseState::offered;
  std::int64_t expires_unix = 0;
  friend bool operator==(const Lease&, const Lease&) = default;
};

// One journal line, no newline: "bind 52:54:00:12:34:56 10.0.0.100 1700003600"
// (verbs: bind, release, decline; offer only from to_journal_line of an offer).
std::string to_journal_line(const Lease& lease);
// Tolerates a trailing "\r\n"; nullopt for anything else malformed (a torn last line).
std::optional<Lease> parse_journal_line(std::string_view line);

using ringboot::ReplayStats;

class LeaseTable {
 public:
  LeaseTable(std::span<const SubnetConfig> subnets, std::span<const HostConfig> hosts, std::size_t leases_max,
             std::uint32_t offer_hold_seconds, std::uint32_t decline_hold_seconds);

  // The subnet (index into the config's subnets) that holds ip.
  std::optional<std::size_t> subnet_of(Ipv4 ip) const;

  // DISCOVER: the reservation, else the client's previous address, else the
  // requested one, else the lowest never-used, else the oldest expired.
  // Holds it as offered. nullopt: pool exhausted or table full.
  // *fresh (when given): true unless the address is mac's reservation or an
  // address mac held (bound or released): such an address may be in use by
  // another host and is worth a conflict check before the OFFER goes out.
  std::optional<Ipv4> offer(const Mac& mac, std::size_t subnet, std::optional<Ipv4> requested, std::int64_t now_unix,
                            bool* fresh = nullptr);
  // REQUEST: binds address to mac; nullopt means NAK (wrong subnet, someone
  // else's, reserved for another, or this client holds a different address).
  std::optional<Lease> bind(const Mac& mac, Ipv4 address, std::size_t subnet, std::int64_t now_unix);
  // RELEASE / DECLINE: the record to journal, or nullopt when it is not this client's.
  std::optional<Lease> release(const Mac& mac, Ipv4 address, std::int64_t now_unix);
  std::optional<Lease> decline(const Mac& mac, Ipv4 address, std::int64_t now_unix);
  // A conflict check found `address` in use (an ICMP echo reply): quarantine
  // it like a DECLINE, taking it from the client it was offered to. The
  // record to journal, or nullopt when nothing changed: the address is bound
  // to a client, already quarantined, or outside every subnet.
  std::optional<Lease> mark_conflict(Ipv4 address, std::int64_t now_unix);
  // REQUEST naming another server: forget our offer to this client.
  void drop_offer(const Mac& mac);

  const Lease* find(const Mac& mac) const;
  const Lease* find(Ipv4 address) const;
  std::optional<Ipv4> reservation(const Mac& mac) const;
  bool live(const Lease& lease, std::int64_t now_unix) const;

  // Replays journal records in order (last one wins for an address).
  bool apply(const Lease& record);
  ReplayStats replay(std::string_view journal_text);
  // Bound, released and live declined records, one journal line each: write
  // them to a new file and rename() it over the journal to compact.
  std::vector<std::string> snapshot_lines(std::int64_t now_unix) const;

  // Drops expired offers and quarantines; returns the offered+bound live count.
  std::size_t sweep(std::int64_t now_unix);
  std::size_t size() const { return by_ip_.size(); }
  std::size_t capacity() const { return leases_max_; }

 private:
  struct Pool {
    SubnetConfig config;
    std::vector<std::uint64_t> used;  // bit i: range_first+i has a record or a reservation
    std::size_t hint_word = 0;        // no zero bit before this word
    std::size_t size() const { return std::size_t{config.range_last.value} - config.range_first.value + 1; }
    bool in_range(Ipv4 ip) const { return ip.value >= config.range_first.value && ip.value <= config.range_last.value; }
  };

  bool available_for(const Mac& mac, Ipv4 ip, std::int64_t now) const;
  bool reserved_for_other(const Mac& mac, Ipv4 ip) const;
  std::optional<Ipv4> lowest_free(Pool& pool);
  std::optional<Ipv4> oldest_expired(const Pool& pool, std::int64_t now) const;
  std::optional<std::uint32_t> take_slot(std::int64_t now);
  const Lease* assign(const Mac& mac, Ipv4 ip, LeaseState state, std::int64_t expires, std::int64_t now);
  void remove(std::uint32_t slot);
  void mark(Ipv4 ip, bool used);

  std::vector<Pool> pools_;
  std::size_t leases_max_;
  std::uint32_t offer_hold_seconds_;
  std::uint32_t decline_hold_seconds_;
  std::vector<Lease> records_;
  std::vector<bool> in_use_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_mac_;
  std::unordered_map<std::uint32_t, std::uint32_t> by_ip_;
  std::unordered_map<std::uint64_t, Ipv4> reserved_by_mac_;
  std::unordered_map<std::uint32_t, Mac> reserved_by_ip_;
};

}  // namespace ringboot::dhcp
