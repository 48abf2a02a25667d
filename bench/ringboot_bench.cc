// ringboot-bench: a TFTP load generator that plays N boot clients at once.
//
//   ringboot-bench [flags] HOST:PORT FILE
//   ringboot-bench storm [flags]    (the whole boot chain of N machines: bench/storm.cc)
//
// One process, one epoll loop, one UDP socket per client. Each client sends
// the RRQ its profile sends (edk2, ipxe, plain, or free --blksize/--windowsize),
// checks every received byte against the local copy of FILE, ACKs like the
// real client does and retransmits its last packet on a timer. Reports
// transfers ok/failed, aggregate MB/s, transfers/s, latency percentiles,
// duplicate DATA blocks received, and (with --server-pid) the server's CPU
// seconds and peak RSS summed over its process tree.
//
// --hold: open --clients sessions and keep them alive by ACKing one block per
// --hold-interval-ms, then report the server's RSS per held session.
// --udp-ceiling: measure loopback UDP throughput with a plain blaster.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "proc_tree.h"
#include "storm.h"

namespace {

using bench::cgroup_cpu;
using bench::ProcSample;
using bench::sample_tree;

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

double seconds_since(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }

using Json = nlohmann::ordered_json;  // keeps the fields in the order they are set

// x rounded to `decimals` places, as the JSON has always shown it ({:.Nf}); stays a JSON float.
double rounded(double x, int decimals) { return std::strtod(fmt::format("{:.{}f}", x, decimals).c_str(), nullptr); }

// One JSON object a line. A server's ERROR text (a failures key) need not be UTF-8: replace what is not.
void print_json(const Json& j) { fmt::print("{}\n", j.dump(-1, ' ', false, Json::error_handler_t::replace)); }

[[noreturn]] void die(const std::string& msg) {
  fmt::print(stderr, "ringboot-bench: {}\n", msg);
  std::exit(2);
}

// ---------------------------------------------------------------- options

enum class Profile { edk2, ipxe, plain, custom };

struct Options {
  std::string target;
  std::string file;
  std::string remote;
  Profile profile = Profile::plain;
  int blksize = 0;     // 0: from the profile
  int windowsize = 0;  // 0: from the profile
  int clients = 1;
  long total = 0;  // 0: = clients
  double loss = 0.0;
  unsigned seed = 1;
  int server_pid = 0;
  std::string server_cgroup;  // cgroup dir whose CPU usage counts as the server's (covers exited children)
  bool hold = false;
  int hold_interval_ms = 1000;
  double hold_seconds = 10.0;
  bool json = false;
  bool udp_ceiling = false;
  double udp_seconds = 3.0;
  int timeout_ms = 1000;
  int tries = 5;
  double time_limit = 600.0;
  int rcvbuf = 0;  // 0: kernel default, like firmware
};

// Fills Options from argv. --help prints the help and exits 0; a usage error
// prints what is wrong and exits 2 (1 is left to a run with failed transfers).
Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{
      "ringboot-bench: a TFTP load generator that plays N boot clients at once.\n"
      "  ringboot-bench [flags] HOST:PORT FILE\n"
      "  ringboot-bench --udp-ceiling [--seconds S]",
      "ringboot-bench"};
  auto dflt = [](auto v) { return fmt::format("{}", v); };
  auto* target =
      app.add_option("target", o.target, "the TFTP server, HOST:PORT or [IPV6]:PORT")->type_name("HOST:PORT");
  auto* file =
      app.add_option("file", o.file, "local copy of the served file; every received byte is checked against it")
          ->type_name("FILE");
  // As with the hand parser before, a repeated flag's last value wins.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--clients", o.clients, "concurrent clients")->type_name("N")->default_str(dflt(o.clients));
  app.add_option("--total", o.total, "transfers in all (default = --clients)")->type_name("M");
  std::string profile;
  auto* profile_opt =
      app.add_option("--profile", profile,
                     "the RRQ options a client sends: edk2 (a tsize probe, aborted, then blksize 1468 windowsize 4), "
                     "ipxe (tsize, blksize 1432), plain (none); default plain, or custom when only --blksize or "
                     "--windowsize is given")
          ->type_name("P")
          ->check(CLI::IsMember({"edk2", "ipxe", "plain"}));
  app.add_option("--blksize", o.blksize, "request blksize B (overrides the profile)")->type_name("B");
  app.add_option("--windowsize", o.windowsize, "request windowsize W (overrides the profile)")->type_name("W");
  app.add_option("--remote", o.remote, "RRQ filename (default: basename of FILE)")->type_name("NAME");
  app.add_option("--loss", o.loss, "drop share P (0..1) of received DATA before processing")->type_name("P");
  app.add_option("--seed", o.seed, "loss RNG seed")->type_name("S")->default_str(dflt(o.seed));
  app.add_option("--timeout-ms", o.timeout_ms, "client retransmit timeout in ms")
      ->type_name("T")
      ->default_str(dflt(o.timeout_ms));
  app.add_option("--tries", o.tries, "client tries before giving up")->type_name("K")->default_str(dflt(o.tries));
  app.add_option("--time-limit", o.time_limit, "stop the run after S seconds; unfinished transfers fail")
      ->type_name("S")
      ->default_str(dflt(o.time_limit));
  app.add_option("--rcvbuf", o.rcvbuf, "client SO_RCVBUF (default: the kernel's)")->type_name("BYTES");
  app.add_option("--server-pid", o.server_pid, "report the server's CPU seconds and peak RSS (process tree)")
      ->type_name("PID");
  app.add_option("--server-cgroup", o.server_cgroup,
                 "take the server's CPU seconds from this cgroup (cpuacct.usage or cpu.stat), which also counts "
                 "children that exited unreaped (tftpd-hpa)")
      ->type_name("DIR");
  app.add_flag("--hold", o.hold,
               "hold --clients sessions open, ACK one block per --hold-interval-ms, report the server's RSS per "
               "session after --hold-seconds");
  app.add_option("--hold-interval-ms", o.hold_interval_ms, "with --hold: ms between a session's ACKs")
      ->type_name("T")
      ->default_str(dflt(o.hold_interval_ms));
  app.add_option("--hold-seconds", o.hold_seconds, "with --hold: how long all sessions are held")
      ->type_name("S")
      ->default_str(dflt(o.hold_seconds));
  app.add_flag("--json", o.json, "one JSON object instead of a human line");
  app.add_flag("--udp-ceiling", o.udp_ceiling, "measure loopback UDP throughput (65464-byte datagrams)");
  app.add_option("--seconds", o.udp_seconds, "duration of --udp-ceiling")
      ->type_name("S")
      ->default_str(dflt(o.udp_seconds));
  try {
    app.parse(argc, argv);
    if (!o.udp_ceiling) {
      if (target->count() == 0 || file->count() == 0) throw CLI::RequiredError("HOST:PORT FILE");
      if (o.clients < 1) throw CLI::ValidationError("--clients", "must be >= 1");
    }
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e) == 0 ? 0 : 2);
  }
  if (o.udp_ceiling) return o;
  if (o.remote.empty()) {
    auto slash = o.file.rfind('/');
    o.remote = slash == std::string::npos ? o.file : o.file.substr(slash + 1);
  }
  if (o.total <= 0) o.total = o.clients;
  if (profile == "edk2")
    o.profile = Profile::edk2;
  else if (profile == "ipxe")
    o.profile = Profile::ipxe;
  else if (profile_opt->count() == 0 && (o.blksize || o.windowsize))
    o.profile = Profile::custom;
  return o;
}

// A UDP peer of either family.
struct Peer {
  sockaddr_storage sa{};
  socklen_t len = 0;
  int family() const { return sa.ss_family; }
  const sockaddr* addr() const { return reinterpret_cast<const sockaddr*>(&sa); }
  bool operator==(const Peer& o) const { return len == o.len && std::memcmp(&sa, &o.sa, len) == 0; }
};

// "HOST:PORT" or "[IPV6]:PORT".
Peer parse_endpoint(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) die("target must be HOST:PORT or [IPV6]:PORT");
  const auto port = htons(static_cast<uint16_t>(std::stoi(s.substr(colon + 1))));
  Peer p;
  if (s.front() == '[') {
    if (colon < 2 || s[colon - 1] != ']') die("target must be [IPV6]:PORT");
    auto& a = reinterpret_cast<sockaddr_in6&>(p.sa);
    a.sin6_family = AF_INET6;
    a.sin6_port = port;
    if (inet_pton(AF_INET6, s.substr(1, colon - 2).c_str(), &a.sin6_addr) != 1) die("bad IPv6 address in " + s);
    p.len = sizeof a;
    return p;
  }
  auto& a = reinterpret_cast<sockaddr_in&>(p.sa);
  a.sin_family = AF_INET;
  a.sin_port = port;
  if (inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1) die("bad IPv4 address in " + s);
  p.len = sizeof a;
  return p;
}

// ---------------------------------------------------------------- UDP ceiling

int udp_ceiling(const Options& o, bool json) {
  constexpr size_t kSize = 65464;
  int rx = socket(AF_INET, SOCK_DGRAM, 0);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 8 << 20;
  setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
  socklen_t len = sizeof sa;
  getsockname(rx, reinterpret_cast<sockaddr*>(&sa), &len);
  if (connect(tx, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("connect");
  timeval tv{0, 200000};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rx_bytes{0}, rx_dgrams{0};
  std::thread receiver([&] {
    std::vector<char> b(kSize + 16);
    uint64_t bytes = 0, n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      ssize_t r = recv(rx, b.data(), b.size(), 0);
      if (r > 0) {
        bytes += static_cast<uint64_t>(r);
        ++n;
      }
    }
    rx_bytes = bytes;
    rx_dgrams = n;
  });
  std::vector<char> payload(kSize, 'x');
  uint64_t sent = 0;
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.udp_seconds));
  while (Clock::now() < end) {
    for (int i = 0; i < 64; ++i)
      if (send(tx, payload.data(), kSize, 0) > 0) ++sent;
  }
  double wall = seconds_since(t0, Clock::now());
  usleep(100000);
  stop = true;
  receiver.join();
  double mbps = static_cast<double>(rx_bytes.load()) / wall / 1e6;
  if (json)
    print_json({{"udp_ceiling", true},
                {"datagram_bytes", kSize},
                {"sent", sent},
                {"received", rx_dgrams.load()},
                {"wall_s", rounded(wall, 3)},
                {"mb_per_s", rounded(mbps, 1)}});
  else
    fmt::print("udp ceiling: {} B datagrams, sent {} received {} in {:.2f} s: {:.1f} MB/s received\n", kSize, sent,
               rx_dgrams.load(), wall, mbps);
  return 0;
}

// ---------------------------------------------------------------- TFTP clients

enum : uint16_t { RRQ = 1, DATA = 3, ACK = 4, ERROR = 5, OACK = 6 };

struct Request {
  bool tsize = false;
  int blksize = 0;     // 0: not sent
  int windowsize = 0;  // 0: not sent
};

enum class Phase : uint8_t { idle, probe, transfer, done };

struct Client {
  int fd = -1;
  Phase phase = Phase::idle;
  bool have_tid = false;
  Peer tid{};
  uint64_t next = 1;        // next expected block index (1-based, unwrapped)
  uint64_t last_acked = 0;  // last block index ACKed
  int blksize = 512;
  int windowsize = 1;
  bool got_first = false;      // any DATA or OACK seen in the transfer phase
  std::vector<char> last_pkt;  // what a timeout resends
  Peer last_dst{};
  TimePoint deadline{};
  TimePoint hold_send_at{};  // --hold: when the delayed ACK goes out
  bool hold_pending = false;
  int tries = 0;
  TimePoint started{};
  std::vector<uint8_t> seen;  // per block: received at least once
};

struct Stats {
  long ok = 0, failed = 0;
  uint64_t bytes = 0;
  uint64_t retransmits = 0;  // DATA blocks received more than once
  uint64_t dropped = 0;      // DATA dropped by --loss
  uint64_t client_resends = 0;
  uint64_t probes = 0;
  std::vector<double> latency_ms;
  std::map<std::string, long> failures;
};

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o), rng_(o.seed), server_(parse_endpoint(o.target)) {
    int fd = open(o.file.c_str(), O_RDONLY);
    if (fd < 0) die("cannot open " + o.file + ": " + std::strerror(errno));
    struct stat st {};
    fstat(fd, &st);
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ > 0) {
      void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (m == MAP_FAILED) die("mmap");
      data_ = static_cast<const char*>(m);
    }
    close(fd);
    switch (o.profile) {
      case Profile::edk2:
        req_ = {false, 1468, 4};
        break;
      case Profile::ipxe:
        req_ = {true, 1432, 0};
        break;
      case Profile::plain:
        req_ = {false, 0, 0};
        break;
      case Profile::custom:
        req_ = {false, 0, 0};
        break;
    }
    if (o.blksize) req_.blksize = o.blksize;
    if (o.windowsize) req_.windowsize = o.windowsize > 1 ? o.windowsize : 0;
    ep_ = epoll_create1(0);
    clients_.resize(static_cast<size_t>(o.clients));
    buf_.resize(70000);
  }

  int run();

 private:
  int open_socket();
  void start(size_t i, TimePoint now);
  void send_rrq(Client& c, bool probe, TimePoint now);
  void send_pkt(Client& c, std::vector<char> pkt, const Peer& dst, TimePoint now);
  void send_ack(Client& c, uint64_t block, TimePoint now);
  void on_packet(size_t i, const char* p, size_t n, const Peer& from, TimePoint now);
  void on_oack(Client& c, const char* p, size_t n);
  void on_data(size_t i, uint16_t wire, const char* p, size_t n, TimePoint now);
  void finish(size_t i, bool ok, const std::string& why, TimePoint now);
  void tick(TimePoint now);
  void arm(Client& c, TimePoint now) { c.deadline = now + std::chrono::milliseconds(o_.timeout_ms); }
  uint64_t nblocks(int blksize) const { return size_ / static_cast<uint64_t>(blksize) + 1; }

  const Options& o_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uni_{0.0, 1.0};
  Peer server_;
  const char* data_ = nullptr;
  uint64_t size_ = 0;
  Request req_;
  int ep_ = -1;
  std::vector<Client> clients_;
  std::vector<char> buf_;
  long started_ = 0;
  long active_ = 0;
  long established_ = 0;  // --hold: sessions that got their first packet
  Stats st_;
};

int Bench::open_socket() {
  int fd = socket(server_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
  if (o_.rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o_.rcvbuf, sizeof o_.rcvbuf);
  // A loopback target: bind the client to loopback too; otherwise any address of the family.
  Peer any = server_;
  if (server_.family() == AF_INET6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(any.sa);
    a.sin6_port = 0;
    if (!IN6_IS_ADDR_LOOPBACK(&a.sin6_addr)) a.sin6_addr = in6addr_any;
  } else {
    auto& a = reinterpret_cast<sockaddr_in&>(any.sa);
    a.sin_port = 0;
    if (a.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) a.sin_addr.s_addr = 0;
  }
  if (bind(fd, any.addr(), any.len) != 0) die(std::string("bind: ") + std::strerror(errno));
  return fd;
}

void Bench::send_pkt(Client& c, std::vector<char> pkt, const Peer& dst, TimePoint now) {
  sendto(c.fd, pkt.data(), pkt.size(), 0, dst.addr(), dst.len);
  c.last_pkt = std::move(pkt);
  c.last_dst = dst;
  c.tries = 0;
  arm(c, now);
}

void Bench::send_rrq(Client& c, bool probe, TimePoint now) {
  std::vector<char> p{0, RRQ};
  auto put = [&](std::string_view s) {
    p.insert(p.end(), s.begin(), s.end());
    p.push_back(0);
  };
  put(o_.remote);
  put("octet");
  if (probe || req_.tsize) {
    put("tsize");
    put("0");
  }
  if (req_.blksize) {
    put("blksize");
    put(std::to_string(req_.blksize));
  }
  if (req_.windowsize) {
    put("windowsize");
    put(std::to_string(req_.windowsize));
  }
  c.have_tid = false;
  c.got_first = false;
  c.next = 1;
  c.last_acked = 0;
  c.blksize = 512;
  c.windowsize = 1;
  send_pkt(c, std::move(p), server_, now);
}

void Bench::send_ack(Client& c, uint64_t block, TimePoint now) {
  std::vector<char> p{0, ACK, static_cast<char>((block >> 8) & 0xff), static_cast<char>(block & 0xff)};
  c.last_acked = std::max(c.last_acked, block);
  send_pkt(c, std::move(p), c.tid, now);
}

void Bench::start(size_t i, TimePoint now) {
  Client& c = clients_[i];
  c = Client{};
  c.fd = open_socket();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = i;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  c.started = now;
  ++started_;
  ++active_;
  if (o_.profile == Profile::edk2 && !o_.hold) {
    c.phase = Phase::probe;
    send_rrq(c, true, now);
  } else {
    c.phase = Phase::transfer;
    send_rrq(c, false, now);
  }
}

void Bench::finish(size_t i, bool ok, const std::string& why, TimePoint now) {
  Client& c = clients_[i];
  if (ok) {
    ++st_.ok;
    st_.bytes += size_;
    st_.latency_ms.push_back(seconds_since(c.started, now) * 1e3);
  } else {
    ++st_.failed;
    ++st_.failures[why];
  }
  epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  c.fd = -1;
  c.phase = Phase::done;
  --active_;
}

void Bench::on_oack(Client& c, const char* p, size_t n) {
  int blksize = 512, windowsize = 1;
  size_t off = 2;
  while (off < n) {
    const char* k = p + off;
    size_t kl = strnlen(k, n - off);
    if (off + kl >= n) break;
    const char* v = k + kl + 1;
    size_t vl = strnlen(v, n - off - kl - 1);
    std::string key(k, kl), val(v, vl);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (key == "blksize")
      blksize = std::atoi(val.c_str());
    else if (key == "windowsize")
      windowsize = std::atoi(val.c_str());
    off += kl + 1 + vl + 1;
  }
  if (req_.blksize && blksize > req_.blksize) blksize = -1;
  if (windowsize > std::max(1, req_.windowsize)) windowsize = -1;
  if (blksize < 8 || windowsize < 1) {
    // EDK2 answers such an OACK with ERROR 4; count it as a failure.
    c.blksize = -1;
    return;
  }
  c.blksize = blksize;
  c.windowsize = windowsize;
}

void Bench::on_packet(size_t i, const char* p, size_t n, const Peer& from, TimePoint now) {
  Client& c = clients_[i];
  if (n < 4) return;
  if (c.have_tid && !(from == c.tid)) return;
  uint16_t op = static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
  uint16_t arg = static_cast<uint16_t>((static_cast<uint8_t>(p[2]) << 8) | static_cast<uint8_t>(p[3]));
  if (op == DATA && o_.loss > 0 && uni_(rng_) < o_.loss) {
    ++st_.dropped;
    return;
  }
  if (!c.have_tid) {
    c.have_tid = true;
    c.tid = from;
  }
  if (op == ERROR) {
    std::string msg(p + 4, strnlen(p + 4, n - 4));
    if (std::getenv("RINGBOOT_BENCH_DEBUG"))
      fmt::print(
          stderr, "client {} port {}: ERROR {} \"{}\" phase {} next {} got_first {} tries {}\n", i,
          [&] {
            sockaddr_storage a{};
            socklen_t l = sizeof a;
            getsockname(c.fd, reinterpret_cast<sockaddr*>(&a), &l);
            return ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(a).sin6_port
                                                 : reinterpret_cast<sockaddr_in&>(a).sin_port);
          }(),
          arg, msg, static_cast<int>(c.phase), c.next, c.got_first, c.tries);
    finish(i, false, fmt::format("server ERROR {} ({})", arg, msg), now);
    return;
  }
  if (c.phase == Phase::probe) {
    if (op != OACK) {
      finish(i, false, fmt::format("probe: opcode {} instead of OACK", op), now);
      return;
    }
    // EDK2: ERROR 8 "User aborted the transfer", then a fresh RRQ (new port).
    static const char kAbort[] = "\0\5\0\10User aborted the transfer";
    sendto(c.fd, kAbort, sizeof kAbort, 0, c.tid.addr(), c.tid.len);
    ++st_.probes;
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = open_socket();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    c.phase = Phase::transfer;
    send_rrq(c, false, now);
    return;
  }
  if (op == OACK) {
    if (c.next != 1) return;  // a late duplicate
    on_oack(c, p, n);
    if (c.blksize < 0) {
      finish(i, false, "OACK with an option larger than requested", now);
      return;
    }
    if (!c.got_first) {
      c.got_first = true;
      c.seen.assign(nblocks(c.blksize) + 1, 0);
      if (o_.hold) ++established_;
    }
    if (o_.hold) {
      c.hold_pending = true;
      c.hold_send_at = now + std::chrono::milliseconds(o_.hold_interval_ms);
      arm(c, c.hold_send_at);
      return;
    }
    send_ack(c, 0, now);
    return;
  }
  if (op == DATA) {
    on_data(i, arg, p + 4, n - 4, now);
    return;
  }
}

void Bench::on_data(size_t i, uint16_t wire, const char* p, size_t n, TimePoint now) {
  Client& c = clients_[i];
  if (!c.got_first) {
    // Options were asked but the server answered with DATA: RFC 2347 fallback to 512, lockstep.
    c.got_first = true;
    c.blksize = 512;
    c.windowsize = 1;
    c.seen.assign(nblocks(512) + 1, 0);
    if (o_.hold) ++established_;
  }
  // Unwrap the 16-bit block number to the index nearest to the expected one.
  int16_t delta = static_cast<int16_t>(static_cast<uint16_t>(wire - static_cast<uint16_t>(c.next & 0xffff)));
  int64_t idx64 = static_cast<int64_t>(c.next) + delta;
  if (idx64 < 1 || static_cast<uint64_t>(idx64) >= c.seen.size()) {
    finish(i, false, fmt::format("DATA block {} out of range", wire), now);
    return;
  }
  uint64_t idx = static_cast<uint64_t>(idx64);
  if (c.seen[idx]) ++st_.retransmits;
  c.seen[idx] = 1;
  if (idx != c.next) {
    // Duplicate or gap: EDK2 and iPXE both at once ACK the last in-order block.
    if (!o_.hold) send_ack(c, c.next - 1, now);
    return;
  }
  uint64_t off = (idx - 1) * static_cast<uint64_t>(c.blksize);
  uint64_t want = off >= size_ ? 0 : std::min<uint64_t>(static_cast<uint64_t>(c.blksize), size_ - off);
  bool last = n < static_cast<size_t>(c.blksize);
  if (n > static_cast<size_t>(c.blksize) || (last && n != want) || (!last && n != want) ||
      (n && std::memcmp(p, data_ + off, n) != 0)) {
    finish(i, false, fmt::format("content mismatch at block {} ({} bytes, expected {})", idx, n, want), now);
    return;
  }
  ++c.next;
  if (o_.hold) {
    c.hold_pending = true;
    c.hold_send_at = now + std::chrono::milliseconds(o_.hold_interval_ms);
    arm(c, c.hold_send_at);
    return;
  }
  if (last) {
    send_ack(c, idx, now);
    finish(i, true, "", now);
    return;
  }
  if (idx - c.last_acked >= static_cast<uint64_t>(c.windowsize))
    send_ack(c, idx, now);
  else
    arm(c, now);
}

void Bench::tick(TimePoint now) {
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    if (c.fd < 0 || now < c.deadline) continue;
    if (c.hold_pending) {
      c.hold_pending = false;
      send_ack(c, c.next - 1, now);
      continue;
    }
    if (++c.tries >= o_.tries) {
      finish(i, false, c.got_first ? "timeout mid-transfer" : "timeout waiting for the first reply", now);
      continue;
    }
    sendto(c.fd, c.last_pkt.data(), c.last_pkt.size(), 0, c.last_dst.addr(), c.last_dst.len);
    ++st_.client_resends;
    arm(c, now);
  }
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  if (k > 0) --k;
  return v[std::min(k, v.size() - 1)];
}

int Bench::run() {
  ProcSample s0 = sample_tree(o_.server_pid);
  double cg0 = cgroup_cpu(o_.server_cgroup);
  long peak_hwm = s0.hwm_kb, peak_rss = s0.rss_kb;
  int peak_procs = s0.procs;
  auto t0 = Clock::now();
  auto hard_end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.time_limit));
  TimePoint last_tick = t0, last_sample = t0;
  long hold_target = o_.hold ? o_.clients : 0;
  TimePoint hold_all_at{};
  bool hold_reported = false;
  long hold_rss_kb = 0, hold_hwm_kb = 0;
  long total = o_.hold ? o_.clients : o_.total;
  bool timed_out = false;

  std::vector<epoll_event> evs(1024);
  while (true) {
    TimePoint now = Clock::now();
    while (active_ < o_.clients && started_ < total) {
      // Find a free slot.
      static size_t cursor = 0;
      for (size_t k = 0; k < clients_.size(); ++k) {
        size_t i = (cursor + k) % clients_.size();
        if (clients_[i].fd < 0) {
          start(i, now);
          cursor = i + 1;
          break;
        }
      }
    }
    if (active_ == 0 && started_ >= total) break;
    if (now >= hard_end) {
      timed_out = true;
      break;
    }
    if (o_.hold && !hold_reported && established_ >= hold_target) {
      if (hold_all_at == TimePoint{}) hold_all_at = now;
      if (seconds_since(hold_all_at, now) >= o_.hold_seconds) {
        ProcSample s = sample_tree(o_.server_pid);
        hold_rss_kb = s.rss_kb;
        hold_hwm_kb = s.hwm_kb;
        hold_reported = true;
        break;
      }
    }
    int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 10);
    now = Clock::now();
    for (int k = 0; k < n; ++k) {
      size_t i = evs[k].data.u64;
      // Drain this socket.
      for (int burst = 0; burst < 256; ++burst) {
        Client& c = clients_[i];
        if (c.fd < 0) break;
        Peer from;
        socklen_t fl = sizeof from.sa;
        ssize_t r = recvfrom(c.fd, buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&from.sa), &fl);
        from.len = fl;
        if (r < 0) break;
        on_packet(i, buf_.data(), static_cast<size_t>(r), from, now);
      }
    }
    if (now - last_tick >= std::chrono::milliseconds(10)) {
      tick(now);
      last_tick = now;
    }
    if (o_.server_pid && now - last_sample >= std::chrono::milliseconds(500)) {
      ProcSample s = sample_tree(o_.server_pid);
      peak_hwm = std::max(peak_hwm, s.hwm_kb);
      peak_rss = std::max(peak_rss, s.rss_kb);
      peak_procs = std::max(peak_procs, s.procs);
      last_sample = now;
    }
  }
  TimePoint t1 = Clock::now();
  double wall = seconds_since(t0, t1);
  // Anything still open failed (time limit) or, with --hold, is released with an ERROR.
  long unfinished = 0;
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    if (c.fd < 0) continue;
    if (c.have_tid) {
      static const char kAbort[] = "\0\5\0\0bench done";
      sendto(c.fd, kAbort, sizeof kAbort, 0, c.tid.addr(), c.tid.len);
    }
    if (o_.hold) {
      close(c.fd);
      c.fd = -1;
      continue;
    }
    ++unfinished;
    finish(i, false, "time limit", t1);
  }
  if (!o_.hold && started_ < total) {
    // Transfers the time limit kept from starting count as failed too.
    unfinished += total - started_;
    st_.failed += total - started_;
    st_.failures["not started (time limit)"] += total - started_;
  }
  ProcSample s1 = sample_tree(o_.server_pid);
  peak_hwm = std::max(peak_hwm, s1.hwm_kb);
  peak_rss = std::max(peak_rss, s1.rss_kb);
  peak_procs = std::max(peak_procs, s1.procs);
  double cpu = o_.server_pid ? s1.cpu_s - s0.cpu_s : 0;
  if (double cg1 = cgroup_cpu(o_.server_cgroup); cg0 >= 0 && cg1 >= 0) cpu = cg1 - cg0;
  // For a single long-lived process VmHWM is exact; for forking servers the
  // sum of live processes' VmHWM sampled every 500 ms.
  long server_rss = o_.server_pid ? std::max(peak_hwm, peak_rss) : 0;

  double mb = static_cast<double>(st_.bytes) / 1e6;
  double p50 = percentile(st_.latency_ms, 0.50), p99 = percentile(st_.latency_ms, 0.99);
  double mx = st_.latency_ms.empty() ? 0 : *std::max_element(st_.latency_ms.begin(), st_.latency_ms.end());
  const char* prof = o_.profile == Profile::edk2    ? "edk2"
                     : o_.profile == Profile::ipxe  ? "ipxe"
                     : o_.profile == Profile::plain ? "plain"
                                                    : "custom";
  if (o_.hold) {
    double per =
        established_ ? static_cast<double>(hold_rss_kb - s0.rss_kb) * 1024.0 / static_cast<double>(established_) : 0;
    if (o_.json)
      print_json({{"hold", true},
                  {"clients", o_.clients},
                  {"established", established_},
                  {"held_s", rounded(o_.hold_seconds, 1)},
                  {"complete", hold_reported},
                  {"server_rss_kb_before", s0.rss_kb},
                  {"server_rss_kb_held", hold_rss_kb},
                  {"server_hwm_kb", hold_hwm_kb},
                  {"server_bytes_per_session", std::llround(per)},  // whole bytes: a JSON integer, as before
                  {"wall_s", rounded(wall, 2)}});
    else
      fmt::print("hold: {} of {} sessions established, held {:.1f} s; server RSS {} kB -> {} kB: {:.0f} B/session{}\n",
                 established_, o_.clients, o_.hold_seconds, s0.rss_kb, hold_rss_kb, per,
                 hold_reported ? "" : " (INCOMPLETE: time limit)");
    return hold_reported && established_ == o_.clients ? 0 : 1;
  }
  if (o_.json) {
    print_json({{"profile", prof},
                {"blksize", req_.blksize},
                {"windowsize", req_.windowsize},
                {"clients", o_.clients},
                {"total", total},
                {"loss", o_.loss},
                {"ok", st_.ok},
                {"failed", st_.failed},
                {"unfinished", unfinished},
                {"timed_out", timed_out},
                {"bytes", st_.bytes},
                {"wall_s", rounded(wall, 3)},
                {"mb_per_s", rounded(mb / wall, 2)},
                {"transfers_per_s", rounded(static_cast<double>(st_.ok) / wall, 2)},
                {"latency_ms", {{"p50", rounded(p50, 2)}, {"p99", rounded(p99, 2)}, {"max", rounded(mx, 2)}}},
                {"retransmits", st_.retransmits},
                {"dropped_by_loss", st_.dropped},
                {"client_resends", st_.client_resends},
                {"probes", st_.probes},
                {"server_cpu_s", rounded(cpu, 2)},
                {"server_rss_kb", server_rss},
                {"server_procs_max", peak_procs},
                {"failures", Json(st_.failures)}});
  } else {
    std::string failures;
    for (auto& [k, v] : st_.failures) failures += fmt::format("{}\"{}\": {}", failures.empty() ? "" : ", ", k, v);
    fmt::print(
        "{} ok, {} failed ({}), {:.1f} MB in {:.2f} s: {:.1f} MB/s, {:.1f} transfers/s, latency p50 {:.1f} ms "
        "p99 {:.1f} ms max {:.1f} ms, {} duplicate DATA, {} dropped by --loss, {} client resends",
        st_.ok, st_.failed, failures, mb, wall, mb / wall, static_cast<double>(st_.ok) / wall, p50, p99, mx,
        st_.retransmits, st_.dropped, st_.client_resends);
    if (o_.server_pid) fmt::print(", server {:.2f} CPU-s, {} kB RSS, {} procs", cpu, server_rss, peak_procs);
    fmt::print("\n");
  }
  return st_.failed == 0 ? 0 : 1;
}

void raise_nofile() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "storm") == 0) {
    raise_nofile();
    return bench::storm_main(argc - 1, argv + 1);
  }
  Options o = parse_options(argc, argv);
  if (o.udp_ceiling) return udp_ceiling(o, o.json);
  raise_nofile();
  Bench b(o);
  return b.run();
}
