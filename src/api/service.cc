#include "api/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

#include "api/ui.h"
#include "api/views.h"
#include "fleet/names.h"
#include "http/query.h"
#include "http/request.h"

namespace ringboot::api {

namespace {

using fleet::ChangeResult;

constexpr std::string_view kPrefix = "/api/v1/";

enum class Kind : std::uint8_t {
  none,
  machines,
  machine,
  next_boot,
  reset,
  bulk,
  profiles,
  done,
  events,
  rollouts,
  rollout,
  stream
};

struct Route {
  Kind kind = Kind::none;
  std::string_view mac;  // the {mac} segment, as sent (the rollout's {name} for Kind::rollout)
};

Route route_of(std::string_view path) {
  if (!path.starts_with(kPrefix)) return {};
  const std::string_view rest = path.substr(kPrefix.size());
  if (rest == "machines") return {Kind::machines, {}};
  if (rest == "next-boot") return {Kind::bulk, {}};
  if (rest == "profiles") return {Kind::profiles, {}};
  if (rest == "events") return {Kind::stream, {}};
  if (rest == "rollouts") return {Kind::rollouts, {}};
  constexpr std::string_view kRollouts = "rollouts/";
  if (rest.starts_with(kRollouts) && rest.size() > kRollouts.size())
    return {Kind::rollout, rest.substr(kRollouts.size())};
  constexpr std::string_view kMachines = "machines/";
  if (!rest.starts_with(kMachines)) return {};
  const std::string_view tail = rest.substr(kMachines.size());
  const std::size_t slash = tail.find('/');
  const std::string_view mac = tail.substr(0, slash);
  if (mac.empty()) return {};
  if (slash == std::string_view::npos) return {Kind::machine, mac};
  const std::string_view sub = tail.substr(slash + 1);
  if (sub == "next-boot") return {Kind::next_boot, mac};
  if (sub == "reset") return {Kind::reset, mac};
  if (sub == "done") return {Kind::done, mac};
  if (sub == "events") return {Kind::events, mac};
  return {};
}

Endpoint endpoint_of(Kind kind) {
  switch (kind) {
    case Kind::machines:
      return Endpoint::machines;
    case Kind::machine:
      return Endpoint::machine;
    case Kind::next_boot:
      return Endpoint::next_boot;
    case Kind::reset:
      return Endpoint::reset;
    case Kind::bulk:
      return Endpoint::bulk;
    case Kind::profiles:
      return Endpoint::profiles;
    case Kind::done:
      return Endpoint::done;
    case Kind::events:
      return Endpoint::events;
    case Kind::stream:
      return Endpoint::stream;
    case Kind::rollouts:
    case Kind::rollout:
      return Endpoint::rollouts;
    case Kind::none:
      break;
  }
  return Endpoint::other;
}

Response ok(int status, const Json& body) {
  Response r;
  r.status = status;
  r.body = dump(body);
  return r;
}

Response method_not_allowed(std::string_view allow, std::string_view method) {
  Response r = error(405, fmt::format("{} is not allowed here (allowed: {})", method, allow));
  r.allow = allow;
  return r;
}

std::string_view bearer_of(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(authorization[i]))) != kScheme[i]) return {};
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

std::optional<Mac> mac_of(std::string_view text, Response* refusal) {
  const std::optional<Mac> mac = Mac::parse_any(text);
  if (!mac)
    *refusal = error(400, fmt::format("\"{}\" is not a MAC: want aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff",
                                      std::string_view(text).substr(0, 64)));
  return mac;
}

std::string_view why(ChangeResult result) {
  switch (result) {
    case ChangeResult::ok:
      return "ok";
    case ChangeResult::unknown_machine:
      return "no such machine";
    case ChangeResult::unknown_profile:
      return "no such profile";
    case ChangeResult::inventory_full:
      return "the inventory holds [fleet] machines_max machines: a new machine does not fit";
    case ChangeResult::invalid:
      return "not of the checked form";
    case ChangeResult::rollouts_full:
      return "[fleet] rollouts_max rollouts exist: name one of them, or free one (move or forget its machines)";
  }
  return "refused";
}

// The status for an engine's refusal.
Response refused(ChangeResult result, std::string_view detail = {}) {
  const std::string reason = detail.empty() ? std::string(why(result)) : std::string(detail);
  switch (result) {
    case ChangeResult::unknown_machine:
      return error(404, reason);
    case ChangeResult::unknown_profile:
      return error(422, reason);
    case ChangeResult::inventory_full:
    case ChangeResult::rollouts_full:
      return error(409, reason);
    case ChangeResult::invalid:
    case ChangeResult::ok:
      break;
  }
  return error(400, reason);
}

Response not_durable() {
  return error(503,
               "the change is made in memory but the machine store did not write it: it is lost on restart (see the "
               "server's log)");
}

// --- request bodies ----------------------------------------------------------

// The body as a JSON object with only the `allowed` fields; nullopt with
// the 400 in *refusal. (nlohmann reports a malformed text by exception, a
// syntax error as parse_error and a number past a double, 1E400, as
// out_of_range (found by fuzz/api_fuzz): every one is caught here, the data
// path never sees one.)
std::optional<nlohmann::json> object_of(std::string_view body, std::initializer_list<std::string_view> allowed,
                                        Response* refusal) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    std::string_view what = e.what();
    if (const auto close = what.find("] "); what.starts_with("[json.exception") && close != std::string_view::npos)
      what.remove_prefix(close + 2);
    *refusal = error(400, fmt::format("malformed JSON: {}", what));
    return std::nullopt;
  }
  if (!j.is_object()) {
    *refusal = error(400, "the body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      *refusal = error(400, fmt::format("unknown field \"{}\" (fields: {})", std::string_view(key).substr(0, 64),
                                        fmt::join(allowed, ", ")));
      return std::nullopt;
    }
  }
  return j;
}

// {"profile": NAME, "once": BOOL}: the next boot of a PUT or a bulk call.
std::optional<fleet::NextBoot> next_boot_of(const nlohmann::json& j, Response* refusal) {
  const auto profile = j.find("profile");
  if (profile == j.end() || !profile->is_string()) {
    *refusal = error(400, "\"profile\" must be a string: a [[profile]] name or \"local\"");
    return std::nullopt;
  }
  fleet::NextBoot next;
  next.profile = profile->get<std::string>();
  if (const auto once = j.find("once"); once != j.end()) {
    if (!once->is_boolean()) {
      *refusal = error(400, "\"once\" must be true or false");
      return std::nullopt;
    }
    next.once = once->get<bool>();
  }
  return next;
}

std::optional<std::vector<std::string>> labels_of(const nlohmann::json& j, std::string_view field, Response* refusal) {
  if (!j.is_array() || j.size() > fleet::kLabelsMax) {
    *refusal = error(400, fmt::format("\"{}\" must be an array of at most {} labels", field, fleet::kLabelsMax));
    return std::nullopt;
  }
  std::vector<std::string> labels;
  for (const auto& label : j) {
    if (!label.is_string() || !fleet::label_ok(label.get_ref<const std::string&>())) {
      *refusal = error(400, fmt::format("\"{}\": a label is 1..{} letters, digits or ._:/=- (\"rack=a1\", \"gpu\")",
                                        field, fleet::kLabelBytesMax));
      return std::nullopt;
    }
    labels.push_back(label.get<std::string>());
  }
  return labels;
}

// "rollout": NAME, optional: "" when absent; nullopt with the 400 in *refusal.
std::optional<std::string> rollout_of(const nlohmann::json& j, Response* refusal) {
  const auto r = j.find("rollout");
  if (r == j.end()) return std::string();
  if (!r->is_string() || !fleet::rollout_name_ok(r->get_ref<const std::string&>())) {
    *refusal = error(400, fmt::format("\"rollout\" must be a name of 1..{} letters, digits, '.', '_' or '-'",
                                      fleet::kRolloutNameBytesMax));
    return std::nullopt;
  }
  return r->get<std::string>();
}

std::string_view unknown_profile_reason() { return "no [[profile]] is named so (GET /api/v1/profiles lists them)"; }

// --- the handlers --------------------------------------------------------------

struct Context {
  FleetAccess& fleet;
  const ApiToken& token;
  const Request& request;
  std::int64_t now_unix;
  bool session = false;  // authorised by the page's cookie, not a token: read only
};

std::optional<fleet::State> state_named(std::string_view name) {
  for (const fleet::State s :
       {fleet::State::local, fleet::State::install, fleet::State::installing, fleet::State::done, fleet::State::failed})
    if (fleet::to_string(s) == name) return s;
  return std::nullopt;
}

Response list(const Context& c) {
  const auto query = http::query_pairs(c.request.target);
  if (!query) return error(400, "malformed escape in the query");
  std::optional<fleet::State> state;
  std::vector<std::string> labels;
  std::optional<std::string> profile;
  std::optional<std::string> group;
  std::optional<std::string> rollout;
  for (const auto& [name, value] : *query) {
    if (name == "state") {
      if (!(state = state_named(value))) return error(400, "state must be local, install, installing, done or failed");
    } else if (name == "label") {
      labels.push_back(value);
    } else if (name == "profile") {
      profile = value;
    } else if (name == "group") {
      group = value;
    } else if (name == "rollout") {
      rollout = value;
    } else {
      return error(400, fmt::format("unknown query parameter \"{}\" (state, label, profile, group, rollout)",
                                    std::string_view(name).substr(0, 64)));
    }
  }
  std::map<Mac, Json> selected;  // in MAC order
  std::uint64_t sequence = 0;
  c.fleet.read([&](const fleet::Fleet& f) {
    sequence = f.feed().last();
    f.inventory().for_each([&](const fleet::Machine& m) {
      if (state && m.state != *state) return;
      for (const std::string& label : labels)
        if (std::find(m.labels.begin(), m.labels.end(), label) == m.labels.end()) return;
      if (profile && assignment_of(f, m).profile != *profile) return;
      if (rollout && m.rollout != *rollout) return;
      if (group) {
        const fleet::Group* g = f.group_of(m);
        if (g == nullptr || g->name != *group) return;
      }
      selected.emplace(m.mac, machine_view(f, m, Detail::summary));
    });
  });
  Json machines = Json::array();
  for (auto& [mac, view] : selected) machines.push_back(std::move(view));
  Json body;
  body["count"] = machines.size();
  body["machines"] = std::move(machines);
  // The event stream's sequence this list is as of: GET /api/v1/events
  // with Last-Event-ID: SEQUENCE misses no change after it.
  body["sequence"] = sequence;
  return ok(200, body);
}

Response show(const Context& c, const Mac& mac) {
  std::optional<Json> view;
  c.fleet.read([&](const fleet::Fleet& f) {
    if (const fleet::Machine* m = f.machine(mac)) view = machine_view(f, *m, Detail::full);
  });
  if (!view) return error(404, fmt::format("no machine {}", mac.to_string()));
  return ok(200, *view);
}

Response rollouts(const Context& c) {
  Json list = Json::array();
  c.fleet.read([&](const fleet::Fleet& f) {
    for (const fleet::RolloutSummary& r : f.rollout_summaries(c.now_unix * 1000))
      list.push_back(rollout_view(r, Detail::summary));
  });
  Json body;
  body["count"] = list.size();
  body["rollouts"] = std::move(list);
  return ok(200, body);
}

Response rollout(const Context& c, std::string_view name) {
  if (!fleet::rollout_name_ok(name))
    return error(400, fmt::format("\"{}\" is not a rollout name: 1..{} letters, digits, '.', '_' or '-'",
                                  name.substr(0, 64), fleet::kRolloutNameBytesMax));
  std::optional<Json> view;
  c.fleet.read([&](const fleet::Fleet& f) {
    const std::vector<fleet::RolloutSummary> one = f.rollout_summaries(c.now_unix * 1000, name);
    if (!one.empty()) view = rollout_view(one.front(), Detail::full);
  });
  if (!view) return error(404, fmt::format("no rollout {} (no machine is in it)", name));
  return ok(200, *view);
}

Response profiles(const Context& c) {
  Json list = Json::array();
  c.fleet.read([&](const fleet::Fleet& f) {
    for (const fleet::Profile& p : f.config().profiles) list.push_back(profile_view(p));
  });
  return ok(200, Json{{"profiles", std::move(list)}});
}

// One machine's change: `apply` runs on the engine under its lock; the view
// after it is the answer, the summaries before and after the audit line.
template <typename Apply>
Response change_one(const Context& c, const Mac& mac, std::string_view what, bool created_is_201, Apply apply) {
  ChangeResult result = ChangeResult::ok;
  bool existed = false;
  Audit audit{c.token.who(), std::string(what), mac.to_string(), {}, {}, true};
  Json view;
  const bool durable = c.fleet.change([&](fleet::Fleet& f) {
    const fleet::Machine* m = f.machine(mac);
    existed = m != nullptr;
    audit.before = audit_summary(f, m);
    result = apply(f);
    if (result != ChangeResult::ok) return;
    m = f.machine(mac);
    audit.after = audit_summary(f, m);
    view = m != nullptr ? machine_view(f, *m, Detail::full) : Json();
  });
  if (result != ChangeResult::ok) {
    if (result == ChangeResult::unknown_machine) return error(404, fmt::format("no machine {}", mac.to_string()));
    if (result == ChangeResult::unknown_profile) return refused(result, unknown_profile_reason());
    return refused(result);
  }
  audit.durable = durable;
  Response r = durable ? ok(created_is_201 && !existed ? 201 : 200, view) : not_durable();
  r.audit.push_back(std::move(audit));
  return r;
}

Response put_next_boot(const Context& c, const Mac& mac) {
  Response refusal;
  const auto body = object_of(c.request.body, {"profile", "once", "rollout"}, &refusal);
  if (!body) return refusal;
  const auto next = next_boot_of(*body, &refusal);
  if (!next) return refusal;
  const auto rollout = rollout_of(*body, &refusal);
  if (!rollout) return refusal;
  return change_one(c, mac, "next_boot", true,
                    [&](fleet::Fleet& f) { return f.set_next_boot(mac, *next, c.now_unix, *rollout); });
}

Response declare(const Context& c, const Mac& mac) {
  Response refusal;
  const auto body = object_of(c.request.body, {"hostname", "labels"}, &refusal);
  if (!body) return refusal;
  std::optional<std::string> hostname;
  std::optional<std::vector<std::string>> labels;
  if (const auto h = body->find("hostname"); h != body->end()) {
    if (!h->is_string() || h->get_ref<const std::string&>().size() > fleet::kHostnameBytesMax ||
        !fleet::hostname_ok(h->get_ref<const std::string&>()))
      return error(400, fmt::format("\"hostname\" must be a host name: letters, digits, '.' and '-', at most {}",
                                    fleet::kHostnameBytesMax));
    hostname = h->get<std::string>();
  }
  if (const auto l = body->find("labels"); l != body->end()) {
    if (!(labels = labels_of(*l, "labels", &refusal))) return refusal;
  }
  if (!hostname && !labels) return error(400, "give \"hostname\", \"labels\" or both");
  return change_one(c, mac, "declare", true, [&](fleet::Fleet& f) { return f.declare(mac, hostname, labels); });
}

Response reset(const Context& c, const Mac& mac) {
  return change_one(c, mac, "reset", false, [&](fleet::Fleet& f) { return f.reset(mac); });
}

Response forget(const Context& c, const Mac& mac) {
  ChangeResult result = ChangeResult::ok;
  bool declared = false;
  Audit audit{c.token.who(), "forget", mac.to_string(), {}, {}, true};
  const bool durable = c.fleet.change([&](fleet::Fleet& f) {
    audit.before = audit_summary(f, f.machine(mac));
    result = f.forget(mac);
    const fleet::Machine* m = f.machine(mac);  // a [[machine]] comes back as declared
    declared = m != nullptr;
    audit.after = audit_summary(f, m);
  });
  if (result != ChangeResult::ok) return error(404, fmt::format("no machine {}", mac.to_string()));
  audit.durable = durable;
  Response r = durable ? ok(200, Json{{"mac", mac.to_string()}, {"forgotten", true}, {"declared_in_config", declared}})
                       : not_durable();
  r.audit.push_back(std::move(audit));
  return r;
}

Response bulk(const Context& c) {
  Response refusal;
  const auto body = object_of(c.request.body, {"selector", "profile", "once", "rollout"}, &refusal);
  if (!body) return refusal;
  const auto next = next_boot_of(*body, &refusal);
  if (!next) return refusal;
  const auto rollout = rollout_of(*body, &refusal);
  if (!rollout) return refusal;
  const auto s = body->find("selector");
  if (s == body->end() || !s->is_object()) return error(400, "\"selector\" must be an object: macs, labels, group");
  fleet::BulkSelector selector;
  for (const auto& [key, value] : s->items()) {
    if (key == "macs") {
      if (!value.is_array()) return error(400, "\"selector.macs\" must be an array of MACs");
      for (const auto& text : value) {
        const std::optional<Mac> mac =
            text.is_string() ? Mac::parse_any(text.get_ref<const std::string&>()) : std::nullopt;
        if (!mac)
          return error(400, fmt::format("\"selector.macs\" holds {} that is not a MAC", dump(text).substr(0, 64)));
        selector.macs.push_back(*mac);
      }
    } else if (key == "labels") {
      const auto labels = labels_of(value, "selector.labels", &refusal);
      if (!labels) return refusal;
      selector.labels = *labels;
    } else if (key == "group") {
      if (!value.is_string()) return error(400, "\"selector.group\" must be a [[group]] name");
      selector.group = value.get<std::string>();
    } else {
      return error(400,
                   fmt::format("unknown selector \"{}\" (macs, labels, group)", std::string_view(key).substr(0, 64)));
    }
  }
  if (selector.macs.empty() && selector.labels.empty() && !selector.group)
    return error(400, "the selector needs a non-empty \"macs\" or \"labels\", or \"group\"");
  fleet::BulkResult result;
  bool known_group = true;
  std::vector<Audit> audit;
  const bool durable = c.fleet.change([&](fleet::Fleet& f) {
    if (selector.group) {
      const auto& groups = f.config().groups;
      known_group =
          std::any_of(groups.begin(), groups.end(), [&](const fleet::Group& g) { return g.name == *selector.group; });
      if (!known_group) return;
    }
    // Each machine's line before and after: the bulk call says how many it
    // changed, the audit which, and from what.
    std::unordered_map<std::uint64_t, std::string> before;
    f.inventory().for_each([&](const fleet::Machine& m) { before.emplace(m.mac.key(), audit_summary(f, &m)); });
    result = f.set_next_boot(selector, *next, c.now_unix, *rollout);
    if (result.result != ChangeResult::ok) return;
    f.inventory().for_each([&](const fleet::Machine& m) {
      const auto it = before.find(m.mac.key());
      std::string after = audit_summary(f, &m);
      if (it != before.end() && it->second == after) return;
      audit.push_back(Audit{c.token.who(), "bulk_next_boot", m.mac.to_string(),
                            it == before.end() ? std::string("absent") : it->second, std::move(after), true});
    });
  });
  if (!known_group) return error(422, fmt::format("no [[group]] is named \"{}\"", selector.group->substr(0, 64)));
  if (result.result == ChangeResult::unknown_profile) return refused(result.result, unknown_profile_reason());
  if (result.result != ChangeResult::ok) return refused(result.result);
  std::sort(audit.begin(), audit.end(), [](const Audit& a, const Audit& b) { return a.mac < b.mac; });
  for (Audit& a : audit) a.durable = durable;
  Response r = durable ? ok(200, Json{{"changed", result.changed}, {"refused", result.refused}}) : not_durable();
  r.audit = std::move(audit);
  return r;
}

Response stream(const Context& c) {
  std::string why;
  std::optional<EventFilter> filter = event_filter_of(c.request.target, &why);
  if (!filter) return error(400, why);
  Response r;
  r.content_type = "text/event-stream";
  StreamStart start{std::move(*filter), std::nullopt};
  if (c.request.last_event_id) start.resume_after = parse_last_event_id(*c.request.last_event_id);
  r.stream = std::move(start);
  return r;
}

// --- the web page's session -------------------------------------------------------

constexpr std::string_view kLogin = "/ui/login";
constexpr std::string_view kLogout = "/ui/logout";

std::string session_cookie(std::string_view id, std::int64_t max_age) {
  return fmt::format("Set-Cookie: {}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}\r\n", kSessionCookie, id,
                     max_age);
}

Response see_ui(std::string cookie) {
  Response r = ok(303, Json{{"location", "/ui/"}});
  r.headers = "Location: /ui/\r\n" + cookie;
  r.endpoint = Endpoint::session;
  return r;
}

// A form body's field (application/x-www-form-urlencoded): nullopt when
// absent or malformed.
std::optional<std::string> form_field(std::string_view body, std::string_view field) {
  const std::string target = "?" + std::string(body);
  const auto pairs = http::query_pairs(target);
  if (!pairs) return std::nullopt;
  for (const auto& [name, value] : *pairs)
    if (name == field) return value;
  return std::nullopt;
}

// POST /ui/login: a token (read or admin) for a read-only session. The
// token and the body are never in a log line or an answer.
Response login(const TokenTable& tokens, const Request& request, std::int64_t now_unix, Sessions* sessions) {
  if (request.method != "POST") return method_not_allowed("POST", request.method.substr(0, 16));
  if (request.content_type) {
    std::string_view type = *request.content_type;
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    std::string lower(type);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower != "application/x-www-form-urlencoded")
      return error(415, "send the login as a form: Content-Type application/x-www-form-urlencoded, field token");
  }
  const std::optional<std::string> token = form_field(request.body, "token");
  if (!token || token->empty()) return error(400, "the form needs a field named token");
  const ApiToken* found = tokens.find(*token);
  if (found == nullptr) return error(401, "unknown token");
  if (sessions == nullptr) return error(503, "sessions are not available here");
  const std::optional<std::string> id = sessions->create(now_unix);
  if (!id) return error(503, "no random bytes for a session id (see the server's log)");
  Response r = see_ui(session_cookie(*id, sessions->lifetime_seconds()));
  r.log = found->who();
  return r;
}

// POST /ui/logout: the session of the cookie ends (if any), the cookie is cleared.
Response logout(const Request& request, Sessions* sessions) {
  if (request.method != "POST") return method_not_allowed("POST", request.method.substr(0, 16));
  if (sessions != nullptr && request.cookie)
    if (const std::optional<std::string_view> id = cookie_value(*request.cookie, kSessionCookie)) sessions->end(*id);
  return see_ui(session_cookie("", 0));
}

// `method` is one of the words of `allow` ("GET, PUT, DELETE").
bool listed(std::string_view allow, std::string_view method) {
  while (!allow.empty()) {
    const std::size_t comma = allow.find(", ");
    if (allow.substr(0, comma) == method) return true;
    allow = comma == std::string_view::npos ? std::string_view() : allow.substr(comma + 2);
  }
  return false;
}

Response dispatch(const Context& c, const Route& route) {
  const std::string_view method = c.request.method;
  std::string_view allow;
  switch (route.kind) {
    case Kind::none:
      return error(404, "no such route (see /api/v1/machines, /api/v1/profiles and /api/v1/rollouts)");
    case Kind::done:
    case Kind::events:
      return error(404, "installer callbacks are served on the boot listener, not the API's");
    case Kind::machines:
    case Kind::profiles:
    case Kind::stream:
    case Kind::rollouts:
    case Kind::rollout:
      allow = "GET";
      break;
    case Kind::machine:
      allow = "GET, PUT, DELETE";
      break;
    case Kind::next_boot:
      allow = "PUT";
      break;
    case Kind::reset:
    case Kind::bulk:
      allow = "POST";
      break;
  }
  if (!listed(allow, method)) return method_not_allowed(allow, method.substr(0, 16));
  const bool write = method != "GET";
  if (write && c.session)
    return error(403, "a session cookie grants read only: changes need Authorization: Bearer with an admin token");
  if (write && c.token.role != Role::admin)
    return error(403, fmt::format("{} has a read token: changes need an admin token", c.token.who()));
  if (route.kind == Kind::machines) return list(c);
  if (route.kind == Kind::stream) return stream(c);
  if (route.kind == Kind::profiles) return profiles(c);
  if (route.kind == Kind::rollouts) return rollouts(c);
  if (route.kind == Kind::rollout) return rollout(c, route.mac);
  if (route.kind == Kind::bulk) return bulk(c);
  Response refusal;
  const std::optional<Mac> mac = mac_of(route.mac, &refusal);
  if (!mac) return refusal;
  if (route.kind == Kind::next_boot) return put_next_boot(c, *mac);
  if (route.kind == Kind::reset) return reset(c, *mac);
  if (method == "GET") return show(c, *mac);
  if (method == "PUT") return declare(c, *mac);
  return forget(c, *mac);
}

}  // namespace

Endpoint endpoint_of(std::string_view path) { return is_ui(path) ? Endpoint::ui : endpoint_of(route_of(path).kind); }

Response error(int status, std::string_view reason, Endpoint endpoint) {
  Response r;
  r.status = status;
  r.body = error_body(reason);
  r.endpoint = endpoint;
  return r;
}

Response handle(FleetAccess& fleet, const TokenTable& tokens, const Request& request, std::int64_t now_unix,
                Sessions* sessions) {
  if (request.path == kLogin || request.path == kLogout) {
    Response r = request.path == kLogin ? login(tokens, request, now_unix, sessions) : logout(request, sessions);
    r.endpoint = Endpoint::session;
    return r;
  }
  const Route route = route_of(request.path);
  const Endpoint endpoint = endpoint_of(route.kind);
  // Authenticated first: without a token nothing, not even which routes exist, is answered.
  // A token wins over a cookie; the page's session is a read role.
  static const ApiToken kSessionRole{Role::read, "", "session"};
  const ApiToken* token = nullptr;
  bool session = false;
  std::string_view why_not = "no token: send Authorization: Bearer TOKEN";
  if (request.authorization) {
    const std::string_view presented = bearer_of(*request.authorization);
    if (presented.empty())
      why_not = "Authorization must be Bearer TOKEN";
    else if (!(token = tokens.find(presented)))
      why_not = "unknown token";
  } else if (request.cookie && sessions != nullptr) {
    if (const std::optional<std::string_view> id = cookie_value(*request.cookie, kSessionCookie)) {
      session = sessions->valid(*id, now_unix);
      if (session)
        token = &kSessionRole;
      else
        why_not = "the session is unknown or expired: log in again (POST /ui/login)";
    }
  }
  if (token == nullptr) {
    Response r = error(401, why_not, endpoint);
    r.authenticate = true;
    return r;
  }
  Response r = dispatch(Context{fleet, *token, request, now_unix, session}, route);
  r.endpoint = endpoint;
  return r;
}

bool is_callback(std::string_view path) {
  const Kind kind = route_of(path).kind;
  return kind == Kind::done || kind == Kind::events;
}

Response callback(FleetAccess& fleet, const Request& request, std::size_t event_bytes_max, std::int64_t now_unix) {
  const Route route = route_of(request.path);
  const Endpoint endpoint = endpoint_of(route.kind);
  std::optional<Mac> mac;
  auto answer = [&](Response r, std::string_view result) {
    r.endpoint = endpoint;
    r.log = std::string(result);
    if (mac) r.mac = mac->to_string();
    return r;
  };
  if (route.kind != Kind::done && route.kind != Kind::events) return answer(error(404, "no such route"), "no_route");
  if (request.method != "POST") return answer(method_not_allowed("POST", request.method.substr(0, 16)), "wrong_method");
  Response refusal;
  if (!(mac = mac_of(route.mac, &refusal))) return answer(std::move(refusal), "bad_mac");
  // The token of the install script's URL; an Authorization: Bearer header does as well.
  std::string token = http::query_value(request.target, "token").value_or("");
  if (token.empty() && request.authorization) token = std::string(bearer_of(*request.authorization));
  if (token.empty())
    return answer(error(401, "no token: POST to the done_url or events_url the install script has"), "no_token");
  const bool is_done = route.kind == Kind::done;
  if (!is_done) {
    if (request.body.size() > event_bytes_max)
      return answer(error(413, fmt::format("an event is at most {} bytes ([fleet] event_bytes_max)", event_bytes_max)),
                    "too_large");
    if (request.body.empty()) return answer(error(400, "the event is empty: POST the message as the body"), "empty");
  }
  fleet::DoneResult result = fleet::DoneResult::accepted;
  Audit audit{"installer", "done", mac->to_string(), {}, {}, true};
  const bool durable = fleet.change([&](fleet::Fleet& f) {
    if (!is_done) {
      result = f.event(*mac, token, request.body, now_unix);
      return;
    }
    audit.before = audit_summary(f, f.machine(*mac));
    result = f.done(*mac, token, now_unix);
    audit.after = audit_summary(f, f.machine(*mac));
  });
  if (result == fleet::DoneResult::too_large)
    return answer(error(413, fmt::format("an event is at most {} bytes ([fleet] event_bytes_max)", event_bytes_max)),
                  "too_large");
  if (result != fleet::DoneResult::accepted)  // the caller learns only that it was refused; the log says why
    return answer(error(403, "refused: the token is wrong, used or expired"), fleet::to_string(result));
  Response r = durable ? ok(200, is_done ? Json{{"mac", mac->to_string()}, {"state", "done"}}
                                         : Json{{"mac", mac->to_string()}, {"event", "recorded"}})
                       : not_durable();
  audit.durable = durable;
  if (is_done) r.audit.push_back(std::move(audit));
  return answer(std::move(r), durable ? "accepted" : "not_durable");
}

}  // namespace ringboot::api
