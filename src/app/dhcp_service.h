// The DHCP tagger on worker 0's ring: port 67 (and 4011 in proxy mode) on
// the configured interface, the lease journal, and the 1 s engine tick.
// Decisions are the pure engine's (src/dhcp); this file moves datagrams and
// makes leases durable.
//
// Durability (group commit, app/lease_journal.h): the engine hands each
// lease record to the journal before it returns the ACK; every reply that
// follows a record is held until the end of the completion batch
// (on_timers, which the worker calls after every batch), when the records
// are written and fdatasync()ed; only then are the held replies sent. The
// write, the fdatasync and compaction block worker 0 (DHCP runs there
// only); that is the price of a lease nobody else can be handed.
//
// Conflict check (server mode, dhcp.conflict_check = "icmp"): an OFFER of an
// address the client never held is held while an ICMP echo goes to that
// address from a raw socket on the same ring. An echo reply from it within
// conflict_check_ms quarantines the address (Engine::conflict, journaled like
// a DECLINE; logged "dhcp.conflict") and the DISCOVER is handled again for
// another address (at most kProbeRounds times, then dropped: the client
// retries). No reply by the deadline: the OFFER goes out, conflict_check_ms
// late. At most probes_max OFFERs are held; beyond that (or when the echo
// cannot be sent) the OFFER goes out unprobed, counted.
//
// Needs CAP_NET_BIND_SERVICE (port 67) and CAP_NET_RAW (SO_BINDTODEVICE, the
// raw ICMP socket); with --user, the lease file's directory must be writable
// by that user. Sockets are opened at start, before privileges are dropped.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "app/fleet_service.h"
#include "app/lease_journal.h"
#include "base/endpoint.h"
#include "base/rate_limit.h"
#include "base/time.h"
#include "dhcp/config.h"
#include "dhcp/counters.h"
#include "dhcp/engine.h"
#include "io/ring.h"
#include "io/udp.h"

namespace ringboot {

class DhcpService {
 public:
  // `tick`: the worker's clocks for this loop turn (see Tick).
  // `fleet`: where each request's facts about its machine go (null: nowhere).
  DhcpService(io::Ring& ring, const Tick& tick, io::BufferRing& buffers, const dhcp::DhcpConfig& config,
              SharedFleet* fleet);
  ~DhcpService();
  DhcpService(const DhcpService&) = delete;
  DhcpService& operator=(const DhcpService&) = delete;

  // Looks up the interface address, replays and compacts the lease file
  // (server mode), opens the sockets and arms their receives.
  bool start(std::string* error);
  void on_completion(const io::Completion& c, Instant now);
  Instant next_deadline() const;
  // Makes buffered lease records durable and sends the replies held behind
  // them; once a second also ticks the engine and compacts when due.
  void on_timers(Instant now);
  // SIGHUP: the lease table and counters live in the engine built at start,
  // so [dhcp] changes take effect on restart (logged).
  void reload(const dhcp::DhcpConfig& config);
  // Flushes and compacts the lease file; closes the sockets.
  void shutdown();
  const dhcp::DhcpCounters& counters() const { return engine_.counters(); }

 private:
  enum Socket : std::uint32_t { kServerSocket = 0, kPxeSocket = 1, kIcmpSocket = 2, kSocketCount = 3 };
  struct Held {
    std::uint32_t socket = kServerSocket;
    dhcp::Reply reply;
  };
  // An OFFER waiting for its conflict check, with the DISCOVER it answers.
  struct Probe {
    bool active = false;
    std::uint32_t generation = 0;
    std::uint32_t socket = kServerSocket;
    std::uint32_t round = 0;  // conflicts already found for this DISCOVER
    Instant deadline;
    Ipv4 address;
    dhcp::Mac mac;
    dhcp::Received rx;
    std::vector<std::uint8_t> request;
    dhcp::Reply reply;
  };

  void on_receive(const io::Completion& c);
  void handle(const io::Datagram& d, std::uint32_t socket);
  void observe(const dhcp::Decision& decision, std::string_view detail);
  void report_decision(const Endpoint& from, bool sighting);
  void send(std::uint32_t socket, const dhcp::Reply& reply);
  // Sends now, or holds behind buffered journal records.
  void emit(std::uint32_t socket, const dhcp::Reply& reply);
  // A reply from the engine: probe first when it asks, else emit.
  void dispatch(std::uint32_t socket, const dhcp::Received& rx, Bytes request, const dhcp::Reply& reply,
                std::uint32_t round);
  void on_echo_reply(const io::Datagram& d);
  void expire_probes(Instant now);
  void release_probe(std::uint32_t index);
  void flush_journal();
  bool compact(std::int64_t now_unix, std::string* error);
  bool open_socket(std::uint32_t socket, std::uint16_t port, std::string* error);

  io::Ring& ring_;
  const Tick& tick_;
  SharedFleet* fleet_;
  io::BufferRing& buffers_;
  dhcp::DhcpConfig config_;
  dhcp::Engine engine_;
  RateLimiter rate_limiter_;  // per client MAC, before any parsing
  io::UdpSendPool sends_;
  std::array<int, kSocketCount> fds_{-1, -1, -1};
  Ipv4 interface_address_;
  LeaseJournal journal_;    // dhcp.lease_file (server mode)
  std::vector<Held> held_;  // replies waiting for journal_ to be durable; capacity fixed at start
  Instant next_tick_ = kNever;
  std::vector<Probe> probes_;  // probes_max slots, fixed at start
  std::vector<std::uint32_t> free_probes_;
  std::deque<std::pair<std::uint32_t, std::uint32_t>> probe_order_;  // {slot, generation}, by deadline
  std::size_t probes_active_ = 0;
  std::uint16_t echo_sequence_ = 0;
  std::vector<std::uint8_t> retry_request_;  // a DISCOVER handled again after a conflict
  std::string decision_text_;                // the last decision's text, the buffer kept
};

}  // namespace ringboot
