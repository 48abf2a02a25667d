#include "app/http_service.h"

#include <algorithm>
#include <bit>
#include <chrono>

#include <fmt/format.h>

#include "api/ui.h"
#include "app/kinds.h"
#include "base/log.h"
#include "fleet/grub.h"
#include "http/path.h"
#include "http/query.h"
#include "io/udp.h"

namespace ringboot {

namespace {
constexpr std::uint16_t kTcpBufferGroup = 2;
constexpr unsigned kTcpBuffers = 1024;
static_assert(std::has_single_bit(kTcpBuffers), "a provided-buffer ring holds a power of two");
constexpr unsigned kTcpBufferBytes = 4096;
// Bodies up to this size go out with the head in one send from the shared
// mapping; larger ones go by sendfile from the page cache, a chunk at a time.
constexpr std::uint64_t kGatherBytesMax = std::uint64_t{64} * 1024;
constexpr int kListenBacklog = 4096;
// Slots the boot listener leaves free for a separate metrics listener, so a
// flood of boot clients does not blind the operator's scrapes.
constexpr std::size_t kMetricsReservedSlots = 4;
// How often each worker takes the engine's changes for its event stream
// subscribers: a change reaches a page within this, and a burst of changes
// to one machine is one event.
constexpr Duration kStreamTick = milliseconds(100);

http::Lookup lookup_of(io::OpenError e) {
  switch (e) {
    case io::OpenError::none:
      return http::Lookup::ok;
    case io::OpenError::not_found:
      return http::Lookup::not_found;
    case io::OpenError::access:
    case io::OpenError::not_regular:
      return http::Lookup::forbidden;
    default:
      return http::Lookup::error;
  }
}
}  // namespace

HttpService::HttpService(io::Ring& ring, const Tick& tick, io::FileCache& files, const HttpSettings& settings,
                         const ApiSettings& api, std::uint32_t connections_max, http::HttpCounters& counters,
                         api::ApiCounters& api_counters, MetricsRenderer metrics, SharedFleet* fleet, ApiShared* shared)
    : ring_(ring),
      tick_(tick),
      files_(files),
      settings_(settings),
      counters_(counters),
      metrics_(std::move(metrics)),
      fleet_(fleet),
      api_(api),
      tokens_(api.tokens),
      api_counters_(api_counters),
      timers_(connections_max),
      slots_(connections_max),
      shared_(shared) {
  if (fleet_ != nullptr) access_.emplace(*fleet_);
  free_.reserve(connections_max);
  subscribers_.reserve(connections_max);
  for (std::uint32_t i = connections_max; i > 0; --i) free_.push_back(i - 1);
}

HttpService::~HttpService() {
  for (auto& slot : slots_) {
    io::close_fd(slot.fd);
  }
  for (const ListenSocket& l : listeners_) io::close_fd(l.fd);
}

bool HttpService::start(std::string* error) {
  buffers_ = io::BufferRing::create(ring_, kTcpBufferGroup, kTcpBuffers, kTcpBufferBytes, error);
  if (!buffers_) return false;
  const std::pair<const std::vector<Endpoint>*, Listener> roles[] = {
      {&settings_.listen, kBoot}, {&settings_.metrics_listen, kMetricsOnly}, {&api_.listen, kApi}};
  for (const auto& [endpoints, role] : roles) {
    if (role == kApi && !(api_.enabled() && access_)) continue;
    for (const Endpoint& e : *endpoints) {
      const int fd = io::tcp_listen(e, kListenBacklog, true, error);
      if (fd < 0) return false;
      const auto index = static_cast<std::uint32_t>(listeners_.size());
      listeners_.push_back(ListenSocket{fd, role});
      if (role != kBoot) operator_listeners_ = true;
      io::tcp_accept(ring_, fd, io::Tag{kHttpAccept, index, 0});
    }
  }
  return true;
}

io::Tag HttpService::tag(std::uint8_t kind, std::uint32_t index) const {
  return io::Tag{kind, index, slots_[index].generation};
}

void HttpService::on_completion(const io::Completion& c, Instant now) {
  if (c.tag.kind == kHttpAccept) return on_accept(c, now);
  Slot& slot = slots_[c.tag.index];
  if (slot.generation != c.tag.generation || slot.fd < 0) {
    // Cannot happen while slots wait for their last operation; recycle anyway.
    if (c.has_buffer()) buffers_->recycle(c.buffer_id());
    return;
  }
  switch (c.tag.kind) {
    case kHttpReceive:
      on_receive(slot, c.tag.index, c, now);
      break;
    case kHttpSend:
      on_send(slot, c.tag.index, c, now);
      break;
    case kHttpPoll:
      --slot.ops;
      if (slot.closing) return maybe_free(slot, c.tag.index);
      if (c.res < 0) return close(slot, c.tag.index);
      if (turn_budget_ == 0) {
        deferred_.push_back(c.tag);  // writable, but this turn has sent its share: the next one
        counters_.turn_deferrals.inc();
        break;
      }
      next_chunk(slot, c.tag.index, now);
      break;
    default:
      break;
  }
}

void HttpService::stop_accepting() {
  draining_ = true;
  for (std::uint32_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].fd < 0) continue;
    io::cancel(ring_, io::Tag{kHttpAccept, i, 0});
    io::close_fd(listeners_[i].fd);
    listeners_[i].fd = -1;
  }
  for (std::uint32_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    if (slot.fd >= 0 && slot.timing->phase() != http::Connection::Phase::sending) close(slot, index);
  }
}

void HttpService::on_accept(const io::Completion& c, Instant now) {
  if (c.tag.index >= listeners_.size() || listeners_[c.tag.index].fd < 0) {  // draining: the listener is gone
    if (c.res >= 0) io::close_fd(c.res);
    return;
  }
  const ListenSocket& socket = listeners_[c.tag.index];
  const Listener listener = socket.role;
  if (!c.more()) io::tcp_accept(ring_, socket.fd, io::Tag{kHttpAccept, c.tag.index, 0});
  if (c.res < 0) {
    log(LogLevel::warn, "http.accept_error", "errno={}", -c.res);
    return;
  }
  const int fd = c.res;
  // The operator's listeners (metrics, API) keep a few slots a boot flood cannot take.
  const std::size_t reserved = listener == kBoot && operator_listeners_ ? kMetricsReservedSlots : 0;
  if (free_.size() <= reserved) {
    counters_.rejected_connections.inc();
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
    io::reject_connection(fd, as_bytes(kBusy));
    return;
  }
  const std::uint32_t index = free_.back();
  free_.pop_back();
  Slot& slot = slots_[index];
  slot.fd = fd;
  slot.listener = listener;
  http::ParserLimits limits;
  limits.header_bytes_max = settings_.header_bytes_max;
  limits.headers_max = settings_.headers_max;
  slot.parser = std::make_unique<http::RequestParser>(limits);
  slot.timing.emplace(now, http::ConnectionTimeouts{settings_.header_timeout, settings_.idle_timeout,
                                                    settings_.send_timeout, settings_.lingering_timeout});
  counters_.connections_active.add(1);
  io::tcp_configure(fd);
  slot.peer = io::peer_endpoint(fd);
  io::tcp_receive(ring_, *buffers_, fd, tag(kHttpReceive, index));
  slot.receiving = true;
  ++slot.ops;
  arm_timer(slot, index);
}

void HttpService::on_receive(Slot& slot, std::uint32_t index, const io::Completion& c, Instant now) {
  if (c.has_buffer()) {
    // After an error response nothing more is parsed: what still comes is dropped.
    if (!slot.closing && !slot.drain_input && c.res > 0)
      slot.pending.append(reinterpret_cast<const char*>(buffers_->buffer(c.buffer_id())),
                          static_cast<std::size_t>(c.res));
    buffers_->recycle(c.buffer_id());
  }
  const bool ended = !c.more();
  if (ended) {
    --slot.ops;
    slot.receiving = false;
  }
  if (slot.closing) return maybe_free(slot, index);
  if (c.res == -ENOBUFS) {
    ring_.counters().buffers_exhausted.inc();
  } else if (c.res <= 0) {
    return close(slot, index);  // the peer closed, or the connection failed
  }
  if (ended) {
    ring_.counters().rearms.inc();
    io::tcp_receive(ring_, *buffers_, slot.fd, tag(kHttpReceive, index));
    slot.receiving = true;
    ++slot.ops;
  }
  // A subscriber has nothing more to ask: what it sends is dropped (its
  // close is what the receive is armed for).
  if (slot.streaming) {
    slot.pending.clear();
    return;
  }
  // Pipelined bytes wait while a response is sent; a client that floods
  // them without reading its responses is cut off.
  if (slot.pending.size() > 4 * std::size_t{settings_.header_bytes_max}) {
    counters_.malformed.inc();
    return close(slot, index);
  }
  if (slot.timing->phase() != http::Connection::Phase::sending) process_input(slot, index, now);
}

void HttpService::process_input(Slot& slot, std::uint32_t index, Instant now) {
  if (slot.closing || slot.pending.empty()) return;
  const http::Feed feed = slot.parser->feed(as_bytes(slot.pending));
  switch (feed.status) {
    case http::ParseStatus::need_more:
      slot.pending.clear();  // the parser keeps what it needs
      slot.timing->on_bytes(now);
      arm_timer(slot, index);
      return;
    case http::ParseStatus::error:
      slot.pending.clear();
      slot.drain_input = true;  // the client may still be sending: linger after the error
      counters_.malformed.inc();
      // assign(count, char): g++ 12 -O3 warns falsely on operator=(const char*)
      // here (-Werror=restrict, GCC PR 105329).
      slot.method.assign(1, '-');
      slot.path.assign(1, '-');
      slot.timing->on_response_started(now);
      if (slot.listener == kApi)  // the API answers JSON, even to a head it cannot parse
        return send_api(
            slot, index,
            api::error(feed.error_status, fmt::format("malformed request: {}", http::reason_phrase(feed.error_status))),
            false, now);
      return start_response(slot, index, http::plan_error(feed.error_status, false, false, tick_.unix_seconds), now);
    case http::ParseStatus::ready: {
      slot.pending.erase(0, feed.consumed);
      const http::Request& request = slot.parser->request();
      if (request.has_body && !slot.reading_body) {
        if (const std::optional<std::size_t> bound = body_bound(slot, request)) {
          // The API and the callbacks read their body (bounded, Content-Length
          // only) under the header timeout; every other route refuses one.
          slot.reading_body = true;
          if (const int status = slot.parser->read_body(*bound); status != 0) {
            slot.drain_input = true;
            slot.method = request.method_name;
            slot.path = request.path.substr(0, 512);
            slot.timing->on_response_started(now);
            const std::string reason = status == 411
                                           ? std::string("send the body with a Content-Length (chunked is not read)")
                                           : fmt::format("the body is larger than {} bytes", *bound);
            return send_api(slot, index, api::error(status, reason, api::endpoint_of(request.path)), false, now);
          }
          return process_input(slot, index, now);
        }
      }
      slot.timing->on_response_started(now);
      return respond(slot, index, request, now);
    }
  }
}

std::optional<std::size_t> HttpService::body_bound(const Slot& slot, const http::Request& request) const {
  if (slot.listener == kApi) return api_.body_bytes_max;
  if (slot.listener == kBoot && fleet_ != nullptr && fleet_->enabled() && api::is_callback(request.path))
    return fleet_->read([](const fleet::Fleet& f) { return std::size_t{f.config().settings.event_bytes_max}; });
  return std::nullopt;
}

void HttpService::respond(Slot& slot, std::uint32_t index, const http::Request& request, Instant now) {
  counters_.record_method(request.method);
  slot.method = request.method_name;
  // The access log's copy of the target: bounded, without the callbacks' token
  // (on any listener and any path: a token sent to the wrong place is still a token).
  slot.path = http::redact_query_value(std::string_view(request.target).substr(0, 512), "token");
  const bool callback =
      slot.listener == kBoot && fleet_ != nullptr && fleet_->enabled() && api::is_callback(request.path);
  if (slot.listener == kApi || callback) return respond_api(slot, index, request, callback, now);
  const std::int64_t now_unix = tick_.unix_seconds;
  const bool head_only = request.method == http::Method::head;
  const bool metrics_here = slot.listener == kMetricsOnly || settings_.metrics_listen.empty();
  const std::string_view path = request.path;
  if (path == "/metrics" && metrics_here && request.method != http::Method::other)
    return start_response(slot, index,
                          http::plan_simple(200, "text/plain; version=0.0.4; charset=utf-8", metrics_(),
                                            request.keep_alive, head_only, now_unix),
                          now);
  if (slot.listener == kMetricsOnly)
    return start_response(slot, index, http::plan_error(404, request.keep_alive, head_only, now_unix), now);
  if (respond_fleet(slot, index, request, now)) return;
  const std::optional<std::string> relative = http::resolve_target_path(path);
  io::OpenError error = io::OpenError::access;
  io::OpenFile* file = relative ? files_.open(*relative, &error) : nullptr;
  if (file == nullptr && error == io::OpenError::not_found && respond_grub(slot, index, request, now)) return;
  http::FileInfo info{};
  if (file != nullptr) {
    info = http::FileInfo{file->stat.size, file->stat.mtime_sec, file->stat.mtime_nsec, file->stat.inode};
    error = io::OpenError::none;
  } else {
    log(LogLevel::debug, "http.refused", "path=\"{}\" reason={}", path, io::to_string(error));
  }
  http::ResponsePlan plan =
      http::plan_file_response(request, lookup_of(error), info, relative ? *relative : std::string(path), now_unix);
  if (file != nullptr && plan.body_length == 0) {
    files_.release(file);
    file = nullptr;
  }
  slot.file = file;
  start_response(slot, index, std::move(plan), now);
}

bool HttpService::respond_fleet(Slot& slot, std::uint32_t index, const http::Request& request, Instant now) {
  if (fleet_ == nullptr || !fleet_->enabled() || (request.path != "/boot.ipxe" && request.path != "/ipxe"))
    return false;
  const std::int64_t now_unix = tick_.unix_seconds;
  const bool head_only = request.method == http::Method::head;
  const std::optional<std::string_view> host =
      request.host ? std::optional<std::string_view>(*request.host) : std::nullopt;
  if (request.path == "/boot.ipxe" && request.method != http::Method::other) {
    start_response(slot, index,
                   http::plan_simple(200, "text/plain", fleet_->chain(host), request.keep_alive, head_only, now_unix),
                   now);
  } else if (request.path == "/ipxe" && request.method == http::Method::get) {
    // Each GET is one boot decision (an install start counts): HEAD is refused.
    std::string script = fleet_->ipxe(request.target, slot.peer.ip, host, tick_.unix_ms);
    start_response(slot, index,
                   http::plan_simple(200, "text/plain", std::move(script), request.keep_alive, false, now_unix), now);
  } else {
    start_response(slot, index, http::plan_error(405, request.keep_alive, head_only, now_unix), now);
  }
  return true;
}

// GRUB's config names where no file of that name is in the root: each GET
// is one boot decision, as /ipxe's (HEAD is refused).
bool HttpService::respond_grub(Slot& slot, std::uint32_t index, const http::Request& request, Instant now) {
  if (fleet_ == nullptr || !fleet_->enabled() || !fleet::parse_grub_name(request.path)) return false;
  const std::int64_t now_unix = tick_.unix_seconds;
  if (request.method != http::Method::get) {
    start_response(slot, index,
                   http::plan_error(405, request.keep_alive, request.method == http::Method::head, now_unix), now);
    return true;
  }
  const std::optional<std::string_view> host =
      request.host ? std::optional<std::string_view>(*request.host) : std::nullopt;
  std::optional<std::string> config = fleet_->grub(request.path, slot.peer.ip, host, tick_.unix_ms);
  if (!config) return false;
  start_response(slot, index,
                 http::plan_simple(200, "text/plain", std::move(*config), request.keep_alive, false, now_unix), now);
  return true;
}

void HttpService::respond_api(Slot& slot, std::uint32_t index, const http::Request& request, bool callback,
                              Instant now) {
  const std::int64_t now_unix = tick_.unix_seconds;
  const auto view = [](const std::optional<std::string>& h) {
    return h ? std::optional<std::string_view>(*h) : std::nullopt;
  };
  const api::Request r{request.method_name,
                       request.target,
                       request.path,
                       view(request.authorization),
                       request.body,
                       view(request.cookie),
                       view(request.content_type),
                       view(request.last_event_id)};
  const std::size_t event_bytes_max = body_bound(slot, request).value_or(0);
  // The page's files (no token: they hold no data), then the API.
  const bool ui = !callback && api::is_ui(request.path);
  const api::Response response =
      callback ? api::callback(*access_, r, event_bytes_max, now_unix)
      : ui ? api::ui(r, request.if_none_match ? std::optional<std::string_view>(*request.if_none_match) : std::nullopt)
           : api::handle(*access_, tokens_, r, now_unix, shared_ != nullptr ? &shared_->sessions() : nullptr);
  if (response.stream) return start_stream(slot, index, *response.stream, now);
  // The page's logins: who (the token's name, never the token), or why not.
  if (response.endpoint == api::Endpoint::session && slot.path == "/ui/login")
    log(response.status < 400 ? LogLevel::info : LogLevel::warn, "api.login", "client={} status={} who=\"{}\"",
        slot.peer.to_string(), response.status, response.status < 400 ? response.log : std::string("-"));
  for (const api::Audit& a : response.audit)
    log(a.durable ? LogLevel::info : LogLevel::warn, "api.audit",
        "who=\"{}\" what={} mac={} before=\"{}\" after=\"{}\"{}", a.who, a.what, a.mac, a.before, a.after,
        a.durable ? "" : " durable=false");
  // The installer's reports: fleet.done / fleet.event with the machine and the engine's answer.
  if (callback)
    log(response.status < 300 ? LogLevel::info : LogLevel::warn,
        response.endpoint == api::Endpoint::done ? "fleet.done" : "fleet.event",
        "mac={} result={} status={} client={} message=\"{}\"", response.mac.empty() ? std::string("-") : response.mac,
        response.log, response.status, slot.peer.to_string(),
        std::string_view(request.body).substr(0, response.endpoint == api::Endpoint::events ? 512 : 0));
  send_api(slot, index, response, request.keep_alive, now, request.method == http::Method::head);
}

void HttpService::send_api(Slot& slot, std::uint32_t index, const api::Response& response, bool keep_alive, Instant now,
                           bool head_only) {
  api_counters_.record(response.endpoint, response.status);
  std::string headers =
      response.headers.find("Cache-Control:") == std::string::npos ? "Cache-Control: no-store\r\n" : "";
  if (!response.allow.empty()) headers += fmt::format("Allow: {}\r\n", response.allow);
  if (response.authenticate) headers += "WWW-Authenticate: Bearer realm=\"ringboot\"\r\n";
  headers += response.headers;
  // A 304's body is only there for its Content-Length (api/ui.h): never sent.
  start_response(slot, index,
                 http::plan_with_headers(response.status, response.content_type, headers, response.body, keep_alive,
                                         head_only || response.status == 304, tick_.unix_seconds),
                 now);
}

void HttpService::start_response(Slot& slot, std::uint32_t index, http::ResponsePlan plan, Instant now) {
  slot.status = plan.status;
  slot.keep_alive = plan.keep_alive;
  slot.out = std::move(plan.head);
  slot.out += plan.inline_body;
  slot.out_sent = 0;
  slot.body_offset = plan.body_offset;
  slot.body_left = slot.file != nullptr ? plan.body_length : 0;
  slot.response_bytes = 0;
  slot.response_started = now;
  slot.gathered = slot.body_left > 0 && slot.body_left <= kGatherBytesMax && !slot.file->data.empty();
  arm_timer(slot, index);
  send_out(slot, index);
}

void HttpService::send_out(Slot& slot, std::uint32_t index) {
  const Bytes head = as_bytes(std::string_view(slot.out).substr(slot.out_sent));
  const Bytes body = slot.gathered ? slot.file->data.subspan(slot.body_offset, slot.body_left) : Bytes{};
  if (head.empty() && body.empty()) return next_chunk(slot, index, tick_.now);
  if (body.empty()) {
    io::tcp_send(ring_, slot.fd, head.data(), head.size(), slot.body_left > 0, tag(kHttpSend, index));
  } else {
    io::tcp_send_gather(ring_, slot.fd, slot.gather, head, body, tag(kHttpSend, index));
  }
  ++slot.ops;
}

void HttpService::on_send(Slot& slot, std::uint32_t index, const io::Completion& c, Instant now) {
  --slot.ops;
  if (slot.closing) return maybe_free(slot, index);
  if (c.res < 0) return close(slot, index);
  auto sent = static_cast<std::uint64_t>(c.res);
  if (slot.streaming) return sent == 0 ? close(slot, index) : stream_sent(slot, index, sent, now);
  slot.response_bytes += sent;
  const std::uint64_t head = std::min<std::uint64_t>(sent, slot.out.size() - slot.out_sent);
  slot.out_sent += head;
  if (slot.gathered) {
    slot.body_offset += sent - head;
    slot.body_left -= sent - head;
  }
  slot.timing->on_send_progress(now);
  arm_timer(slot, index);
  send_out(slot, index);
}

void HttpService::begin_turn(Instant now) {
  turn_budget_ = settings_.turn_bytes;
  while (turn_budget_ > 0 && !deferred_.empty()) {
    const io::Tag t = deferred_.front();
    deferred_.pop_front();
    Slot& slot = slots_[t.index];
    if (slot.generation != t.generation || slot.fd < 0 || slot.closing) continue;  // closed while it waited
    next_chunk(slot, t.index, now);
  }
}

void HttpService::next_chunk(Slot& slot, std::uint32_t index, Instant now) {
  if (slot.body_left == 0) return response_done(slot, index, now);
  const std::uint64_t chunk = std::min<std::uint64_t>(slot.body_left, settings_.chunk_bytes);
  const std::int64_t sent = io::send_file(slot.fd, slot.file->fd, slot.body_offset, chunk);
  // 0: the file shrank under us; the response cannot be completed.
  if (sent <= 0 && sent != -EAGAIN) return close(slot, index);
  if (sent > 0) {
    const auto n = static_cast<std::uint64_t>(sent);
    slot.body_offset += n;
    slot.body_left -= n;
    slot.response_bytes += n;
    turn_budget_ -= std::min(turn_budget_, n);
    slot.timing->on_send_progress(now);
    arm_timer(slot, index);
    if (slot.body_left == 0) return response_done(slot, index, now);
  }
  // The next chunk once the socket has room (at once when it has: the poll
  // completes in the next batch), so one client's body never holds the loop
  // from the others for more than a chunk.
  io::poll_writable(ring_, slot.fd, tag(kHttpPoll, index));
  ++slot.ops;
}

void HttpService::response_done(Slot& slot, std::uint32_t index, Instant now) {
  counters_.record_status(slot.status);
  counters_.bytes.inc(slot.response_bytes);
  const double elapsed = std::chrono::duration<double>(now - slot.response_started).count();
  counters_.response_seconds.observe(elapsed);
  // The access log: which machine fetched which file (a scrape is debug only).
  log(slot.path == "/metrics" ? LogLevel::debug : LogLevel::info, "http.response",
      "client={} method={} path=\"{}\" status={} bytes={} duration_ms={:.2f}", slot.peer.to_string(), slot.method,
      slot.path, slot.status, slot.response_bytes, elapsed * 1000.0);
  if (slot.file != nullptr && fleet_ != nullptr && fleet_->enabled()) {
    // A boot file fetched over HTTP (a loader, a kernel, an initrd), over
    // either family: its machine's timeline moves on.
    fleet::Fetch f;
    f.peer = slot.peer.ip;
    f.path = slot.path;
    f.ok = slot.status == 200;
    f.detail = log_fields("http path=\"{}\" status={} bytes={} duration_ms={:.1f}", slot.path, slot.status,
                          slot.response_bytes, elapsed * 1000.0);
    fleet_->fetched(std::move(f), tick_.unix_ms);
  }
  if (slot.file != nullptr) {
    files_.release(slot.file);
    slot.file = nullptr;
  }
  if (!slot.keep_alive || draining_) {
    // Unread input would turn our close into a reset that destroys the response.
    if (slot.drain_input || !slot.pending.empty()) return linger(slot, index, now);
    return close(slot, index);
  }
  slot.parser->reset();
  slot.reading_body = false;
  slot.timing->on_response_done(now, true);
  if (!slot.pending.empty()) slot.timing->on_bytes(now);
  arm_timer(slot, index);
  process_input(slot, index, now);
}

void HttpService::arm_timer(Slot& slot, std::uint32_t index) { timers_.set(index, slot.timing->deadline()); }

void HttpService::reload(const HttpSettings& settings, const ApiSettings& api) {
  HttpSettings next = settings;
  next.listen = settings_.listen;
  next.metrics_listen = settings_.metrics_listen;
  next.connections_max = settings_.connections_max;
  settings_ = next;
  // New tokens (SIGHUP re-reads the tokens file) and bounds; the listener stays as started.
  ApiSettings next_api = api;
  next_api.listen = api_.listen;
  api_ = std::move(next_api);
  tokens_ = api::TokenTable(api_.tokens);
  if (shared_ != nullptr) shared_->sessions().configure(api_.sessions_max, api_.session_lifetime_seconds);
}

void HttpService::on_timers(Instant now) {
  for (std::int64_t id; (id = timers_.pop_expired(now)) >= 0;) {
    const auto index = static_cast<std::uint32_t>(id);
    Slot& slot = slots_[index];
    if (slot.fd < 0 || slot.closing || !slot.timing->expired(now)) continue;
    // The end of a lingering close is its bound, not a client's fault.
    if (slot.timing->phase() != http::Connection::Phase::lingering) counters_.timeouts.inc();
    if (slot.streaming) {
      drop_subscriber(slot, index, "no send progress for send_timeout_ms");
      continue;
    }
    close(slot, index);
  }
  if (!subscribers_.empty() && now >= stream_tick_) {
    stream_tick_ = now + kStreamTick;
    pump_streams(now);
  }
}

void HttpService::linger(Slot& slot, std::uint32_t index, Instant now) {
  slot.drain_input = true;
  slot.pending.clear();
  slot.timing->on_lingering(now);
  io::shutdown_write(slot.fd);
  counters_.lingering_closes.inc();
  if (!slot.receiving) {
    io::tcp_receive(ring_, *buffers_, slot.fd, tag(kHttpReceive, index));
    slot.receiving = true;
    ++slot.ops;
  }
  arm_timer(slot, index);
}

void HttpService::close(Slot& slot, std::uint32_t index) {
  if (slot.closing) return;
  slot.closing = true;
  if (slot.streaming) {
    if (shared_ != nullptr) shared_->unsubscribe();
    api_counters_.subscribers.add(-1);
    std::erase(subscribers_, index);
    log(LogLevel::info, "api.stream_end", "client={} events={} bytes={} duration_ms={:.0f}", slot.peer.to_string(),
        slot.stream_events, slot.response_bytes,
        std::chrono::duration<double, std::milli>(tick_.now - slot.response_started).count());
  }
  slot.timing->close();
  timers_.cancel(index);
  // Shut down first so pending receives and sends complete at once; the
  // descriptor itself is closed only after the last completion.
  io::shutdown_fd(slot.fd);
  io::cancel_fd(ring_, slot.fd);
  maybe_free(slot, index);
}

void HttpService::maybe_free(Slot& slot, std::uint32_t index) {
  if (slot.ops > 0) return;
  io::close_fd(slot.fd);
  if (slot.file != nullptr) files_.release(slot.file);
  counters_.connections_active.add(-1);
  const std::uint32_t generation = slot.generation + 1;
  slot = Slot{};
  slot.generation = generation;
  free_.push_back(index);
}

// --- the event stream -------------------------------------------------------------

void HttpService::start_stream(Slot& slot, std::uint32_t index, const api::StreamStart& start, Instant now) {
  if (shared_ == nullptr || !shared_->subscribe(api_.subscribers_max)) {
    log(LogLevel::warn, "api.stream_refused", "client={} reason=subscribers_max subscribers_max={}",
        slot.peer.to_string(), api_.subscribers_max);
    api::Response busy = api::error(
        503, fmt::format("{} event streams are open, the [api] subscribers_max: try again later", api_.subscribers_max),
        api::Endpoint::stream);
    busy.headers = "Retry-After: 5\r\n";
    return send_api(slot, index, busy, false, now);
  }
  api_counters_.record(api::Endpoint::stream, 200);
  api_counters_.subscribers.add(1);
  slot.streaming = true;
  slot.status = 200;
  slot.keep_alive = false;
  slot.response_started = now;
  slot.response_bytes = 0;
  slot.stream_filter = start.filter;
  slot.pending.clear();
  // The kernel's buffer is bounded like ours: a stalled reader pins at most
  // about twice subscriber_buffer_bytes (Linux doubles SO_SNDBUF) there.
  io::tcp_send_buffer(slot.fd, api_.subscriber_buffer_bytes);
  subscribers_.push_back(index);
  std::size_t machines = 0;
  std::uint64_t last = 0;
  bool held = true;
  fleet_->read([&](const fleet::Fleet& f) {
    machines = f.machines();
    last = f.feed().last();
    if (start.resume_after) held = f.feed().holds(*start.resume_after);
    return 0;
  });
  // No Content-Length and no chunking: the stream ends when the connection does.
  std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
  const std::uint64_t from = start.resume_after && held ? *start.resume_after : last;
  text += api::hello_event(machines, from);
  if (start.resume_after && !held) {
    text += api::reset_event(last);
    api_counters_.events_sent.inc();
    ++slot.stream_events;
  }
  slot.stream_after = from;
  slot.timing->on_streaming(now);
  log(LogLevel::info, "api.stream_start", "client={} stage={} rollout=\"{}\" resume={} subscribers={}",
      slot.peer.to_string(), slot.stream_filter.stage ? fleet::to_string(*slot.stream_filter.stage) : "-",
      slot.stream_filter.rollout.value_or("-"),
      !start.resume_after ? "none"
      : held              ? "resumed"
                          : "reset",
      shared_->subscribers());
  if (subscribers_.size() == 1) stream_tick_ = now + kStreamTick;
  if (from < last) stream_tick_ = now;  // the missed changes at once
  stream_queue(slot, index, std::move(text), now);
}

void HttpService::pump_streams(Instant now) {
  const std::uint64_t newest = fleet_->feed_last();
  const bool behind = std::any_of(subscribers_.begin(), subscribers_.end(),
                                  [&](std::uint32_t i) { return slots_[i].stream_after != newest; });
  std::vector<api::ChangedView> views;
  std::vector<std::uint32_t> reset;
  std::uint64_t last = newest;
  if (behind) {
    // Under the engine's lock: who can resume, and each changed machine's
    // view once for every subscriber of this worker.
    fleet_->read([&](const fleet::Fleet& f) {
      last = f.feed().last();
      std::uint64_t from = last;
      for (const std::uint32_t i : subscribers_) {
        Slot& s = slots_[i];
        if (!f.feed().holds(s.stream_after)) {
          reset.push_back(i);
          s.stream_after = last;
        }
        from = std::min(from, s.stream_after);
      }
      if (from < last) views = api::changed_since(f, from);
      return 0;
    });
  }
  const std::vector<std::uint32_t> subscribers = subscribers_;  // a drop changes subscribers_
  for (const std::uint32_t i : subscribers) {
    Slot& s = slots_[i];
    if (!s.streaming || s.closing) continue;
    std::string text;
    std::size_t events = 0;
    if (std::find(reset.begin(), reset.end(), i) != reset.end()) {
      text = api::reset_event(last);
      ++events;
    }
    const std::size_t unsent = (s.out.size() - s.out_sent) + s.stream_queue.size();
    const std::size_t room = api_.subscriber_buffer_bytes > unsent ? api_.subscriber_buffer_bytes - unsent : 0;
    const api::Rendered r = api::render_for(views, s.stream_filter, s.stream_after, room, text);
    events += r.events;
    // Not all fits: fine if it took everything it had by the last tick (the
    // rest goes as it drains); if it has not, and more is waiting, it is not
    // keeping up and the server does not wait for it.
    const bool stale = s.response_bytes < s.stream_queued_tick;
    if (!r.complete && (stale || (r.events == 0 && unsent == 0))) {
      drop_subscriber(s, i, "its unsent output would pass subscriber_buffer_bytes");
      continue;
    }
    // Complete: it has everything up to `last`; else the rest waits for room.
    s.stream_after = r.complete ? std::max(r.after, last) : r.after;
    if (text.empty() && now - s.stream_written >= api_.events_keepalive) text = api::sse_comment("keepalive");
    s.stream_events += events;
    api_counters_.events_sent.inc(events);
    stream_queue(s, i, std::move(text), now);
    s.stream_queued_tick = s.stream_queued;
  }
}

void HttpService::stream_queue(Slot& slot, std::uint32_t index, std::string text, Instant now) {
  if (text.empty()) return;
  slot.stream_queued += text.size();
  slot.stream_queue += text;
  slot.stream_written = now;
  stream_flush(slot, index, now);
}

void HttpService::stream_flush(Slot& slot, std::uint32_t index, Instant now) {
  if (slot.closing || slot.stream_in_flight || slot.stream_queue.empty()) return;
  slot.out = std::move(slot.stream_queue);
  slot.stream_queue.clear();
  slot.out_sent = 0;
  io::tcp_send(ring_, slot.fd, slot.out.data(), slot.out.size(), false, tag(kHttpSend, index));
  ++slot.ops;
  slot.stream_in_flight = true;
  slot.timing->on_stream_send(now);
  arm_timer(slot, index);
}

void HttpService::stream_sent(Slot& slot, std::uint32_t index, std::uint64_t sent, Instant now) {
  slot.response_bytes += sent;
  counters_.bytes.inc(sent);
  slot.out_sent += sent;
  slot.timing->on_send_progress(now);
  if (slot.out_sent < slot.out.size()) {
    const std::string_view rest = std::string_view(slot.out).substr(slot.out_sent);
    io::tcp_send(ring_, slot.fd, rest.data(), rest.size(), false, tag(kHttpSend, index));
    ++slot.ops;
    arm_timer(slot, index);
    return;
  }
  slot.stream_in_flight = false;
  slot.out.clear();
  slot.out_sent = 0;
  if (!slot.stream_queue.empty()) return stream_flush(slot, index, now);
  slot.timing->on_stream_idle();
  arm_timer(slot, index);
}

void HttpService::drop_subscriber(Slot& slot, std::uint32_t index, std::string_view reason) {
  api_counters_.subscribers_dropped.inc();
  log(LogLevel::warn, "api.subscriber_dropped", "client={} reason=\"{}\" unsent_bytes={} events={}",
      slot.peer.to_string(), reason, (slot.out.size() - slot.out_sent) + slot.stream_queue.size(), slot.stream_events);
  close(slot, index);
}

}  // namespace ringboot
