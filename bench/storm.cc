// `ringboot-bench storm`: a boot storm. N simulated machines, one epoll loop, each machine a state machine
// that does the whole chain the way real firmware does (issue 12):
//
//   dhcp_pxe   EDK2's DHCP: DISCOVER/REQUEST with 93 = 7, 94, 97 (a UUID), 60 "PXEClient:Arch:00007:UNDI:003016";
//              retries after 4, 8, 16, 32 s, then the machine fails
//   tftp       the boot file of the ACK, EDK2's way: a tsize probe RRQ, abort (ERROR 8), then the real RRQ with
//              blksize 1468 windowsize 4 from a new port; 4 s x 6 tries
//   dhcp_ipxe  iPXE's DHCP: 77 "iPXE", 175, 60 "PXEClient:Arch:00007:UNDI:003010"; retries 1, 2, 4, 8, 16 s
//   script     HTTP GET of the ACK's boot file URL (/boot.ipxe), its `chain` URL with iPXE's ${...} settings
//              filled in, and so on up to 4 chains, until a script with a `kernel` line
//   kernel     the script's kernel URL, every byte checked against the file under --root
//   initrd     each `initrd` URL, checked the same way; the machine is "in the installer" when the last ends
//   done       POST of the done URL the script carries (a token with "/done?token=", e.g. ringboot.done=URL)
//
// DHCP, --dhcp-mode: one UDP socket speaks for every machine, its replies told apart by chaddr and xid.
//   relay  (default) the socket is bound to RELAY:67: giaddr = RELAY, hops 1, unicast to the server's 67, as
//          perfdhcp -R and bench/dhcp_compare do.
//   l2     the machines on the server's L2, no relay: the socket is bound to 0.0.0.0:68 on --interface
//          (SO_BINDTODEVICE, SO_BROADCAST), each DISCOVER/REQUEST broadcast to 255.255.255.255:67 with ciaddr and
//          giaddr 0, hops 0 and the broadcast flag, as EDK2 sends them (with no address on the interface the
//          kernel sends them from 0.0.0.0, as firmware does). iPXE leaves the flag clear and takes the reply
//          unicast to its MAC; here every machine shares the interface's MAC, so its requests set it too.
//   proxy  l2, beside an address server (another host's DHCP, e.g. the site's): the server under test is a
//          proxyDHCP. Each DHCP stage waits for both OFFERs of its DISCOVER, the address server's (yiaddr set) and
//          the proxy's (yiaddr 0, 60 "PXEClient"), REQUESTs the address from its server (broadcast, 50 and 54),
//          and once ACKed asks the proxy for the boot file on its port 4011: a REQUEST unicast from the leased
//          address (ciaddr set) to the proxy's 54, answered with an ACK carrying the file. EDK2 does that for a
//          proxy offer without option 43 (PXE boot server discovery), iPXE for every proxy offer (its
//          ProxyDHCPREQUEST). Firmware collects offers for its first timeout; a machine here goes on as soon as
//          it holds both, so a slow proxy shows as time, not as offers it would have waited for anyway.
// TFTP and HTTP sockets are bound to the machine's leased address (--bind-leased, default on), so the server sees
// N clients, as in life; that needs the pool's addresses local in the client's namespace (bench/storm_compare
// routes them `local` to lo; in l2 mode the kernel answers the server's ARP for each of them, arp_ignore 0).
//
// --loss P drops P % of what a machine receives: DHCP replies, TFTP packets (before processing) and, for HTTP,
// the first SYN of a connection (modelled as the kernel's 1 s initial RTO before the connect). The RNG is seeded
// (--seed); the order of events over real sockets is not, so two runs differ in which packets are lost.
//
// Bounds: --machines (<= 65536); one socket a machine at a time (the DHCP socket shared), checked against
// RLIMIT_NOFILE; one receive buffer of 512 KiB; a script body <= 64 KiB, response headers <= 16 KiB; SO_RCVBUF of an
// HTTP socket --http-rcvbuf (256 KiB).
#include "storm.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "proc_tree.h"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Json = nlohmann::ordered_json;

double secs(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }
double rounded(double x, int decimals) { return std::round(x * std::pow(10, decimals)) / std::pow(10, decimals); }

[[noreturn]] void die(const std::string& msg) {
  fmt::print(stderr, "ringboot-bench storm: {}\n", msg);
  std::exit(2);
}

constexpr size_t kScriptBytesMax = 64 * 1024;
constexpr size_t kHeaderBytesMax = 16 * 1024;
constexpr int kChainsMax = 4;
constexpr int kMachinesMax = 65536;

struct Options {
  int machines = 100;
  std::string server = "10.79.0.1";  // DHCP server (its port 67)
  std::string relay = "10.79.1.1";   // giaddr, and the address the relay socket binds (port 67)
  std::string dhcp_mode = "relay";   // relay; l2: broadcast from port 68 on `interface`; proxy: l2 + a proxyDHCP
  std::string interface;             // l2: the client interface (SO_BINDTODEVICE)
  std::string root;                  // local copy of the boot root: kernels and initrds are checked against it
  double ramp = 0;                   // machines started per second; 0: all at once
  double loss_pct = 0;
  unsigned seed = 1;
  bool bind_leased = true;
  bool done = true;
  std::vector<int> server_pids;  // process trees whose CPU seconds and peak RSS are summed (dnsmasq + nginx)
  double time_limit = 900;
  int http_timeout_s = 30;  // no progress this long: the request failed (iPXE: 15 s connect, then idle)
  int http_tries = 3;
  // SO_RCVBUF of each HTTP socket. A machine's own kernel holds its window; here N machines share one, and
  // Linux's autotuning (tcp_rmem max 32 MiB) would take the host's TCP memory past tcp_mem's pressure mark at
  // N = 1,000, where the kernel prunes received data and the server's flows back off in RTOs. 256 KiB x N stays
  // clear of it (iPXE's own window is at most 2 MiB).
  int http_rcvbuf = 256 * 1024;
  int mac_base = 0;  // MAC of machine i: 52:54:00 + (mac_base + i)
  bool json = false;
  bool quiet = false;
};

// ---------------------------------------------------------------- local files

struct Blob {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// The boot root's files, mapped once on first use. A path with ".." or a missing file has no Blob.
class Root {
 public:
  explicit Root(std::string dir) : dir_(std::move(dir)) {}
  const Blob* get(const std::string& path) {
    if (dir_.empty() || path.find("..") != std::string::npos) return nullptr;
    auto it = files_.find(path);
    if (it != files_.end()) return it->second.get();
    auto b = std::make_unique<Blob>();
    std::string full = dir_ + "/" + (path.starts_with("/") ? path.substr(1) : path);
    int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      if (fd >= 0) close(fd);
      files_[path] = nullptr;
      return nullptr;
    }
    b->size = static_cast<size_t>(st.st_size);
    if (b->size > 0) {
      void* m = mmap(nullptr, b->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (m == MAP_FAILED) die("mmap " + full);
      b->data = static_cast<const uint8_t*>(m);
    }
    close(fd);
    return (files_[path] = std::move(b)).get();
  }

 private:
  std::string dir_;
  std::map<std::string, std::unique_ptr<Blob>> files_;
};

// ---------------------------------------------------------------- machines

enum Stage : uint8_t { dhcp_pxe, tftp, dhcp_ipxe, script, kernel, initrd, done, kStages };
constexpr std::array<const char*, kStages> kStageNames{"dhcp_pxe", "tftp",   "dhcp_ipxe", "script",
                                                       "kernel",   "initrd", "done"};

enum class Http : uint8_t { script, blob, done };

struct HttpJob {
  Http kind = Http::script;
  std::string url;
};

struct Url {
  sockaddr_in addr{};
  std::string host;  // as written, for Host:
  std::string target;
};

bool parse_url(const std::string& url, Url* out) {
  if (!url.starts_with("http://")) return false;
  std::string rest = url.substr(7);
  size_t slash = rest.find('/');
  std::string hostport = slash == std::string::npos ? rest : rest.substr(0, slash);
  out->target = slash == std::string::npos ? "/" : rest.substr(slash);
  out->host = hostport;
  uint16_t port = 80;
  size_t colon = hostport.rfind(':');
  std::string host = hostport;
  if (colon != std::string::npos) {
    int p = std::atoi(hostport.c_str() + colon + 1);
    if (p < 1 || p > 65535) return false;
    port = static_cast<uint16_t>(p);
    host = hostport.substr(0, colon);
  }
  out->addr = {};
  out->addr.sin_family = AF_INET;
  out->addr.sin_port = htons(port);
  return inet_pton(AF_INET, host.c_str(), &out->addr.sin_addr) == 1;
}

enum class Wait : uint8_t { none, start, dhcp, tftp, connect_delay, http };

struct Machine {
  uint32_t index = 0;
  std::array<uint8_t, 6> mac{};
  std::array<uint8_t, 16> uuid{};
  Stage stage = dhcp_pxe;
  bool finished = false;
  bool failed = false;
  Wait wait = Wait::start;
  TimePoint deadline{};
  TimePoint t_start{};
  std::array<double, kStages> t_end{};  // seconds since the run's start at each stage's end; 0: not reached
  // DHCP
  uint32_t xid = 0;
  int dhcp_try = 0;
  bool requesting = false;
  bool proxying = false;  // proxy mode: ACKed by the address server, asking the proxy on 4011
  uint32_t offered = 0, server_id = 0, leased = 0, siaddr = 0;
  uint32_t proxy_id = 0;  // proxy mode: the proxy offer's server identifier (0: none yet)
  std::string boot_file;
  std::vector<uint8_t> dhcp_pkt;
  // replies with this machine's MAC read in the current DHCP stage: taken, and not taken (why: the
  // machine waited for something else, or the xid was another stage's); for the failure detail
  uint16_t dhcp_taken = 0, dhcp_not_waiting = 0, dhcp_other_xid = 0, dhcp_sent = 0;
  // TFTP
  int fd = -1;
  bool probe = false;
  bool have_tid = false;
  sockaddr_in tid{};
  uint64_t next_block = 1;
  uint64_t last_acked = 0;
  int blksize = 512, windowsize = 1, tftp_try = 0;
  const Blob* tftp_blob = nullptr;
  std::vector<uint8_t> tftp_last;
  sockaddr_in tftp_dst{};
  // HTTP
  std::vector<HttpJob> jobs;
  size_t job = 0;
  int chains = 0;
  int http_try = 0;
  Url url;
  std::string out;  // request bytes not yet sent
  size_t out_off = 0;
  bool connected = false;
  std::string head;  // response head while it is read
  bool in_body = false;
  int status = 0;
  long long content_length = -1;
  long long body_got = 0;
  const Blob* blob = nullptr;
  std::string body;  // a script's body
};

struct Stats {
  std::map<std::string, long> failures;  // "stage: kind"
  std::map<std::string, long> retries;   // "stage: why" of each HTTP retry
  uint64_t bytes_tftp = 0, bytes_http = 0;
  uint64_t dropped = 0, dhcp_resends = 0, tftp_resends = 0, http_retries = 0, send_errors = 0;
  // DHCP replies read from the socket, and those no machine was waiting for (late: a duplicate of one
  // already taken, or after the machine failed or moved on)
  uint64_t dhcp_replies = 0, dhcp_replies_late = 0;
  uint64_t dhcp_replies_unknown = 0;  // datagrams that did not parse as a reply, or name no machine of ours
  double loop_max_s = 0;              // the longest turn of the event loop: how late the storm itself may answer
  std::vector<Json> failed_detail;    // the first failed machines' DHCP accounting (bounded: kFailedDetailMax)
};
constexpr size_t kFailedDetailMax = 50;

// ---------------------------------------------------------------- DHCP packets

void put_opt(std::vector<uint8_t>& p, uint8_t code, std::string_view v) {
  p.push_back(code);
  p.push_back(static_cast<uint8_t>(v.size()));
  p.insert(p.end(), v.begin(), v.end());
}
std::string_view bytes(const void* p, size_t n) { return {static_cast<const char*>(p), n}; }

// EDK2 (ipxe = false) or iPXE's DISCOVER (type 1) / REQUEST (type 3), relayed by RELAY, or with RELAY 0 as
// broadcast on the server's L2 (hops 0, the broadcast flag: the machine has no address to take a unicast at).
// With CIADDR, the REQUEST a proxyDHCP's port 4011 takes: from a bound address, no 50 or 54, no broadcast flag.
std::vector<uint8_t> dhcp_packet(const Machine& m, bool ipxe, uint8_t type, uint32_t relay, uint32_t ciaddr = 0) {
  std::vector<uint8_t> p(240, 0);
  p[0] = 1;  // BOOTREQUEST
  p[1] = 1;
  p[2] = 6;
  p[3] = relay ? 1 : 0;  // hops: one relay, or none
  uint32_t xid = htonl(m.xid);
  std::memcpy(&p[4], &xid, 4);
  if (!relay && !ciaddr) p[10] = 0x80;  // flags: broadcast
  std::memcpy(&p[12], &ciaddr, 4);      // ciaddr (network order)
  std::memcpy(&p[24], &relay, 4);       // giaddr
  std::memcpy(&p[28], m.mac.data(), 6);
  const uint8_t cookie[4] = {99, 130, 83, 99};
  std::memcpy(&p[236], cookie, 4);
  put_opt(p, 53, bytes(&type, 1));
  if (type == 3 && !ciaddr) {
    put_opt(p, 50, bytes(&m.offered, 4));
    put_opt(p, 54, bytes(&m.server_id, 4));
  }
  const uint16_t max_size = htons(ipxe ? 1472 : 1464);
  put_opt(p, 57, bytes(&max_size, 2));
  if (ipxe) {
    static const uint8_t params[] = {1,   3,   6,   7,   12,  15,  17,  26,  43,  60,  66, 67,
                                     119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203};
    put_opt(p, 55, bytes(params, sizeof params));
    put_opt(p, 60, "PXEClient:Arch:00007:UNDI:003010");
    put_opt(p, 77, "iPXE");
    // 175: iPXE's encapsulated features (19 http, 16 pxeext, 33 bzimage, 24 efi): 1 each.
    static const uint8_t features[] = {19, 1, 1, 16, 1, 2, 33, 1, 1, 24, 1, 1};
    put_opt(p, 175, bytes(features, sizeof features));
    uint8_t client_id[7] = {1};
    std::memcpy(client_id + 1, m.mac.data(), 6);
    put_opt(p, 61, bytes(client_id, sizeof client_id));
  } else {
    static const uint8_t params[] = {1,  2,  3,  4,  5,  6,  12, 13, 15, 17,  18,  22,  23,  28,  40,  41,  42, 43,
                                     50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135};
    put_opt(p, 55, bytes(params, sizeof params));
    put_opt(p, 60, "PXEClient:Arch:00007:UNDI:003016");
  }
  const uint8_t arch[2] = {0, 7};
  put_opt(p, 93, bytes(arch, 2));
  const uint8_t ndi[3] = {1, 3, 16};
  put_opt(p, 94, bytes(ndi, 3));
  uint8_t guid[17] = {0};
  std::memcpy(guid + 1, m.uuid.data(), 16);
  put_opt(p, 97, bytes(guid, sizeof guid));
  p.push_back(255);
  return p;
}

struct DhcpReply {
  uint8_t type = 0;
  uint32_t xid = 0, yiaddr = 0, siaddr = 0, server_id = 0;
  std::array<uint8_t, 6> mac{};
  std::string file;
  bool pxe_client = false;  // option 60 begins "PXEClient": a proxyDHCP's (or a PXE server's) reply
};

bool parse_dhcp(const uint8_t* p, size_t n, DhcpReply* r) {
  if (n < 240 || p[0] != 2 || p[236] != 99 || p[237] != 130 || p[238] != 83 || p[239] != 99) return false;
  uint32_t v;
  std::memcpy(&v, p + 4, 4);
  r->xid = ntohl(v);
  std::memcpy(&r->yiaddr, p + 16, 4);
  std::memcpy(&r->siaddr, p + 20, 4);
  std::memcpy(r->mac.data(), p + 28, 6);
  r->file.assign(reinterpret_cast<const char*>(p + 108), strnlen(reinterpret_cast<const char*>(p + 108), 128));
  size_t off = 240;
  while (off < n) {
    uint8_t code = p[off++];
    if (code == 0) continue;
    if (code == 255) break;
    if (off >= n) return false;
    size_t len = p[off++];
    if (len > n - off) return false;
    const uint8_t* val = p + off;
    if (code == 53 && len == 1) r->type = val[0];
    if (code == 54 && len == 4) std::memcpy(&r->server_id, val, 4);
    if (code == 60) r->pxe_client = std::string_view(reinterpret_cast<const char*>(val), len).starts_with("PXEClient");
    if (code == 67)
      r->file.assign(reinterpret_cast<const char*>(val), strnlen(reinterpret_cast<const char*>(val), len));
    off += len;
  }
  return r->type != 0;
}

// ---------------------------------------------------------------- iPXE scripts

std::string mac_text(const Machine& m, char sep) {
  return fmt::format("{:02x}{}{:02x}{}{:02x}{}{:02x}{}{:02x}{}{:02x}", m.mac[0], sep, m.mac[1], sep, m.mac[2], sep,
                     m.mac[3], sep, m.mac[4], sep, m.mac[5]);
}

std::string uuid_text(const Machine& m) {
  const auto& u = m.uuid;
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", u[0],
      u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

// iPXE's settings a chain URL may name, filled in the way iPXE expands them.
std::string expand(std::string s, const Machine& m) {
  const std::pair<std::string, std::string> vars[] = {{"${mac:hexhyp}", mac_text(m, '-')},
                                                      {"${net0/mac:hexhyp}", mac_text(m, '-')},
                                                      {"${mac}", mac_text(m, ':')},
                                                      {"${net0/mac}", mac_text(m, ':')},
                                                      {"${uuid}", uuid_text(m)},
                                                      {"${buildarch}", "x86_64"},
                                                      {"${platform}", "efi"},
                                                      {"${ip}", [&] {
                                                         char b[INET_ADDRSTRLEN];
                                                         inet_ntop(AF_INET, &m.leased, b, sizeof b);
                                                         return std::string(b);
                                                       }()}};
  for (const auto& [k, v] : vars)
    for (size_t at = s.find(k); at != std::string::npos; at = s.find(k, at + v.size())) s.replace(at, k.size(), v);
  return s;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) w.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return w;
}

// The first word of a command's arguments that is not an --option (kernel, initrd, chain all take one URL).
std::string url_arg(const std::vector<std::string>& w) {
  for (size_t i = 1; i < w.size(); ++i) {
    if (w[i].starts_with("--")) {
      if (w[i] == "--name" || w[i] == "-n") ++i;  // "--name X" (ringboot writes it so)
      continue;
    }
    return w[i];
  }
  return {};
}

// ---------------------------------------------------------------- the storm

class Storm {
 public:
  explicit Storm(const Options& o) : o_(o), rng_(o.seed), root_(o.root) {
    if (inet_pton(AF_INET, o.server.c_str(), &server_.sin_addr) != 1) die("--server: not an IPv4 address");
    server_.sin_family = AF_INET;
    server_.sin_port = htons(67);
    proxy_ = o.dhcp_mode == "proxy";
    l2_ = o.dhcp_mode == "l2" || proxy_;
    if (!l2_ && inet_pton(AF_INET, o.relay.c_str(), &giaddr_) != 1) die("--relay: not an IPv4 address");
    dhcp_to_ = server_;
    if (l2_) dhcp_to_.sin_addr.s_addr = INADDR_BROADCAST;
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    // One recv takes all an HTTP socket holds (256 KiB of SO_RCVBUF, doubled by the kernel): each recv that frees
    // window sends an ACK, and on one host that ACK's softirq and the server's wake-up run on this thread.
    // 70,000 bytes here cost 10 % more client CPU-s at N = 1,000 (bench/RESULTS.md, 2026-12-04).
    buf_.resize(512 * 1024);
    machines_.resize(static_cast<size_t>(o.machines));
    std::mt19937_64 ids(o.seed * 7919 + 1);
    for (size_t i = 0; i < machines_.size(); ++i) {
      Machine& m = machines_[i];
      m.index = static_cast<uint32_t>(i);
      uint32_t n = static_cast<uint32_t>(o.mac_base) + m.index;
      m.mac = {0x52, 0x54, 0x00, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
      for (auto& b : m.uuid) b = static_cast<uint8_t>(ids());
      m.uuid[6] = static_cast<uint8_t>((m.uuid[6] & 0x0f) | 0x40);  // a version 4 UUID
      m.uuid[8] = static_cast<uint8_t>((m.uuid[8] & 0x3f) | 0x80);
      by_mac_[n & 0xffffff] = m.index;
    }
  }

  int run();

 private:
  bool lost() { return o_.loss_pct > 0 && uni_(rng_) * 100.0 < o_.loss_pct; }
  void fail(Machine& m, const std::string& kind, TimePoint now);
  void close_fd(Machine& m);
  void arm(Machine& m, Wait w, TimePoint at) {
    m.wait = w;
    m.deadline = at;
  }
  void stage_done(Machine& m, Stage s, TimePoint now) { m.t_end[s] = secs(t0_, now); }
  // DHCP
  void dhcp_start(Machine& m, bool ipxe, TimePoint now);
  void dhcp_send(Machine& m, TimePoint now);
  void open_dhcp_socket();
  void on_dhcp_socket(TimePoint now);
  void on_dhcp(Machine& m, const DhcpReply& r, TimePoint now);
  bool on_dhcp_proxy(Machine& m, const DhcpReply& r, TimePoint now);
  void dhcp_acked(Machine& m, TimePoint now);
  // TFTP
  int udp_socket(Machine& m);
  void tftp_start(Machine& m, TimePoint now);
  void tftp_rrq(Machine& m, bool probe, TimePoint now);
  void tftp_send(Machine& m, std::vector<uint8_t> pkt, const sockaddr_in& to, TimePoint now);
  void on_tftp(Machine& m, TimePoint now);
  void on_tftp_packet(Machine& m, const uint8_t* p, size_t n, const sockaddr_in& from, TimePoint now);
  // HTTP
  void http_next(Machine& m, TimePoint now);
  void http_connect(Machine& m, TimePoint now);
  void http_retry(Machine& m, const std::string& why, TimePoint now);
  void on_http(Machine& m, uint32_t events, TimePoint now);
  bool http_consume(Machine& m, const char* p, size_t n, TimePoint now);
  void http_complete(Machine& m, TimePoint now);
  void on_script(Machine& m, TimePoint now);
  void tick(TimePoint now);
  void report(double wall, const ProcSample& s0, const ProcSample& s1, const rusage& r0, const rusage& r1);

  const Options& o_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uni_{0.0, 1.0};
  Root root_;
  sockaddr_in server_{};
  bool l2_ = false;        // l2 or proxy: broadcast from 0.0.0.0:68
  bool proxy_ = false;     // proxy: beside an address server, the boot file from the proxy's 4011
  uint32_t giaddr_ = 0;    // the relay's address; 0 in l2 mode
  sockaddr_in dhcp_to_{};  // where requests go: the server's 67, or 255.255.255.255:67
  int ep_ = -1;
  int dhcp_fd_ = -1;
  std::vector<uint8_t> buf_;
  std::vector<Machine> machines_;
  std::map<uint32_t, uint32_t> by_mac_;  // low 24 bits of the MAC -> machine
  TimePoint t0_{};
  size_t finished_ = 0;
  uint32_t xid_next_ = 1;
  Stats st_;
};

constexpr uint64_t kDhcpTag = ~0ull;

void Storm::close_fd(Machine& m) {
  if (m.fd < 0) return;
  epoll_ctl(ep_, EPOLL_CTL_DEL, m.fd, nullptr);
  close(m.fd);
  m.fd = -1;
}

void Storm::fail(Machine& m, const std::string& kind, TimePoint now) {
  (void)now;
  if (m.finished) return;
  close_fd(m);
  m.finished = m.failed = true;
  m.wait = Wait::none;
  ++st_.failures[fmt::format("{}: {}", kStageNames[m.stage], kind)];
  if (st_.failed_detail.size() < kFailedDetailMax)
    st_.failed_detail.push_back(Json{{"machine", m.index},
                                     {"stage", kStageNames[m.stage]},
                                     {"kind", kind},
                                     {"at_s", rounded(secs(t0_, now), 3)},
                                     {"dhcp_sent", m.dhcp_sent},
                                     {"dhcp_taken", m.dhcp_taken},
                                     {"dhcp_not_waiting", m.dhcp_not_waiting},
                                     {"dhcp_other_xid", m.dhcp_other_xid},
                                     {"requesting", m.requesting}});
  ++finished_;
}

// ---------------------------------------------------------------- DHCP

void Storm::dhcp_start(Machine& m, bool ipxe, TimePoint now) {
  m.stage = ipxe ? dhcp_ipxe : dhcp_pxe;
  m.xid = (xid_next_++ * 2654435761u) ^ o_.seed;
  m.dhcp_try = 0;
  m.requesting = m.proxying = false;
  m.offered = m.server_id = m.proxy_id = 0;
  m.dhcp_taken = m.dhcp_not_waiting = m.dhcp_other_xid = m.dhcp_sent = 0;
  m.dhcp_pkt = dhcp_packet(m, ipxe, 1, giaddr_);
  dhcp_send(m, now);
}

void Storm::dhcp_send(Machine& m, TimePoint now) {
  ++m.dhcp_sent;
  ssize_t sent;
  if (m.proxying) {
    // To the proxy's 4011 from the leased address's 68: the shared socket is bound to 0.0.0.0:68, so the
    // source is set per datagram (IP_PKTINFO), and the proxy's ACK comes back to this socket.
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(4011);
    to.sin_addr.s_addr = m.proxy_id;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
    iovec iov{m.dhcp_pkt.data(), m.dhcp_pkt.size()};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst.s_addr = m.leased;
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    sent = sendmsg(dhcp_fd_, &msg, 0);
  } else {
    sent = sendto(dhcp_fd_, m.dhcp_pkt.data(), m.dhcp_pkt.size(), 0, reinterpret_cast<const sockaddr*>(&dhcp_to_),
                  sizeof dhcp_to_);
  }
  if (sent < 0) ++st_.send_errors;  // the timer resends it, as a lost packet
  // EDK2: 4, 8, 16, 32 s; iPXE: 1, 2, 4, 8, 16 s (its DHCP_MIN_TIMEOUT doubling), then the machine fails.
  static constexpr int kEdk2[] = {4, 8, 16, 32};
  static constexpr int kIpxe[] = {1, 2, 4, 8, 16};
  int wait_s = m.stage == dhcp_ipxe ? kIpxe[std::min(m.dhcp_try, 4)] : kEdk2[std::min(m.dhcp_try, 3)];
  arm(m, Wait::dhcp, now + std::chrono::seconds(wait_s));
}

// Relay mode: one socket on RELAY:67, as a relay agent has. L2 mode: one on 0.0.0.0:68 of the interface, as
// each machine's firmware has on its own NIC; the server's broadcast replies reach it.
void Storm::open_dhcp_socket() {
  dhcp_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (dhcp_fd_ < 0) die(fmt::format("socket: {}", std::strerror(errno)));
  int big = 16 << 20;
  setsockopt(dhcp_fd_, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(dhcp_fd_, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(l2_ ? 68 : 67);
  a.sin_addr.s_addr = giaddr_;
  if (l2_) {
    int one = 1;
    if (setsockopt(dhcp_fd_, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0 ||
        setsockopt(dhcp_fd_, SOL_SOCKET, SO_BINDTODEVICE, o_.interface.c_str(),
                   static_cast<socklen_t>(o_.interface.size())) != 0)
      die(fmt::format("SO_BROADCAST, SO_BINDTODEVICE {}: {} (root, and the interface in this namespace?)", o_.interface,
                      std::strerror(errno)));
    if (bind(dhcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      die(fmt::format("bind 0.0.0.0:68 on {} (the DHCP client socket): {} (another DHCP client there?)", o_.interface,
                      std::strerror(errno)));
  } else if (bind(dhcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    die(fmt::format("bind {}:67 (the relay socket): {} (root, and the address on an interface?)", o_.relay,
                    std::strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kDhcpTag;
  epoll_ctl(ep_, EPOLL_CTL_ADD, dhcp_fd_, &ev);
}

// Drains the socket, on every turn of the loop: it speaks for every machine, and what waits in its queue
// behind the loop's HTTP work is, to the machines, a server that answers late. (At N = 5,000 it was read
// only when epoll named it, 256 at a time: with thousands of HTTP sockets ready, epoll's 512 events a turn
// named it about once a second, the replies queued past iPXE's 1 s timeout, the resends added more, and
// half the machines failed with every reply on the wire: a tcpdump on p0 showed each DISCOVER answered.)
void Storm::on_dhcp_socket(TimePoint now) {
  while (true) {
    ssize_t n = recv(dhcp_fd_, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) return;
    DhcpReply r;
    ++st_.dhcp_replies;
    if (!parse_dhcp(buf_.data(), static_cast<size_t>(n), &r)) {
      ++st_.dhcp_replies_unknown;
      continue;
    }
    auto it = r.mac[0] != 0x52 || r.mac[1] != 0x54 || r.mac[2] != 0x00
                  ? by_mac_.end()
                  : by_mac_.find(static_cast<uint32_t>(r.mac[3] << 16 | r.mac[4] << 8 | r.mac[5]));
    if (it == by_mac_.end()) {
      ++st_.dhcp_replies_unknown;
      continue;
    }
    Machine& m = machines_[it->second];
    if (m.finished || m.wait != Wait::dhcp || r.xid != m.xid) {
      ++st_.dhcp_replies_late;
      ++(r.xid != m.xid ? m.dhcp_other_xid : m.dhcp_not_waiting);
      continue;
    }
    ++m.dhcp_taken;
    if (lost()) {
      ++st_.dropped;
      continue;
    }
    on_dhcp(m, r, now);
  }
}

void Storm::on_dhcp(Machine& m, const DhcpReply& r, TimePoint now) {
  bool ipxe = m.stage == dhcp_ipxe;
  if (proxy_) {
    if (on_dhcp_proxy(m, r, now)) dhcp_acked(m, now);
    return;
  }
  if (!m.requesting && r.type == 2) {  // OFFER
    m.offered = r.yiaddr;
    m.server_id = r.server_id ? r.server_id : server_.sin_addr.s_addr;
    m.requesting = true;
    m.dhcp_try = 0;
    m.dhcp_pkt = dhcp_packet(m, ipxe, 3, giaddr_);
    dhcp_send(m, now);
    return;
  }
  if (!m.requesting) return;
  if (r.type == 6) {  // NAK: start over
    fail(m, "NAK", now);
    return;
  }
  if (r.type != 5) return;
  m.leased = r.yiaddr;
  m.siaddr = r.siaddr ? r.siaddr : m.server_id;
  m.boot_file = r.file;
  dhcp_acked(m, now);
}

// Proxy mode's DHCP stage (see the head of the file); true when the proxy's ACK has set the boot file.
bool Storm::on_dhcp_proxy(Machine& m, const DhcpReply& r, TimePoint now) {
  const bool ipxe = m.stage == dhcp_ipxe;
  if (!m.requesting && r.type == 2) {  // OFFERs: the address server's and the proxy's
    if (r.yiaddr != 0 && m.offered == 0) {
      m.offered = r.yiaddr;
      m.server_id = r.server_id;
    } else if (r.yiaddr == 0 && r.pxe_client && m.proxy_id == 0) {
      m.proxy_id = r.server_id ? r.server_id : r.siaddr;
    }
    if (m.offered == 0 || m.server_id == 0 || m.proxy_id == 0) return false;
    m.requesting = true;
    m.dhcp_try = 0;
    m.dhcp_pkt = dhcp_packet(m, ipxe, 3, 0);
    dhcp_send(m, now);
    return false;
  }
  if (r.type == 6 && m.requesting && !m.proxying && r.server_id == m.server_id) {
    fail(m, "NAK", now);
    return false;
  }
  if (r.type != 5) return false;
  if (m.requesting && !m.proxying && r.server_id == m.server_id) {  // the address server's ACK
    m.leased = r.yiaddr;
    m.proxying = true;
    m.dhcp_try = 0;
    m.dhcp_pkt = dhcp_packet(m, ipxe, 3, 0, m.leased);
    dhcp_send(m, now);
    return false;
  }
  if (!m.proxying || r.server_id != m.proxy_id) return false;
  m.siaddr = r.siaddr ? r.siaddr : m.proxy_id;
  m.boot_file = r.file;
  return true;
}

// The DHCP stage's end: the ACK named the boot file, fetched by TFTP (EDK2) or HTTP (iPXE).
void Storm::dhcp_acked(Machine& m, TimePoint now) {
  const bool ipxe = m.stage == dhcp_ipxe;
  stage_done(m, m.stage, now);
  if (m.boot_file.empty()) {
    fail(m, "ACK without a boot file", now);
    return;
  }
  if (!ipxe) {
    tftp_start(m, now);
    return;
  }
  m.stage = script;
  m.jobs.clear();
  m.jobs.push_back({Http::script, m.boot_file});
  m.job = 0;
  m.http_try = 0;
  http_next(m, now);
}

// ---------------------------------------------------------------- TFTP

int Storm::udp_socket(Machine& m) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = o_.bind_leased ? m.leased : 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = m.index;
  epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  return fd;
}

void Storm::tftp_start(Machine& m, TimePoint now) {
  m.stage = tftp;
  m.tftp_blob = root_.get(m.boot_file);
  if (!m.tftp_blob) {
    fail(m, "no local copy of " + m.boot_file + " under --root", now);
    return;
  }
  tftp_rrq(m, true, now);
}

void Storm::tftp_rrq(Machine& m, bool probe, TimePoint now) {
  close_fd(m);
  m.fd = udp_socket(m);
  if (m.fd < 0) {
    fail(m, fmt::format("socket: {}", std::strerror(errno)), now);
    return;
  }
  m.probe = probe;
  m.have_tid = false;
  m.next_block = 1;
  m.last_acked = 0;
  m.blksize = 512;
  m.windowsize = 1;
  m.tftp_try = 0;
  std::vector<uint8_t> p{0, 1};
  auto put = [&](std::string_view s) {
    p.insert(p.end(), s.begin(), s.end());
    p.push_back(0);
  };
  put(m.boot_file);
  put("octet");
  if (probe) {
    put("tsize");
    put("0");
  }
  put("blksize");
  put("1468");
  put("windowsize");
  put("4");
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(69);
  to.sin_addr.s_addr = m.siaddr;
  tftp_send(m, std::move(p), to, now);
}

void Storm::tftp_send(Machine& m, std::vector<uint8_t> pkt, const sockaddr_in& to, TimePoint now) {
  if (sendto(m.fd, pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) ++st_.send_errors;
  m.tftp_last = std::move(pkt);
  m.tftp_dst = to;
  m.tftp_try = 0;
  arm(m, Wait::tftp, now + std::chrono::seconds(4));
}

void Storm::on_tftp(Machine& m, TimePoint now) {
  for (int burst = 0; burst < 64 && m.fd >= 0 && m.stage == tftp && !m.finished; ++burst) {
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(m.fd, buf_.data(), buf_.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &fl);
    if (n < 0) return;
    if (lost()) {
      ++st_.dropped;
      continue;
    }
    on_tftp_packet(m, buf_.data(), static_cast<size_t>(n), from, now);
  }
}

void Storm::on_tftp_packet(Machine& m, const uint8_t* p, size_t n, const sockaddr_in& from, TimePoint now) {
  if (n < 4) return;
  if (m.have_tid && (from.sin_port != m.tid.sin_port || from.sin_addr.s_addr != m.tid.sin_addr.s_addr)) return;
  uint16_t op = static_cast<uint16_t>(p[0] << 8 | p[1]);
  uint16_t arg = static_cast<uint16_t>(p[2] << 8 | p[3]);
  if (!m.have_tid) {
    m.have_tid = true;
    m.tid = from;
  }
  if (op == 5) {
    fail(m, fmt::format("server ERROR {}", arg), now);
    return;
  }
  if (m.probe) {
    if (op != 6) {
      fail(m, fmt::format("probe answered with opcode {}, not OACK", op), now);
      return;
    }
    // EDK2: ERROR 8 "User aborted the transfer", then a fresh RRQ from a new port.
    static const char kAbort[] = "\0\5\0\10User aborted the transfer";
    sendto(m.fd, kAbort, sizeof kAbort, 0, reinterpret_cast<const sockaddr*>(&m.tid), sizeof m.tid);
    tftp_rrq(m, false, now);
    return;
  }
  auto ack = [&](uint64_t block) {
    std::vector<uint8_t> a{0, 4, static_cast<uint8_t>(block >> 8), static_cast<uint8_t>(block)};
    m.last_acked = std::max(m.last_acked, block);
    tftp_send(m, std::move(a), m.tid, now);
  };
  if (op == 6) {
    if (m.next_block != 1) return;  // a late duplicate
    size_t off = 2;
    while (off < n) {
      std::string key(reinterpret_cast<const char*>(p + off), strnlen(reinterpret_cast<const char*>(p + off), n - off));
      off += key.size() + 1;
      if (off >= n) break;
      std::string val(reinterpret_cast<const char*>(p + off), strnlen(reinterpret_cast<const char*>(p + off), n - off));
      off += val.size() + 1;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      if (key == "blksize") m.blksize = std::atoi(val.c_str());
      if (key == "windowsize") m.windowsize = std::atoi(val.c_str());
    }
    if (m.blksize < 8 || m.blksize > 1468 || m.windowsize < 1 || m.windowsize > 4) {
      fail(m, "OACK option out of what was asked", now);
      return;
    }
    ack(0);
    return;
  }
  if (op != 3) return;
  int16_t delta = static_cast<int16_t>(static_cast<uint16_t>(arg - static_cast<uint16_t>(m.next_block & 0xffff)));
  int64_t idx = static_cast<int64_t>(m.next_block) + delta;
  if (idx != static_cast<int64_t>(m.next_block)) {
    if (idx > static_cast<int64_t>(m.next_block)) ack(m.next_block - 1);  // a gap: EDK2 ACKs the last in order
    return;
  }
  size_t len = n - 4;
  uint64_t off = (m.next_block - 1) * static_cast<uint64_t>(m.blksize);
  const Blob& b = *m.tftp_blob;
  size_t want = off >= b.size ? 0 : std::min<size_t>(static_cast<size_t>(m.blksize), b.size - off);
  if (len != want || (len && std::memcmp(p + 4, b.data + off, len) != 0)) {
    fail(m, fmt::format("content mismatch at block {}", m.next_block), now);
    return;
  }
  st_.bytes_tftp += len;
  uint64_t block = m.next_block++;
  if (len < static_cast<size_t>(m.blksize)) {
    ack(block);
    close_fd(m);
    stage_done(m, tftp, now);
    dhcp_start(m, true, now);
    return;
  }
  if (block - m.last_acked >= static_cast<uint64_t>(m.windowsize))
    ack(block);
  else
    arm(m, Wait::tftp, now + std::chrono::seconds(4));
}

// ---------------------------------------------------------------- HTTP

void Storm::http_next(Machine& m, TimePoint now) {
  close_fd(m);
  if (m.job >= m.jobs.size()) {
    stage_done(m, done, now);
    m.finished = true;
    m.wait = Wait::none;
    ++finished_;
    return;
  }
  const HttpJob& j = m.jobs[m.job];
  if (!parse_url(j.url, &m.url)) {
    fail(m, "not an http://IPv4 URL: " + j.url.substr(0, 80), now);
    return;
  }
  m.blob = nullptr;
  if (j.kind == Http::blob) {
    std::string path = m.url.target.substr(0, m.url.target.find('?'));
    m.blob = root_.get(path);
    if (!m.blob) {
      fail(m, "no local copy of " + path + " under --root", now);
      return;
    }
  }
  // --loss on HTTP: the connection's first SYN is lost; the kernel resends it after its 1 s initial RTO.
  if (lost()) {
    ++st_.dropped;
    arm(m, Wait::connect_delay, now + std::chrono::seconds(1));
    return;
  }
  http_connect(m, now);
}

void Storm::http_connect(Machine& m, TimePoint now) {
  const HttpJob& j = m.jobs[m.job];
  m.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (m.fd < 0) {
    fail(m, fmt::format("socket: {}", std::strerror(errno)), now);
    return;
  }
  if (o_.http_rcvbuf > 0) setsockopt(m.fd, SOL_SOCKET, SO_RCVBUF, &o_.http_rcvbuf, sizeof o_.http_rcvbuf);
  if (o_.bind_leased) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = m.leased;
    if (bind(m.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      fail(m, fmt::format("bind to the leased address: {}", std::strerror(errno)), now);
      return;
    }
  }
  int r = connect(m.fd, reinterpret_cast<const sockaddr*>(&m.url.addr), sizeof m.url.addr);
  if (r != 0 && errno != EINPROGRESS) {
    http_retry(m, fmt::format("connect: {}", std::strerror(errno)), now);
    return;
  }
  bool post = j.kind == Http::done;
  m.out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: iPXE/1.21.1+ (storm)\r\nConnection: close\r\n{}\r\n",
                      post ? "POST" : "GET", m.url.target, m.url.host, post ? "Content-Length: 0\r\n" : "");
  m.out_off = 0;
  m.connected = false;
  m.head.clear();
  m.in_body = false;
  m.status = 0;
  m.content_length = -1;
  m.body_got = 0;
  m.body.clear();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.u64 = m.index;
  epoll_ctl(ep_, EPOLL_CTL_ADD, m.fd, &ev);
  arm(m, Wait::http, now + std::chrono::seconds(o_.http_timeout_s));
}

void Storm::http_retry(Machine& m, const std::string& why, TimePoint now) {
  close_fd(m);
  if (++m.http_try >= o_.http_tries) {
    fail(m, why, now);
    return;
  }
  ++st_.http_retries;
  ++st_.retries[fmt::format("{}: {}", kStageNames[m.stage], why)];
  arm(m, Wait::connect_delay, now + std::chrono::seconds(1));
}

void Storm::on_http(Machine& m, uint32_t events, TimePoint now) {
  if (!m.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(m.fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
      http_retry(m, fmt::format("connect: {}", std::strerror(err)), now);
      return;
    }
    m.connected = true;
  }
  if (m.connected && m.out_off < m.out.size()) {
    ssize_t w = send(m.fd, m.out.data() + m.out_off, m.out.size() - m.out_off, MSG_NOSIGNAL);
    if (w > 0) m.out_off += static_cast<size_t>(w);
    if (m.out_off == m.out.size()) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = m.index;
      epoll_ctl(ep_, EPOLL_CTL_MOD, m.fd, &ev);
    }
  }
  if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) return;
  for (int burst = 0; burst < 16; ++burst) {
    ssize_t n = recv(m.fd, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      http_retry(m, fmt::format("recv: {}", std::strerror(errno)), now);
      return;
    }
    if (n == 0) {  // EOF
      if (m.in_body && (m.content_length < 0 || m.body_got == m.content_length)) {
        http_complete(m, now);
      } else {
        http_retry(m, m.in_body ? "connection closed mid-body" : "connection closed before a response", now);
      }
      return;
    }
    arm(m, Wait::http, now + std::chrono::seconds(o_.http_timeout_s));
    if (!http_consume(m, reinterpret_cast<const char*>(buf_.data()), static_cast<size_t>(n), now)) return;
  }
}

// Takes N received bytes; false when the machine moved on (complete, retried or failed).
bool Storm::http_consume(Machine& m, const char* p, size_t n, TimePoint now) {
  if (!m.in_body) {
    size_t before = m.head.size();
    m.head.append(p, n);
    size_t end = m.head.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (m.head.size() > kHeaderBytesMax) {
        fail(m, "response head over 16 KiB", now);
        return false;
      }
      return true;
    }
    m.in_body = true;
    if (m.head.size() < 12 || !m.head.starts_with("HTTP/1.")) {
      fail(m, "not an HTTP/1.x response", now);
      return false;
    }
    m.status = std::atoi(m.head.c_str() + 9);
    for (size_t at = 0; at < end;) {
      size_t eol = m.head.find("\r\n", at);
      std::string line = m.head.substr(at, eol - at);
      std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::tolower(c); });
      if (line.starts_with("content-length:")) m.content_length = std::atoll(line.c_str() + 15);
      at = eol + 2;
    }
    size_t body_at = end + 4 - before;  // where the body starts within p
    p += body_at;
    n -= body_at;
    const HttpJob& j = m.jobs[m.job];
    bool ok = j.kind == Http::done ? (m.status >= 200 && m.status < 300) : m.status == 200;
    if (!ok) {
      fail(m, fmt::format("HTTP {} for {}", m.status, m.url.target.substr(0, 80)), now);
      return false;
    }
    if (m.blob && m.content_length != static_cast<long long>(m.blob->size)) {
      fail(m, fmt::format("Content-Length {} for a file of {}", m.content_length, m.blob->size), now);
      return false;
    }
  }
  if (n == 0) return m.content_length != 0 || (http_complete(m, now), false);
  if (m.content_length >= 0 && m.body_got + static_cast<long long>(n) > m.content_length) {
    fail(m, "more body than Content-Length", now);
    return false;
  }
  if (m.blob) {
    if (std::memcmp(p, m.blob->data + m.body_got, n) != 0) {
      fail(m, fmt::format("content mismatch in {} near byte {}", m.url.target.substr(0, 80), m.body_got), now);
      return false;
    }
  } else {
    if (m.body.size() + n > kScriptBytesMax) {
      fail(m, "script over 64 KiB", now);
      return false;
    }
    m.body.append(p, n);
  }
  m.body_got += static_cast<long long>(n);
  st_.bytes_http += n;
  if (m.content_length >= 0 && m.body_got == m.content_length) {
    http_complete(m, now);
    return false;
  }
  return true;
}

void Storm::http_complete(Machine& m, TimePoint now) {
  close_fd(m);
  m.http_try = 0;
  const HttpJob j = m.jobs[m.job];
  ++m.job;
  if (j.kind == Http::script) {
    on_script(m, now);
    return;
  }
  // A stage ends with its last job: the kernel before the first initrd, the last initrd before done.
  bool next_differs =
      m.job >= m.jobs.size() || m.jobs[m.job].kind != j.kind || (m.stage == kernel && j.kind == Http::blob);
  if (next_differs) {
    stage_done(m, m.stage, now);
    if (m.stage == kernel)
      m.stage = initrd;
    else if (m.stage == initrd)
      m.stage = done;
  }
  if (m.finished) return;
  http_next(m, now);
}

void Storm::on_script(Machine& m, TimePoint now) {
  std::string kernel_url, done_url, chain_url;
  std::vector<std::string> initrds;
  size_t at = 0;
  while (at < m.body.size()) {
    size_t eol = m.body.find('\n', at);
    if (eol == std::string::npos) eol = m.body.size();
    auto w = words(std::string_view(m.body).substr(at, eol - at));
    at = eol + 1;
    if (w.empty()) continue;
    for (const auto& word : w) {
      size_t d = word.find("/done?token=");
      if (d == std::string::npos) continue;
      size_t h = word.find("http://");
      if (h != std::string::npos && h < d) done_url = word.substr(h);
    }
    if (w[0] == "kernel" || w[0] == "linux") kernel_url = url_arg(w);
    if (w[0] == "initrd" || w[0] == "imgfetch") initrds.push_back(url_arg(w));
    if (w[0] == "chain" && chain_url.empty()) chain_url = expand(url_arg(w), m);
  }
  if (kernel_url.empty()) {
    if (chain_url.empty()) {
      fail(m, "a script with neither kernel nor chain", now);
      return;
    }
    if (++m.chains > kChainsMax) {
      fail(m, "more than 4 chained scripts", now);
      return;
    }
    m.jobs.push_back({Http::script, chain_url});
    http_next(m, now);
    return;
  }
  stage_done(m, script, now);
  if (initrds.empty()) {
    fail(m, "a script without initrd", now);
    return;
  }
  if (o_.done && done_url.empty()) {
    fail(m, "a script without a done URL (/done?token=)", now);
    return;
  }
  m.stage = kernel;
  m.jobs.push_back({Http::blob, kernel_url});
  for (auto& u : initrds) m.jobs.push_back({Http::blob, u});
  if (o_.done) m.jobs.push_back({Http::done, done_url});
  http_next(m, now);
}

// ---------------------------------------------------------------- timers

void Storm::tick(TimePoint now) {
  for (Machine& m : machines_) {
    if (m.finished || m.wait == Wait::none || now < m.deadline) continue;
    switch (m.wait) {
      case Wait::start:
        m.t_start = now;
        dhcp_start(m, false, now);
        break;
      case Wait::dhcp:
        if (++m.dhcp_try >= (m.stage == dhcp_ipxe ? 5 : 4)) {
          const char* kind = m.proxying                          ? "no ACK from the proxy's 4011"
                             : m.requesting                      ? "no ACK"
                             : !proxy_                           ? "no OFFER"
                             : m.offered == 0 && m.proxy_id == 0 ? "no OFFER"
                             : m.offered == 0                    ? "no address OFFER"
                                                                 : "no proxy OFFER";
          fail(m, kind, now);
          break;
        }
        ++st_.dhcp_resends;
        dhcp_send(m, now);
        break;
      case Wait::tftp:
        if (++m.tftp_try >= 6) {
          fail(m, m.have_tid ? "timeout mid-transfer" : "no reply to RRQ", now);
          break;
        }
        ++st_.tftp_resends;
        sendto(m.fd, m.tftp_last.data(), m.tftp_last.size(), 0, reinterpret_cast<const sockaddr*>(&m.tftp_dst),
               sizeof m.tftp_dst);
        m.deadline = now + std::chrono::seconds(4);
        break;
      case Wait::connect_delay:
        http_connect(m, now);
        break;
      case Wait::http:
        http_retry(m, "no progress for the HTTP timeout", now);
        break;
      case Wait::none:
        break;
    }
  }
}

ProcSample sample_all(const std::vector<int>& pids) {
  ProcSample sum;
  for (int pid : pids) {
    ProcSample s = sample_tree(pid);
    sum.cpu_s += s.cpu_s;
    sum.hwm_kb += s.hwm_kb;
    sum.rss_kb += s.rss_kb;
    sum.procs += s.procs;
  }
  return sum;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  if (k > 0) --k;
  return v[std::min(k, v.size() - 1)];
}

int Storm::run() {
  open_dhcp_socket();
  ProcSample s0 = sample_all(o_.server_pids);
  rusage r0{}, r1{};
  getrusage(RUSAGE_SELF, &r0);
  t0_ = Clock::now();
  for (Machine& m : machines_) {
    double at = o_.ramp > 0 ? static_cast<double>(m.index) / o_.ramp : 0;
    arm(m, Wait::start, t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at)));
  }
  auto limit = t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.time_limit));
  std::vector<epoll_event> evs(512);
  TimePoint next_tick = t0_;
  long peak_hwm = s0.hwm_kb;
  TimePoint next_sample = t0_ + std::chrono::seconds(1);
  TimePoint turn = t0_;
  while (true) {
    TimePoint now = Clock::now();
    if (now >= next_tick) {
      tick(now);
      next_tick = now + std::chrono::milliseconds(10);
    }
    if (!o_.server_pids.empty() && now >= next_sample) {
      peak_hwm = std::max(peak_hwm, sample_all(o_.server_pids).hwm_kb);
      next_sample = now + std::chrono::seconds(1);
    }
    if (finished_ == machines_.size() || now >= limit) break;
    int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 10);
    now = Clock::now();
    st_.loop_max_s = std::max(st_.loop_max_s, secs(turn, now) - 0.010 * (n == 0));
    turn = now;
    on_dhcp_socket(now);
    for (int i = 0; i < n; ++i) {
      uint64_t tag = evs[i].data.u64;
      if (tag == kDhcpTag) continue;  // read above
      Machine& m = machines_[tag];
      if (m.finished || m.fd < 0) continue;
      if (m.stage == tftp)
        on_tftp(m, now);
      else if (m.wait == Wait::http)
        on_http(m, evs[i].events, now);
    }
  }
  TimePoint end = Clock::now();
  for (Machine& m : machines_)
    if (!m.finished) fail(m, m.wait == Wait::start ? "time limit (never started)" : "time limit", end);
  ProcSample s1 = sample_all(o_.server_pids);
  s1.hwm_kb = std::max(s1.hwm_kb, peak_hwm);
  getrusage(RUSAGE_SELF, &r1);
  report(secs(t0_, end), s0, s1, r0, r1);
  long failed = 0;
  for (const Machine& m : machines_) failed += m.failed ? 1 : 0;
  return failed == 0 ? 0 : 1;
}

double tv_s(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

void Storm::report(double wall, const ProcSample& s0, const ProcSample& s1, const rusage& r0, const rusage& r1) {
  std::vector<double> installer;  // per machine: start to initrd fetched
  std::vector<double> total;      // start to done
  std::array<std::vector<double>, kStages> stage;
  double first_start = 1e18, first_in = 1e18, last_in = 0;
  long ok = 0, failed = 0;
  for (const Machine& m : machines_) {
    double start = secs(t0_, m.t_start);
    if (m.t_start != TimePoint{}) first_start = std::min(first_start, start);
    if (m.failed) {
      ++failed;
      continue;
    }
    ++ok;
    installer.push_back(m.t_end[initrd] - start);
    total.push_back(m.t_end[done] - start);
    first_in = std::min(first_in, m.t_end[initrd]);
    last_in = std::max(last_in, m.t_end[initrd]);
    double prev = start;
    for (int s = 0; s < kStages; ++s) {
      if (m.t_end[s] == 0) continue;  // done skipped (--no-done)
      stage[s].push_back(m.t_end[s] - prev);
      prev = m.t_end[s];
    }
  }
  if (first_start > 1e17) first_start = 0;
  // The machine last in the installer: its stage ends, to see where a long tail comes from.
  Json slowest = nullptr;
  const Machine* last = nullptr;
  for (const Machine& m : machines_)
    if (!m.failed && (!last || m.t_end[initrd] > last->t_end[initrd])) last = &m;
  if (last) {
    slowest = {{"mac", mac_text(*last, ':')}, {"start_s", rounded(secs(t0_, last->t_start), 3)}};
    for (int s = 0; s < kStages; ++s) slowest[std::string(kStageNames[s]) + "_end_s"] = rounded(last->t_end[s], 3);
  }
  bool all = failed == 0 && ok > 0;
  double cpu_server = s1.cpu_s - s0.cpu_s;
  double cpu_client = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
  Json stages = Json::object();
  for (int s = 0; s < kStages; ++s)
    stages[kStageNames[s]] = {{"p50_s", rounded(percentile(stage[s], 0.5), 3)},
                              {"p99_s", rounded(percentile(stage[s], 0.99), 3)},
                              {"max_s", rounded(percentile(stage[s], 1.0), 3)}};
  uint64_t bytes = st_.bytes_tftp + st_.bytes_http;
  Json j{{"machines", machines_.size()},
         {"dhcp_mode", o_.dhcp_mode},
         {"ok", ok},
         {"failed", failed},
         {"loss_pct", o_.loss_pct},
         {"ramp_per_s", o_.ramp},
         {"first_in_installer_s", ok ? rounded(first_in - first_start, 3) : 0.0},
         // first DHCP of the first machine to the last machine's initrd fetched (null unless all got there)
         {"all_in_installer_s", all ? Json(rounded(last_in - first_start, 3)) : Json(nullptr)},
         {"p50_s", rounded(percentile(installer, 0.5), 3)},
         {"p99_s", rounded(percentile(installer, 0.99), 3)},
         {"max_s", rounded(percentile(installer, 1.0), 3)},
         {"done_p50_s", rounded(percentile(total, 0.5), 3)},
         {"stages", stages},
         {"failures", Json(st_.failures)},
         {"failed_detail", st_.failed_detail},
         {"http_retry_reasons", Json(st_.retries)},
         {"slowest", slowest},
         {"bytes", bytes},
         {"bytes_tftp", st_.bytes_tftp},
         {"bytes_http", st_.bytes_http},
         {"dropped_by_loss", st_.dropped},
         {"dhcp_resends", st_.dhcp_resends},
         {"dhcp_replies", st_.dhcp_replies},
         {"dhcp_replies_late", st_.dhcp_replies_late},
         {"dhcp_replies_unknown", st_.dhcp_replies_unknown},
         {"loop_max_s", st_.loop_max_s},
         {"tftp_resends", st_.tftp_resends},
         {"http_retries", st_.http_retries},
         {"send_errors", st_.send_errors},
         {"wall_s", rounded(wall, 3)},
         {"server_cpu_s", !o_.server_pids.empty() ? Json(rounded(cpu_server, 2)) : Json(nullptr)},
         {"server_peak_rss_kb", !o_.server_pids.empty() ? Json(s1.hwm_kb) : Json(nullptr)},
         {"client_cpu_s", rounded(cpu_client, 2)},
         {"client_peak_rss_kb", r1.ru_maxrss}};
  if (o_.json) {
    fmt::print("{}\n", j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  fmt::print("storm: {} machines, {} ok, {} failed, DHCP {}, loss {} %, {}\n", machines_.size(), ok, failed,
             proxy_ ? "from a proxyDHCP beside an address server"
             : l2_  ? "on one L2 (broadcast)"
                    : "relayed",
             o_.loss_pct, o_.ramp > 0 ? fmt::format("ramp {}/s", o_.ramp) : std::string("all at once"));
  fmt::print("in the installer: first {:.2f} s, all {}, per machine p50 {:.2f} s p99 {:.2f} s max {:.2f} s\n",
             ok ? first_in - first_start : 0.0, all ? fmt::format("{:.2f} s", last_in - first_start) : "-",
             percentile(installer, 0.5), percentile(installer, 0.99), percentile(installer, 1.0));
  fmt::print("| stage | p50 s | p99 s | max s |\n|---|---|---|---|\n");
  for (int s = 0; s < kStages; ++s)
    fmt::print("| {} | {:.3f} | {:.3f} | {:.3f} |\n", kStageNames[s], percentile(stage[s], 0.5),
               percentile(stage[s], 0.99), percentile(stage[s], 1.0));
  for (const auto& [k, v] : st_.failures) fmt::print("failed: {} x {}\n", v, k);
  fmt::print("{:.1f} MB ({:.1f} TFTP), dropped by --loss {}, resends DHCP {} TFTP {}, HTTP retries {}; wall {:.2f} s\n",
             static_cast<double>(bytes) / 1e6, static_cast<double>(st_.bytes_tftp) / 1e6, st_.dropped, st_.dhcp_resends,
             st_.tftp_resends, st_.http_retries, wall);
  if (!o_.server_pids.empty()) fmt::print("server {:.2f} CPU-s, peak RSS {} kB; ", cpu_server, s1.hwm_kb);
  fmt::print("client {:.2f} CPU-s, peak RSS {} kB\n", cpu_client, r1.ru_maxrss);
}

}  // namespace

int storm_main(int argc, char** argv) {
  Options o;
  CLI::App app{"ringboot-bench storm: N simulated machines from the first DHCP to the installer's done callback",
               "ringboot-bench storm"};
  auto dflt = [](auto v) { return fmt::format("{}", v); };
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--machines", o.machines, "simulated machines (1..65536)")->default_str(dflt(o.machines));
  app.add_option("--dhcp-mode", o.dhcp_mode,
                 "relay: DHCP relayed from RELAY:67; l2: broadcast from 0.0.0.0:68 on --interface, no relay; "
                 "proxy: l2 beside an address server, the server under test a proxyDHCP (4011)")
      ->check(CLI::IsMember({"relay", "l2", "proxy"}))
      ->default_str(o.dhcp_mode);
  app.add_option("--interface", o.interface, "l2 and proxy modes: the interface the DHCP client socket is bound to");
  app.add_option("--server", o.server, "the DHCP server's address (relay mode: relayed to its port 67)")
      ->default_str(o.server);
  app.add_option("--relay", o.relay, "relay mode: giaddr, and the relay socket binds RELAY:67")->default_str(o.relay);
  app.add_option("--root", o.root,
                 "local copy of the boot root: the TFTP file, kernel and initrds are checked "
                 "byte for byte against it")
      ->required();
  app.add_option("--ramp", o.ramp, "machines started per second (0: all at once)")->default_str(dflt(o.ramp));
  app.add_option("--loss", o.loss_pct,
                 "percent of received DHCP and TFTP packets dropped, and of HTTP "
                 "connections whose first SYN is lost (1 s)")
      ->default_str(dflt(o.loss_pct));
  app.add_option("--seed", o.seed, "loss and UUID RNG seed")->default_str(dflt(o.seed));
  app.add_option("--mac-base", o.mac_base, "machine i's MAC is 52:54:00 + (BASE + i)")->default_str(dflt(o.mac_base));
  app.add_flag("!--no-bind-leased", o.bind_leased,
               "TFTP and HTTP from the host's own address (the relay's in relay mode), not the leased one");
  app.add_flag("!--no-done", o.done, "skip the done callback");
  app.add_option("--server-pid", o.server_pids, "report this process tree's CPU seconds and peak RSS (repeat: summed)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--time-limit", o.time_limit, "seconds; machines not done by then fail")
      ->default_str(dflt(o.time_limit));
  app.add_option("--http-timeout", o.http_timeout_s, "seconds without progress before an HTTP try fails")
      ->default_str(dflt(o.http_timeout_s));
  app.add_option("--http-rcvbuf", o.http_rcvbuf,
                 "SO_RCVBUF of each HTTP socket (0: the kernel's autotuning, which at N = 1,000 takes the host "
                 "past tcp_mem's pressure mark)")
      ->default_str(dflt(o.http_rcvbuf));
  app.add_option("--http-tries", o.http_tries, "HTTP tries a request gets")->default_str(dflt(o.http_tries));
  app.add_flag("--json", o.json, "one JSON object instead of the table");
  try {
    app.parse(argc, argv);
    if (o.machines < 1 || o.machines > kMachinesMax) throw CLI::ValidationError("--machines", "must be 1..65536");
    if (o.loss_pct < 0 || o.loss_pct > 100) throw CLI::ValidationError("--loss", "must be 0..100");
    if (o.mac_base < 0 || o.mac_base + o.machines > (1 << 24)) throw CLI::ValidationError("--mac-base", "out of range");
    if (o.http_tries < 1 || o.http_timeout_s < 1) throw CLI::ValidationError("--http-tries", "must be >= 1");
    if (o.dhcp_mode != "relay" && (o.interface.empty() || o.interface.size() >= IFNAMSIZ))
      throw CLI::ValidationError("--interface", "l2 mode needs the client interface's name");
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(o.machines) + 64)
    die(fmt::format("{} machines need {} descriptors, RLIMIT_NOFILE is {}", o.machines, o.machines + 64, rl.rlim_cur));
  Storm s(o);
  return s.run();
}

}  // namespace bench
