// A deterministic, seeded simulation harness for the pure engines: a virtual
// clock with an event queue, and a datagram network that loses, duplicates,
// reorders and delays by a seed (after TigerBeetle's packet_simulator.zig).
//
// Everything random comes from one std::mt19937_64 seeded from the run's
// seed, and events at the same instant run in the order they were scheduled,
// so a seed replays exactly. Nothing here reads a real clock.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/endpoint.h"
#include "base/time.h"

namespace ringboot::sim {

class World {
 public:
  explicit World(std::uint64_t seed) : rng(seed) {}

  Instant now() const { return now_; }
  Instant start() const { return start_; }
  Duration elapsed() const { return now_ - start_; }

  void at(Instant when, std::function<void()> fn) {
    if (when < now_) when = now_;
    queue_.push(Event{when, next_seq_++, std::move(fn)});
  }
  void after(Duration d, std::function<void()> fn) { at(now_ + d, std::move(fn)); }

  // Runs events until the queue is empty, `limit` is passed or `events_max`
  // ran. Returns false when it stopped for a limit (a livelock, for the caller).
  bool run(Instant limit = kNever, std::uint64_t events_max = 50'000'000) {
    while (!queue_.empty()) {
      if (queue_.top().when > limit || events_ >= events_max) return false;
      Event e = std::move(const_cast<Event&>(queue_.top()));
      queue_.pop();
      now_ = e.when;
      ++events_;
      e.fn();
    }
    return true;
  }
  std::size_t pending() const { return queue_.size(); }
  std::uint64_t events() const { return events_; }

  // Random helpers; all draw from `rng`.
  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
  Duration between(Duration lo, Duration hi) {
    return Duration(static_cast<Duration::rep>(
        uniform(static_cast<std::uint64_t>(lo.count()), static_cast<std::uint64_t>(hi.count()))));
  }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[uniform(0, v.size() - 1)];
  }

  std::mt19937_64 rng;

 private:
  struct Event {
    Instant when;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  Instant start_ = Instant{} + std::chrono::hours(1);
  Instant now_ = start_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
};

struct NetConfig {
  double loss = 0;       // per datagram
  double duplicate = 0;  // per datagram: a second copy with its own delay
  double reorder = 0;    // per copy: an extra delay up to reorder_delay_max
  Duration latency_min = microseconds(50);
  Duration latency_max = milliseconds(2);
  Duration reorder_delay_max = milliseconds(30);
  // Windows [from, to) in which every datagram is lost (a cable pulled, a switch rebooting).
  std::vector<std::pair<Instant, Instant>> outages;

  std::string describe() const;
};

struct Datagram {
  Endpoint from;
  Endpoint to;
  std::vector<std::uint8_t> bytes;
};

struct NetStats {
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t delivered = 0;
};

class Network {
 public:
  Network(World& world, NetConfig config) : world_(world), config_(std::move(config)) {}

  // Called for each copy that arrives; the scenario routes it.
  std::function<void(const Datagram&)> deliver;
  // Called for each datagram the network drops (the scenario attributes it).
  std::function<void(const Datagram&)> on_loss;

  void send(Endpoint from, Endpoint to, Bytes bytes) {
    ++stats_.sent;
    Datagram d{from, to, std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
    if (in_outage(world_.now()) || world_.chance(config_.loss)) {
      ++stats_.lost;
      if (on_loss) on_loss(d);
      return;
    }
    if (world_.chance(config_.duplicate)) {
      ++stats_.duplicated;
      schedule(d);
    }
    schedule(std::move(d));
  }

  const NetConfig& config() const { return config_; }
  const NetStats& stats() const { return stats_; }

 private:
  bool in_outage(Instant t) const {
    for (const auto& [from, to] : config_.outages)
      if (t >= from && t < to) return true;
    return false;
  }
  void schedule(Datagram d) {
    Duration delay = world_.between(config_.latency_min, config_.latency_max);
    if (world_.chance(config_.reorder)) {
      ++stats_.reordered;
      delay += world_.between(Duration::zero(), config_.reorder_delay_max);
    }
    world_.after(delay, [this, d = std::move(d)] {
      ++stats_.delivered;
      if (deliver) deliver(d);
    });
  }

  World& world_;
  NetConfig config_;
  NetStats stats_;
};

// A network drawn from the seed: anything from a clean LAN to a bad one.
NetConfig random_net(World& world, bool lossless, Duration run_length);

// File contents derived from (file id, offset), so a block served from the
// wrong offset or file never verifies.
inline std::uint8_t file_byte(std::uint32_t file_id, std::uint64_t offset) {
  std::uint64_t x = offset / 8 * 0x9e3779b97f4a7c15ULL + file_id * 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 31;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 29;
  return static_cast<std::uint8_t>(x >> (8 * (offset % 8)));
}

// Violations found in one run; empty means it passed.
class Violations {
 public:
  template <class... Parts>
  void add(Parts&&... parts) {
    std::string s;
    (s += ... += to_text(std::forward<Parts>(parts)));
    if (list_.size() < 12) list_.push_back(std::move(s));
    ++count_;
  }
  bool empty() const { return count_ == 0; }
  std::size_t count() const { return count_; }
  const std::vector<std::string>& list() const { return list_; }

 private:
  static std::string to_text(const std::string& s) { return s; }
  static std::string to_text(std::string_view s) { return std::string(s); }
  static std::string to_text(const char* s) { return s; }
  template <class T>
  static std::string to_text(T v) {
    return std::to_string(v);
  }
  std::vector<std::string> list_;
  std::size_t count_ = 0;
};

// What one seed's run reports: violations, and a summary printed on replay.
struct RunReport {
  Violations violations;
  std::string summary;
};

// Runs `run` for each seed: RINGBOOT_SIM_SEED=N runs only seed N (printing
// its summary); RINGBOOT_SIM_SEEDS=N runs seeds 1..N; else 1..default_seeds.
// A failing seed is reported with the command that replays it.
void run_seeds(std::uint64_t default_seeds, const std::function<RunReport(std::uint64_t seed)>& run);

std::string ms(Duration d);  // "12.345ms"

}  // namespace ringboot::sim
