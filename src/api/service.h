// The admin API and the installer's callbacks, as pure functions of a
// request: route, authorise, call the fleet engine, render JSON. The HTTP
// service in src/app parses the request (body included, bounded), calls
// these, sends the answer, logs the audit lines and counts the status.
//
// Admin listener (loopback by default), Authorization: Bearer TOKEN:
//   GET    /api/v1/machines[?state=S&label=L&profile=P&group=G&rollout=R]   read
//   GET    /api/v1/machines/{mac}                                 read
//   PUT    /api/v1/machines/{mac}  {"hostname": H, "labels": [...]}     admin
//   DELETE /api/v1/machines/{mac}                                 admin
//   PUT    /api/v1/machines/{mac}/next-boot  {"profile": P, "once": B, "rollout": R}  admin
//   POST   /api/v1/machines/{mac}/reset                           admin
//   POST   /api/v1/next-boot  {"selector": {...}, "profile": P, "once": B, "rollout": R}  admin
//   GET    /api/v1/profiles                                       read
//   GET    /api/v1/rollouts                                       read
//   GET    /api/v1/rollouts/{name}  (+ failed_machines, stuck_machines)  read
// ("rollout" is optional: the machines join that rollout, fleet/rollout.h.)
//   GET    /api/v1/events[?stage=S&rollout=R]  (text/event-stream) read
// The web page's session (a read role, by cookie), on the same listener:
//   POST   /ui/login   token=T (a form)  303 to /ui/ with Set-Cookie, 401 a wrong token
//   POST   /ui/logout                    303 to /ui/, the session ended
// A session cookie does for Authorization on every read route; a write
// with only a cookie is 403.
// Boot listener, only while per-machine boot is on, token=T from the install script:
//   POST   /api/v1/machines/{mac}/done?token=T
//   POST   /api/v1/machines/{mac}/events?token=T   (the body: one progress message)
// The page's files under /ui/: api/ui.h.
// Errors are {"error": "reason"}: 401 no or unknown token, 403 a read token
// that writes (and a refused callback), 400 malformed JSON or MAC, 404
// unknown machine, rollout or route, 405 wrong method (Allow), 409 inventory
// full or a new rollout over [fleet] rollouts_max, 411/413 from the body reader, 422 unknown profile or group, 503 the
// store did not make the change durable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/counters.h"
#include "api/events.h"
#include "api/sessions.h"
#include "api/tokens.h"
#include "fleet/engine.h"

namespace ringboot::api {

// The engine as the API reaches it: SharedFleet in src/app (one engine for
// every worker, under its lock), a plain Fleet in the tests.
class FleetAccess {
 public:
  virtual ~FleetAccess() = default;
  virtual void read(const std::function<void(const fleet::Fleet&)>& f) const = 0;
  // Runs `f` on the engine under the lock and waits for the store: false
  // when what `f` changed is in memory only (the store failed).
  virtual bool change(const std::function<void(fleet::Fleet&)>& f) = 0;
};

struct Request {
  std::string_view method;  // as sent: "GET", "PUT"...
  std::string_view target;  // the raw request-target, with its query
  std::string_view path;    // percent-decoded, without the query
  std::optional<std::string_view> authorization;
  std::string_view body;
  std::optional<std::string_view> cookie = {};         // the Cookie header
  std::optional<std::string_view> content_type = {};   // of the body
  std::optional<std::string_view> last_event_id = {};  // Last-Event-ID (the event stream's resume)
};

// GET /api/v1/events, authorised: the app turns the connection into a
// subscriber (its bounds are the app's) and streams from `after`.
struct StreamStart {
  EventFilter filter;
  std::optional<std::uint64_t> resume_after;  // Last-Event-ID; nullopt: from now on
};

// One change, for the audit log: who (the token's name), what, the machine,
// and the machine before and after (audit_summary).
struct Audit {
  std::string who;
  std::string what;  // next_boot, bulk_next_boot, declare, reset, forget, done
  std::string mac;
  std::string before;
  std::string after;
  bool durable = true;
};

struct Response {
  int status = 200;
  std::string body;  // JSON, but for the page's files (api/ui.h)
  std::string content_type = "application/json";
  // Raw extra header lines, each ending "\r\n" ("ETag: ...\r\n"); one naming
  // Cache-Control replaces the API's "Cache-Control: no-store".
  std::string headers;
  std::optional<StreamStart> stream;  // set: not a response but the start of an event stream
  std::string_view allow;             // 405: the route's methods
  bool authenticate = false;          // 401: WWW-Authenticate: Bearer
  Endpoint endpoint = Endpoint::other;
  std::vector<Audit> audit;  // the changes made, one line each
  std::string log;           // a callback's result (accepted, wrong_token...), for the server's log only
  std::string mac;           // the machine a callback named, "aa:bb:cc:dd:ee:ff"
};

// The endpoint family of a request, for the metrics (also before it is handled).
Endpoint endpoint_of(std::string_view path);
// An error response with a JSON body.
Response error(int status, std::string_view reason, Endpoint endpoint = Endpoint::other);

// The admin listener's requests. `sessions`: the web page's login
// sessions (nullptr: none, /ui/login answers 503 and cookies do nothing).
Response handle(FleetAccess& fleet, const TokenTable& tokens, const Request& request, std::int64_t now_unix,
                Sessions* sessions = nullptr);

// POST .../done and .../events on the boot listener: true for their paths.
bool is_callback(std::string_view path);
// `event_bytes_max`: [fleet] event_bytes_max (the body reader bounds it too).
Response callback(FleetAccess& fleet, const Request& request, std::size_t event_bytes_max, std::int64_t now_unix);

}  // namespace ringboot::api
