// Simulated DHCP clients (DORA, renew, RELEASE, DECLINE, reboot with
// INIT-REBOOT) against one dhcp::Engine in server mode with a small pool,
// over a seeded lossy network. The journal is replayed into a fresh Engine
// mid-run (a server restart, sometimes after compaction, sometimes with a
// torn last line) and the run goes on.
//
// Invariants: no address is held by two clients at once (checked at every
// OFFER and ACK the engine sends and every ACK a client takes); every ACK's
// binding was journaled before handle() returned it; after a restart every
// lease a client holds is in the replayed table; with a roomy pool every
// client gets an address.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dhcp/engine.h"
#include "sim.h"
#include "support/dhcp_client_packet.h"

namespace ringboot::sim {
namespace {

using namespace ringboot::dhcp;

const Ipv4 kServerIp{0x0a000001};
const Endpoint kServer{kServerIp, kServerPort};
const Endpoint kBroadcast{Ipv4{0xffffffff}, kClientPort};
constexpr std::int64_t kEpoch = 1'700'000'000;

struct Journal final : JournalSink {
  std::vector<std::string> lines;
  void append(std::string_view line) override { lines.emplace_back(line); }
  std::string text() const {
    std::string t;
    for (const std::string& l : lines) t += l + "\n";
    return t;
  }
};

enum class State : std::uint8_t { off, selecting, requesting, bound, renewing, rebooting, done };

struct Client {
  int id = 0;
  Mac mac;
  bool ipxe = false;
  State state = State::off;
  std::uint32_t xid = 0;
  Ipv4 offered;
  Ipv4 server_id;
  std::optional<Ipv4> address;    // in use (bound or renewing), per the client
  std::int64_t expires_unix = 0;  // the client's view: from the REQUEST's send time
  Ipv4 remembered;                // for INIT-REBOOT
  std::int64_t request_unix = 0;  // first send of the current REQUEST
  std::int64_t offer_unix = 0;    // when the OFFER being requested arrived
  int offer_restarts = 0;         // server restarts before it
  int tries = 0;
  std::uint64_t generation = 0;  // timers
  std::vector<std::uint8_t> last;
  Endpoint last_from;
  Endpoint last_to;
  int bindings = 0;
  int naks = 0;
  int releases = 0, declines = 0, reboots = 0;
};

struct Scenario {
  bool roomy = false;  // pool >= 2 x clients, no DECLINE: everyone must get an address
  bool reserved_client_declines = false;
  bool always_reserve = false;
};

class Sim {
 public:
  Sim(std::uint64_t seed, Scenario scenario)
      : world_(seed * 0x9E3779B97F4A7C15ULL + 7),
        net_(world_, random_net(world_, false, seconds(600))),
        scenario_(scenario) {
    configure();
    engine_ = std::make_unique<Engine>(config_);
    net_.deliver = [this](const Datagram& d) { route(d); };
  }

  RunReport run() {
    for (Client& c : clients_)
      world_.at(world_.start() + world_.between(Duration::zero(), seconds(20)), [this, &c] { init(c); });
    world_.after(seconds(1), [this] { tick(); });
    const int restarts = static_cast<int>(world_.uniform(1, 2));
    for (int i = 0; i < restarts; ++i)
      world_.at(world_.start() + world_.between(seconds(30), run_length_), [this] { restart(); });
    world_.at(world_.start() + run_length_, [this] { stopping_ = true; });
    const bool quiesced = world_.run(world_.start() + run_length_ + std::chrono::hours(1));
    if (!quiesced) v().add("did not quiesce: ", world_.pending(), " events pending");
    check_end();
    report_.summary = summary();
    return std::move(report_);
  }

 private:
  Violations& v() { return report_.violations; }
  std::int64_t now_unix() const {
    return kEpoch + std::chrono::duration_cast<std::chrono::seconds>(world_.elapsed()).count();
  }

  void configure() {
    const auto n = world_.uniform(6, 30);
    pool_ = scenario_.roomy ? world_.uniform(2 * n, 3 * n) : world_.uniform(2, n + 4);
    config_.mode = Mode::server;
    config_.interface = "sim0";
    config_.server_address = kServerIp;
    config_.conflict_check = ConflictCheck::none;
    config_.offer_hold_seconds = static_cast<std::uint32_t>(world_.uniform(3, 30));
    config_.decline_hold_seconds = static_cast<std::uint32_t>(world_.uniform(10, 120));
    SubnetConfig s;
    s.cidr = *Cidr::parse("10.0.0.0/24");
    s.range_first = Ipv4{0x0a000064};
    s.range_last = Ipv4{0x0a000064 + static_cast<std::uint32_t>(pool_) - 1};
    s.router = kServerIp;
    s.lease_seconds = static_cast<std::uint32_t>(world_.uniform(30, 300));
    config_.subnets = {s};
    clients_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      Client& c = clients_[i];
      c.id = static_cast<int>(i);
      c.mac = Mac{{0x52, 0x54, 0x00, 0x5a, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}};
      c.ipxe = world_.chance(0.5);
    }
    if (scenario_.always_reserve || world_.chance(0.5)) {  // one client has a reservation outside the pool
      config_.hosts = {HostConfig{clients_[0].mac, Ipv4{0x0a000032}, "node0"}};
      reserved_ = true;
    }
    run_length_ = seconds(static_cast<std::int64_t>(world_.uniform(200, 600)));
  }

  // --- server ---
  void tick() {
    engine_->tick(now_unix());
    if (!stopping_) world_.after(seconds(1), [this] { tick(); });
  }

  void restart() {
    // The process dies; a new one replays the lease file. Half the time the
    // old one had compacted it just before; sometimes the last write was torn.
    if (world_.chance(0.5)) {
      const auto lines = engine_->leases().snapshot_lines(now_unix());
      journal_.lines.assign(lines.begin(), lines.end());
    }
    std::string text = journal_.text();
    const bool torn = world_.chance(0.3);
    if (torn) text += "bind 52:54:00:5a:00";
    engine_ = std::make_unique<Engine>(config_);
    const ReplayStats stats = engine_->leases().replay(text);
    ++restarts_;
    if (stats.malformed != (torn ? 1u : 0u))
      v().add("restart ", restarts_, ": replay found ", stats.malformed, " malformed line(s), torn=", torn);
    const std::int64_t now = now_unix();
    for (const Client& c : clients_) {
      if (!c.address || c.expires_unix <= now) continue;
      const Lease* l = engine_->leases().find(*c.address);
      if (l == nullptr || l->mac != c.mac || l->state != LeaseState::bound || l->expires_unix < c.expires_unix)
        v().add("restart ", restarts_, " at +", ms(world_.elapsed()), ": client ", c.id, " holds ",
                c.address->to_string(), " until ", c.expires_unix, " but the replayed table has ",
                l == nullptr ? std::string("nothing") : to_journal_line(*l));
    }
  }

  void on_server(const Datagram& d) {
    const std::size_t before = journal_.lines.size();
    const Received rx{d.from, kServerPort, kServerIp};
    auto reply = engine_->handle(d.bytes, rx, now_unix(), journal_);
    if (verbose_) {
      const Lease* l = engine_->leases().find(engine_->last_decision().mac);
      trace_ += fmt::format("\n  +{} {} | client's record: {}", ms(world_.elapsed()),
                            format_decision(engine_->last_decision()), l ? to_journal_line(*l) : std::string("none"));
    }
    if (!reply) return;
    Packet& p = scratch_;
    if (parse_packet(reply->bytes(), p).error != ParseError::not_request) {
      v().add("the engine sent an unparsable reply");
      return;
    }
    const Mac mac = p.mac();
    const Client* to = client_by_mac(mac);
    if (reply->type == MessageType::offer || reply->type == MessageType::ack) {
      if (p.yiaddr.value != 0) check_exclusive(p.yiaddr, mac, reply->type == MessageType::ack ? "ACK" : "OFFER");
    }
    if (reply->type == MessageType::ack && p.yiaddr.value != 0) {
      // Write-ahead: the binding is journaled before the ACK leaves.
      bool journaled = false;
      for (std::size_t i = before; i < journal_.lines.size(); ++i) {
        auto l = parse_journal_line(journal_.lines[i]);
        if (l && l->state == LeaseState::bound && l->mac == mac && l->address == p.yiaddr) journaled = true;
      }
      if (!journaled)
        v().add("ACK of ", p.yiaddr.to_string(), " to client ", to ? to->id : -1, " without its journal line");
      const Lease* l = engine_->leases().find(p.yiaddr);
      if (l == nullptr || l->mac != mac || l->state != LeaseState::bound)
        v().add("ACK of ", p.yiaddr.to_string(), " but the table says ",
                l ? to_journal_line(*l) : std::string("nothing"));
    }
    net_.send(kServer, reply->broadcast ? kBroadcast : reply->to, reply->bytes());
  }

  // No other client may be using `address` now (its own view of its lease).
  void check_exclusive(Ipv4 address, const Mac& mac, std::string_view what) {
    const std::int64_t now = now_unix();
    for (const Client& c : clients_) {
      if (c.mac == mac || !c.address || *c.address != address || c.expires_unix <= now) continue;
      const Client* to = client_by_mac(mac);
      v().add(what, " of ", address.to_string(), " to client ", to ? to->id : -1, " at +", ms(world_.elapsed()),
              " while client ", c.id, " holds it until ", c.expires_unix, " (now ", now, ")");
    }
  }

  const Client* client_by_mac(const Mac& mac) const {
    for (const Client& c : clients_)
      if (c.mac == mac) return &c;
    return nullptr;
  }

  // --- network ---
  void route(const Datagram& d) {
    if (d.to == kServer) return on_server(d);
    if (d.to.port != kClientPort) return;
    for (Client& c : clients_) {
      if (d.to == kBroadcast || (c.address && *c.address == d.to.ip)) on_client(c, d);
    }
  }

  // --- clients ---
  ClientPacket packet(Client& c, MessageType type) {
    ClientPacket p(type, c.mac, c.xid);
    if (c.ipxe) {
      p.option_text(option::kUserClass, "iPXE");
    } else {
      p.option_text(option::kVendorClass, "PXEClient:Arch:00007:UNDI:003016").arch(7);
    }
    return p;
  }

  void send(Client& c, Endpoint from, std::vector<std::uint8_t> bytes) {
    c.last = std::move(bytes);
    c.last_from = from;
    c.last_to = from.ip.is_unspecified() ? Endpoint{Ipv4{0xffffffff}, kServerPort} : kServer;
    net_.send(from, kServer, c.last);
  }

  // Retransmit the last message with backoff; after `tries_max`, `give_up`.
  void arm(Client& c, int tries_max, std::function<void(Client&)> give_up) {
    const std::uint64_t generation = ++c.generation;
    const Duration wait =
        seconds(std::int64_t{2} << std::min(c.tries, 3)) + world_.between(Duration::zero(), seconds(1));
    world_.after(wait, [this, &c, generation, tries_max, give_up = std::move(give_up)] {
      if (generation != c.generation || c.state == State::done) return;
      if (stopping_) return stop(c);
      if (++c.tries > tries_max) return give_up(c);
      net_.send(c.last_from, kServer, c.last);
      arm(c, tries_max, give_up);
    });
  }

  void stop(Client& c) {
    c.state = State::done;
    ++c.generation;
  }

  void init(Client& c) {
    if (stopping_) return stop(c);
    drop_address(c);
    c.state = State::selecting;
    c.xid = static_cast<std::uint32_t>(world_.uniform(1, 0xffffffff));
    c.tries = 0;
    send(c, Endpoint{Ipv4{}, kClientPort}, packet(c, MessageType::discover).bytes());
    arm(c, 1'000'000, [this](Client& cl) { init(cl); });  // DISCOVER until the run ends
  }

  void drop_address(Client& c) {
    if (c.address) c.remembered = *c.address;
    c.address.reset();
  }

  void on_client(Client& c, const Datagram& d) {
    Packet& p = client_scratch_;
    if (parse_packet(d.bytes, p).error != ParseError::not_request) return;
    if (p.xid != c.xid || p.mac() != c.mac) return;
    const auto type = p.message_type();
    if (!type) return;
    if (*type == MessageType::offer && c.state == State::selecting) {
      c.offered = p.yiaddr;
      c.offer_unix = now_unix();
      c.offer_restarts = restarts_;
      c.server_id = p.server_id().value_or(Ipv4{});
      c.state = State::requesting;
      c.tries = 0;
      c.request_unix = now_unix();
      send(c, Endpoint{Ipv4{}, kClientPort},
           packet(c, MessageType::request)
               .option_ip(option::kRequestedIp, c.offered)
               .option_ip(option::kServerId, c.server_id)
               .bytes());
      arm(c, 4, [this](Client& cl) { init(cl); });
      return;
    }
    const bool waiting = c.state == State::requesting || c.state == State::rebooting || c.state == State::renewing;
    if (!waiting) return;
    if (*type == MessageType::nak) {
      ++c.naks;
      // An OFFER holds its address for this client: REQUESTing it within the hold,
      // from the same server process, must not be refused.
      if (c.state == State::requesting && c.offer_restarts == restarts_ &&
          now_unix() - c.offer_unix + 1 < static_cast<std::int64_t>(config_.offer_hold_seconds))
        v().add("client ", c.id, " was NAKed ", c.offered.to_string(), " ", now_unix() - c.offer_unix,
                "s after the engine OFFERed it (offer_hold ", config_.offer_hold_seconds, "s)",
                reserved_ && c.id == 0 ? " [client has a reservation]" : "");
      return init(c);
    }
    if (*type != MessageType::ack) return;
    const Ipv4 expected = c.state == State::requesting  ? c.offered
                          : c.state == State::rebooting ? c.remembered
                                                        : *c.address;
    if (p.yiaddr != expected)
      v().add("client ", c.id, " got an ACK for ", p.yiaddr.to_string(), " after asking for ", expected.to_string());
    const auto lease = p.option(option::kLeaseTime);
    if (!lease || lease->size() != 4) {
      v().add("client ", c.id, " got an ACK without a lease time");
      return;
    }
    const std::uint32_t seconds_granted = (std::uint32_t{(*lease)[0]} << 24) | (std::uint32_t{(*lease)[1]} << 16) |
                                          (std::uint32_t{(*lease)[2]} << 8) | (*lease)[3];
    c.address = p.yiaddr;
    c.expires_unix = c.request_unix + seconds_granted;
    c.state = State::bound;
    ++c.bindings;
    check_exclusive(p.yiaddr, c.mac, "bound");
    plan(c, seconds_granted);
  }

  // What a bound client does next: renew at T1, or release, decline or reboot first.
  void plan(Client& c, std::uint32_t lease_seconds) {
    const std::uint64_t generation = ++c.generation;
    const std::int64_t expiry = c.expires_unix;
    // The lease runs out (renewals failed): stop using the address.
    world_.at(unix_instant(expiry), [this, &c, expiry] {
      if (c.address && c.expires_unix == expiry && (c.state == State::bound || c.state == State::renewing)) init(c);
    });
    // An ACK to a REQUEST resent many times may come after T1 already: renew at once.
    const Duration t1 = std::max(unix_instant(c.request_unix + lease_seconds / 2) - world_.now(), Duration::zero());
    const auto r = world_.uniform(0, 99);
    // A reserved client that DECLINEs waits out the quarantine (it is offered
    // nothing else); ReservedClientDeclines drives that case hard.
    const bool declines = !scenario_.roomy;
    const std::uint64_t decline_percent = scenario_.reserved_client_declines && reserved_ && c.id == 0 ? 30 : 3;
    if (declines && r < decline_percent) {  // ARP found someone on it
      world_.after(milliseconds(world_.uniform(1, 500)), [this, &c, generation] {
        if (generation != c.generation || c.state != State::bound) return;
        ++c.declines;
        send(c, Endpoint{Ipv4{}, kClientPort},
             packet(c, MessageType::decline)
                 .option_ip(option::kRequestedIp, *c.address)
                 .option_ip(option::kServerId, c.server_id)
                 .bytes());
        drop_address(c);
        c.state = State::off;
        ++c.generation;
        world_.after(seconds(10), [this, &c] { init(c); });
      });
    } else if (r < 13) {
      world_.after(world_.between(Duration::zero(), t1), [this, &c, generation] {
        if (generation != c.generation || c.state != State::bound) return;
        ++c.releases;
        std::vector<std::uint8_t> b =
            packet(c, MessageType::release).ciaddr(*c.address).option_ip(option::kServerId, c.server_id).bytes();
        net_.send(Endpoint{*c.address, kClientPort}, kServer, b);
        drop_address(c);
        c.state = State::off;
        ++c.generation;
        world_.after(world_.between(seconds(1), seconds(20)), [this, &c] { init(c); });
      });
    } else if (r < 25) {
      world_.after(world_.between(Duration::zero(), t1), [this, &c, generation] {
        if (generation != c.generation || c.state != State::bound) return;
        ++c.reboots;
        drop_address(c);  // the machine is down
        c.state = State::off;
        ++c.generation;
        world_.after(world_.between(seconds(1), seconds(10)), [this, &c] { reboot(c); });
      });
    } else {
      world_.after(t1, [this, &c, generation] {
        if (generation != c.generation || c.state != State::bound) return;
        renew(c);
      });
    }
  }

  void renew(Client& c) {
    if (stopping_) return stop(c);
    c.state = State::renewing;
    c.xid = static_cast<std::uint32_t>(world_.uniform(1, 0xffffffff));
    c.tries = 0;
    c.request_unix = now_unix();
    c.last = packet(c, MessageType::request).ciaddr(*c.address).bytes();
    c.last_from = Endpoint{*c.address, kClientPort};
    net_.send(c.last_from, kServer, c.last);
    // Retries until the expiry timer from plan() takes the address away.
    arm(c, 1'000'000, [this](Client& cl) { init(cl); });
  }

  void reboot(Client& c) {
    if (stopping_) return stop(c);
    if (c.remembered.value == 0) return init(c);
    c.state = State::rebooting;
    c.xid = static_cast<std::uint32_t>(world_.uniform(1, 0xffffffff));
    c.tries = 0;
    c.request_unix = now_unix();
    send(c, Endpoint{Ipv4{}, kClientPort},
         packet(c, MessageType::request).option_ip(option::kRequestedIp, c.remembered).bytes());
    arm(c, 2, [this](Client& cl) { init(cl); });
  }

  Instant unix_instant(std::int64_t unix_seconds) const { return world_.start() + seconds(unix_seconds - kEpoch); }

  void check_end() {
    if (!scenario_.roomy) return;
    for (const Client& c : clients_)
      if (c.bindings == 0)
        v().add("client ", c.id, " never got an address from a pool of ", pool_, " for ", clients_.size(), " clients");
  }

  std::string summary() const {
    int bindings = 0, naks = 0, releases = 0, declines = 0, reboots = 0, never = 0;
    for (const Client& c : clients_) {
      bindings += c.bindings;
      naks += c.naks;
      releases += c.releases;
      declines += c.declines;
      reboots += c.reboots;
      never += c.bindings == 0;
    }
    const DhcpCounters& k = engine_->counters();
    return fmt::format(
               "  net: {}\n  dhcp: clients={} pool={} lease={}s offer_hold={}s decline_hold={}s reservation={} run={}\n"
               "  clients: bindings={} naks={} releases={} declines={} reboots={} never_bound={}; restarts={} "
               "journal_lines={}\n"
               "  engine (since last restart): discover={} offer={} request={} ack={} nak={} pool_exhausted={} "
               "dropped={}\n"
               "  network: sent={} lost={} duplicated={} reordered={}; events={}",
               net_.config().describe(), clients_.size(), pool_, config_.subnets[0].lease_seconds,
               config_.offer_hold_seconds, config_.decline_hold_seconds, reserved_, ms(run_length_), bindings, naks,
               releases, declines, reboots, never, restarts_, journal_.lines.size(), k.discover.get(), k.offer.get(),
               k.request.get(), k.ack.get(), k.nak.get(), k.pool_exhausted.get(), k.dropped.get(), net_.stats().sent,
               net_.stats().lost, net_.stats().duplicated, net_.stats().reordered, world_.events()) +
           trace_;
  }

  World world_;
  Network net_;
  Scenario scenario_;
  RunReport report_;
  DhcpConfig config_;
  std::unique_ptr<Engine> engine_;
  Journal journal_;
  std::vector<Client> clients_;
  std::uint64_t pool_ = 0;
  bool reserved_ = false;
  bool stopping_ = false;
  int restarts_ = 0;
  Duration run_length_{};
  Packet scratch_;
  Packet client_scratch_;
  bool verbose_ = std::getenv("RINGBOOT_SIM_VERBOSE") != nullptr;
  std::string trace_;  // every decision, when verbose
};

TEST(DhcpSim, SmallPoolLossyNetworkWithRestarts) {
  run_seeds(300, [](std::uint64_t seed) { return Sim(seed, Scenario{}).run(); });
}

// Regression: a quarantined reservation used to be swapped for a pool address
// that bind() then NAKed forever (DISCOVER/OFFER/REQUEST/NAK loop).
TEST(DhcpSim, ReservedClientDeclines) {
  Scenario s;
  s.reserved_client_declines = true;
  s.always_reserve = true;
  run_seeds(150, [&](std::uint64_t seed) { return Sim(seed, s).run(); });
}

TEST(DhcpSim, RoomyPoolEveryClientGetsAnAddress) {
  run_seeds(100, [](std::uint64_t seed) { return Sim(seed, Scenario{true}).run(); });
}

}  // namespace
}  // namespace ringboot::sim
