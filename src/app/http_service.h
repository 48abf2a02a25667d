// HTTP/1.1 on one worker's ring: listeners with multishot accept, a fixed
// pool of connection slots, and bodies sent from the page cache by sendfile
// from the loop, a chunk per writable socket. Request parsing and response
// decisions are src/http's.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/counters.h"
#include "api/events.h"
#include "api/service.h"
#include "api/tokens.h"
#include "app/api_shared.h"
#include "app/config.h"
#include "app/fleet_service.h"
#include "base/timer_heap.h"
#include "http/connection.h"
#include "http/counters.h"
#include "http/request.h"
#include "http/response.h"
#include "io/file.h"
#include "io/ring.h"
#include "io/tcp.h"

namespace ringboot {

// Renders the whole /metrics page (every worker's counters).
using MetricsRenderer = std::function<std::string()>;

class HttpService {
 public:
  // `tick`: the worker's clocks for this loop turn (see Tick). `fleet`: the
  // per-machine boot engine (shared by the workers), answering /boot.ipxe and
  // /ipxe when profiles or groups are configured, and the installer's
  // callbacks. `api`: the admin API's listener and tokens (on when
  // api.enabled()), counted in `api_counters`; `shared`: what the API's
  // listeners of every worker share (sessions, the subscriber count).
  HttpService(io::Ring& ring, const Tick& tick, io::FileCache& files, const HttpSettings& settings,
              const ApiSettings& api, std::uint32_t connections_max, http::HttpCounters& counters,
              api::ApiCounters& api_counters, MetricsRenderer metrics, SharedFleet* fleet, ApiShared* shared = nullptr);
  ~HttpService();
  bool start(std::string* error);
  void on_completion(const io::Completion& c, Instant now);
  Instant next_deadline() const {
    if (!deferred_.empty()) return Instant{};  // connections wait for a turn: do not sleep
    return subscribers_.empty() ? timers_.next() : std::min(timers_.next(), stream_tick_);
  }
  void on_timers(Instant now);
  // The start of a loop turn: a new send budget ([http] turn_bytes), spent
  // first on the connections the last turn left waiting.
  void begin_turn(Instant now);
  // SIGHUP: new tunables for new work; listeners and bounds stay as started.
  void reload(const HttpSettings& settings, const ApiSettings& api);
  std::size_t active() const { return slots_.size() - free_.size(); }
  // Shutdown: close the listeners and idle connections; responses in flight go on.
  void stop_accepting();

 private:
  enum Listener : std::uint8_t { kBoot = 0, kMetricsOnly = 1, kApi = 2 };
  // One listening socket: each address of [http] listen, metrics_listen and
  // [api] listen is one, and its role is what it serves.
  struct ListenSocket {
    int fd = -1;
    Listener role = kBoot;
  };
  struct Slot {
    int fd = -1;
    std::uint32_t generation = 0;
    Listener listener = kBoot;
    std::unique_ptr<http::RequestParser> parser;
    std::optional<http::Connection> timing;
    std::string pending;  // received bytes not yet parsed (pipelining)
    std::string out;      // response head (and small inline bodies)
    io::GatherSend gather;
    std::size_t out_sent = 0;
    io::OpenFile* file = nullptr;
    std::uint64_t body_offset = 0;
    std::uint64_t body_left = 0;  // not yet sent
    std::uint32_t ops = 0;        // operations in flight: the fd is closed only at 0
    bool receiving = false;
    bool keep_alive = false;
    bool closing = false;
    bool drain_input = false;   // an error was answered: received bytes are dropped, then a lingering close
    bool gathered = false;      // the body went with the head in one send
    bool reading_body = false;  // the request's body is being read (API and callbacks only)
    int status = 0;
    Endpoint peer;
    std::string method;  // of the request being answered, for the access log
    std::string path;
    std::uint64_t response_bytes = 0;
    Instant response_started{};
    // An event stream subscriber (GET /api/v1/events): `out` is the send in
    // flight, `stream_queue` what waits for it; both count against
    // [api] subscriber_buffer_bytes.
    bool streaming = false;
    bool stream_in_flight = false;
    std::uint64_t stream_after = 0;  // the feed's sequence it has had everything up to
    api::EventFilter stream_filter;
    std::string stream_queue;
    Instant stream_written{};  // bytes last queued: the keepalive's clock
    std::uint64_t stream_events = 0;
    std::uint64_t stream_queued = 0;       // bytes queued since it started (response_bytes: sent)
    std::uint64_t stream_queued_tick = 0;  // stream_queued at the end of the last tick
  };

  void on_accept(const io::Completion& c, Instant now);
  void on_receive(Slot& slot, std::uint32_t index, const io::Completion& c, Instant now);
  void on_send(Slot& slot, std::uint32_t index, const io::Completion& c, Instant now);
  void process_input(Slot& slot, std::uint32_t index, Instant now);
  void respond(Slot& slot, std::uint32_t index, const http::Request& request, Instant now);
  // /boot.ipxe and /ipxe from the fleet engine; false: not the fleet's.
  bool respond_fleet(Slot& slot, std::uint32_t index, const http::Request& request, Instant now);
  bool respond_grub(Slot& slot, std::uint32_t index, const http::Request& request, Instant now);
  // The body bound of a request whose body is read (the API listener's,
  // the installer's callbacks); nullopt: the body is never read.
  std::optional<std::size_t> body_bound(const Slot& slot, const http::Request& request) const;
  // The admin API (its own listener) and the installer's callbacks (the boot listener).
  void respond_api(Slot& slot, std::uint32_t index, const http::Request& request, bool callback, Instant now);
  void send_api(Slot& slot, std::uint32_t index, const api::Response& response, bool keep_alive, Instant now,
                bool head_only = false);
  void start_response(Slot& slot, std::uint32_t index, http::ResponsePlan plan, Instant now);
  // The event stream: a subscriber from an authorised GET /api/v1/events
  // (503 past subscribers_max), every tick the changes since each one's
  // sequence, sends one at a time, a subscriber over its bound dropped.
  void start_stream(Slot& slot, std::uint32_t index, const api::StreamStart& start, Instant now);
  void pump_streams(Instant now);
  void stream_queue(Slot& slot, std::uint32_t index, std::string text, Instant now);
  void stream_flush(Slot& slot, std::uint32_t index, Instant now);
  void stream_sent(Slot& slot, std::uint32_t index, std::uint64_t sent, Instant now);
  void drop_subscriber(Slot& slot, std::uint32_t index, std::string_view reason);
  void send_out(Slot& slot, std::uint32_t index);
  void next_chunk(Slot& slot, std::uint32_t index, Instant now);
  void response_done(Slot& slot, std::uint32_t index, Instant now);
  void linger(Slot& slot, std::uint32_t index, Instant now);
  void close(Slot& slot, std::uint32_t index);
  void maybe_free(Slot& slot, std::uint32_t index);
  void arm_timer(Slot& slot, std::uint32_t index);
  io::Tag tag(std::uint8_t kind, std::uint32_t index) const;

  io::Ring& ring_;
  const Tick& tick_;
  io::FileCache& files_;
  HttpSettings settings_;
  http::HttpCounters& counters_;
  MetricsRenderer metrics_;
  SharedFleet* fleet_;
  ApiSettings api_;
  api::TokenTable tokens_;
  api::ApiCounters& api_counters_;
  std::optional<FleetApiAccess> access_;
  std::unique_ptr<io::BufferRing> buffers_;
  TimerHeap timers_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  // Writable connections the turn's budget did not reach, oldest first; each
  // at most once (it has no operation in flight while it waits), so at most
  // connections_max. A tag's generation skips one closed meanwhile.
  std::deque<io::Tag> deferred_;
  std::uint64_t turn_budget_ = 0;
  std::vector<ListenSocket> listeners_;  // a completion's Tag index is the position here
  bool operator_listeners_ = false;      // a metrics or API listener is open
  bool draining_ = false;
  ApiShared* shared_;
  std::vector<std::uint32_t> subscribers_;  // slots streaming events, this worker's
  Instant stream_tick_ = kNever;
};

}  // namespace ringboot
