// DHCPv6 on worker 0's ring: UDP 547 on the configured interface, joined to
// ff02::1:2, and the 1 s engine tick. Decisions are the pure engine's
// (src/dhcp6); this file moves datagrams. Replies go back to where the
// message came from: the client's link-local address (port 546), or the
// relay (547) as a Relay-Reply.
//
// The server DUID is a DUID-LL of the interface's MAC, so it is the same
// after a restart. Server mode's bindings are durable like IPv4's
// (app/lease_journal.h, dhcp6.lease_file): a Reply that binds, extends,
// releases or declines an address waits for its journal record's
// fdatasync, and the journal is replayed at start, so a client renews
// after a `kill -9` as before it.
//
// Needs CAP_NET_BIND_SERVICE (port 547) and CAP_NET_RAW (SO_BINDTODEVICE).
#pragma once

#include <string>
#include <vector>

#include "app/fleet_service.h"
#include "app/lease_journal.h"
#include "base/time.h"
#include "dhcp6/engine.h"
#include "io/ring.h"
#include "io/udp.h"

namespace ringboot {

class Dhcp6Service {
 public:
  // `fleet`: where each request's facts about its machine go (null: nowhere).
  Dhcp6Service(io::Ring& ring, const Tick& tick, io::BufferRing& buffers, const dhcp6::Dhcp6Config& config,
               SharedFleet* fleet);
  ~Dhcp6Service();
  Dhcp6Service(const Dhcp6Service&) = delete;
  Dhcp6Service& operator=(const Dhcp6Service&) = delete;

  // Reads the interface's MAC (the server DUID), opens the socket and arms its receive.
  bool start(std::string* error);
  void on_completion(const io::Completion& c, Instant now);
  Instant next_deadline() const;
  // Makes buffered lease records durable and sends the replies held behind
  // them; once a second also ticks the engine and compacts when due.
  void on_timers(Instant now);
  // Flushes and compacts the lease file; closes the socket.
  void shutdown();
  const dhcp6::Counters& counters() const { return engine_->counters(); }

 private:
  void handle(const io::Datagram& d);
  void send(const dhcp6::Reply& reply);
  void flush_journal();
  bool compact(std::int64_t now_unix, std::string* error);

  io::Ring& ring_;
  const Tick& tick_;
  SharedFleet* fleet_;
  io::BufferRing& buffers_;
  dhcp6::Dhcp6Config config_;
  std::unique_ptr<dhcp6::Engine> engine_;  // built at start, once the server DUID is known
  io::UdpSendPool sends_;
  LeaseJournal journal_;            // dhcp6.lease_file (server mode)
  std::vector<dhcp6::Reply> held_;  // replies waiting for journal_ to be durable; capacity fixed
  int fd_ = -1;
  Instant next_tick_ = kNever;
};

}  // namespace ringboot
