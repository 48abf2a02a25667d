#include "app/machines_cli.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>

#include "api/table.h"
#include "base/mac.h"

namespace ringboot {

namespace {

using nlohmann::json;

struct Reply {
  long status = 0;  // 0: no HTTP answer
  std::string body;
  std::string error;  // why there is no answer
};

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One blocking request to the API; a JSON body for PUT and POST.
class Client {
 public:
  Client(std::string base, std::string token) : base_(std::move(base)), token_(std::move(token)) {
    if (base_.find("://") == std::string::npos) base_ = "http://" + base_;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    curl_global_init(CURL_GLOBAL_DEFAULT);
  }
  ~Client() { curl_global_cleanup(); }

  Reply call(const std::string& method, const std::string& path, const std::string& body = {}) const {
    Reply reply;
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return Reply{0, {}, "cannot start libcurl"};
    const std::string url = base_ + path;
    const std::string authorization = "Authorization: Bearer " + token_;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, authorization.c_str());
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");  // the API never answers 100 Continue: send the body at once
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> owned(headers, curl_slist_free_all);
    char error[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (method == "PUT" || method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      reply.error =
          fmt::format("cannot reach the API at {}: {}", base_, error[0] != '\0' ? error : curl_easy_strerror(rc));
      return reply;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
  }

  // GET `path` as a stream: `on_data` gets the body as it arrives (false
  // stops), `stop` is polled about once a second and ends it. The status
  // is the answer's; error set when there was none or it broke off.
  template <typename OnData, typename Stop>
  Reply stream(const std::string& path, const std::vector<std::string>& extra_headers, OnData on_data,
               Stop stop) const {
    Reply reply;
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return Reply{0, {}, "cannot start libcurl"};
    const std::string url = base_ + path;
    const std::string authorization = "Authorization: Bearer " + token_;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, authorization.c_str());
    headers = curl_slist_append(headers, "Accept: text/event-stream");
    for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> owned(headers, curl_slist_free_all);
    struct State {
      CURL* curl;
      Reply* reply;
      OnData* on_data;
      Stop* stop;
    } state{curl.get(), &reply, &on_data, &stop};
    const auto write = +[](char* data, std::size_t size, std::size_t count, void* p) -> std::size_t {
      auto* s = static_cast<State*>(p);
      long status = 0;
      curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
      if (status != 200) {  // an error's JSON: kept for the message (bounded)
        if (s->reply->body.size() < 65536) s->reply->body.append(data, size * count);
        return size * count;
      }
      return (*s->on_data)(std::string_view(data, size * count)) ? size * count : 0;
    };
    const auto progress = +[](void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
      return (*static_cast<State*>(p)->stop)() ? 1 : 0;
    };
    char error[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    if (rc != CURLE_OK)
      reply.error = rc == CURLE_ABORTED_BY_CALLBACK ? std::string("stopped")
                                                    : fmt::format("the event stream from {} broke off: {}", base_,
                                                                  error[0] != '\0' ? error : curl_easy_strerror(rc));
    return reply;
  }

  std::string escape(const std::string& text) const {
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    char* e = curl_easy_escape(curl.get(), text.c_str(), static_cast<int>(text.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
  }

 private:
  std::string base_;
  std::string token_;
};

// What went wrong with a reply, for stderr: the API's own reason when it gave one.
std::string failure(const Reply& r) {
  if (r.status == 0) return r.error;
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string())
    return fmt::format("{} {}", r.status, j["error"].get<std::string>());
  return fmt::format("{} (no JSON error in the answer)", r.status);
}

std::optional<std::string> token_of(const MachinesOptions& o, std::string* error) {
  std::string token;
  if (!o.token_file.empty()) {
    std::ifstream in(o.token_file);
    if (!in) {
      *error = fmt::format("cannot read --token-file {}", o.token_file);
      return std::nullopt;
    }
    std::getline(in, token);
  } else if (const char* env = std::getenv(kApiTokenEnvironment)) {
    token = env;
  }
  const auto first = token.find_first_not_of(" \t\r\n");
  const auto last = token.find_last_not_of(" \t\r\n");
  token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
  if (token.empty()) {
    *error = fmt::format("no API token: give --token-file FILE (the token alone on its first line) or set {}",
                         kApiTokenEnvironment);
    return std::nullopt;
  }
  return token;
}

std::string machine_path(const Mac& mac, std::string_view tail = {}) {
  return fmt::format("/api/v1/machines/{}{}", mac.to_string("-"), tail);
}

class Run {
 public:
  Run(const MachinesOptions& o, Client& client) : o_(o), client_(client) {}

  int main() {
    std::vector<Mac> macs;
    for (const std::string& text : o_.macs) {
      const std::optional<Mac> mac = Mac::parse_any(text);
      if (!mac) {
        std::fprintf(stderr, "ringboot machines: \"%s\" is not a MAC (aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff)\n",
                     text.c_str());
        return 2;
      }
      macs.push_back(*mac);
    }
    const std::string& c = o_.command;
    if (c == "list") return list();
    if (c == "watch") return watch();
    if (c == "rollouts") return rollouts();
    const bool by_selector = !o_.labels.empty() || o_.group.has_value();
    if (macs.empty() && !by_selector) {
      std::fprintf(stderr, "ringboot machines %s: name at least one MAC%s\n", c.c_str(),
                   c == "reinstall" || c == "local" ? " (or --label / --group)" : "");
      return 2;
    }
    if ((c == "reinstall" || c == "local") && by_selector) return bulk(macs);
    for (const Mac& mac : macs) one(mac);
    print_results();
    return failed_ ? 1 : 0;
  }

 private:
  int list() {
    std::vector<std::string> query;
    if (o_.state) query.push_back("state=" + client_.escape(*o_.state));
    for (const std::string& l : o_.labels) query.push_back("label=" + client_.escape(l));
    if (o_.list_profile) query.push_back("profile=" + client_.escape(*o_.list_profile));
    if (o_.group) query.push_back("group=" + client_.escape(*o_.group));
    if (o_.rollout) query.push_back("rollout=" + client_.escape(*o_.rollout));
    std::string path = "/api/v1/machines";
    for (std::size_t i = 0; i < query.size(); ++i) path += (i == 0 ? "?" : "&") + query[i];
    const Reply r = client_.call("GET", path);
    const json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object()) return error("", r);
    std::fputs(o_.json ? (j.dump(2) + "\n").c_str() : api::machines_table(j).c_str(), stdout);
    return 0;
  }

  // The table, then a row per change as the event stream brings it.
  int watch() {
    std::vector<std::string> query;
    if (o_.stage) query.push_back("stage=" + client_.escape(*o_.stage));
    if (o_.rollout) query.push_back("rollout=" + client_.escape(*o_.rollout));
    std::string events = "/api/v1/events";
    for (std::size_t i = 0; i < query.size(); ++i) events += (i == 0 ? "?" : "&") + query[i];
    std::uint64_t sequence = 0;
    if (!print_table(&sequence)) return 1;
    struct sigaction on_interrupt {};
    on_interrupt.sa_handler = [](int) { interrupted() = 1; };
    sigemptyset(&on_interrupt.sa_mask);
    sigaction(SIGINT, &on_interrupt, nullptr);
    sigaction(SIGTERM, &on_interrupt, nullptr);
    std::string buffer;
    bool failed = false;
    const auto on_data = [&](std::string_view data) {
      buffer.append(data);
      for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
        const std::string block = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        if (!on_event(block, &sequence)) {
          failed = true;
          return false;
        }
      }
      return buffer.size() < (std::size_t{1} << 20);  // an event never grows this big
    };
    // A resume from the list's sequence: no change between the two is missed.
    const Reply r = client_.stream(events, {fmt::format("Last-Event-ID: {}", sequence)}, on_data,
                                   [] { return interrupted() != 0; });
    if (interrupted() != 0) return 0;
    if (failed) return 1;
    if (r.status != 200 && r.status != 0) return error("", r);
    if (!r.error.empty()) {
      std::fprintf(stderr, "ringboot machines watch: %s\n", r.error.c_str());
      return 1;
    }
    std::fprintf(stderr, "ringboot machines watch: the event stream ended: the server closed it\n");
    return 1;
  }

  static volatile std::sig_atomic_t& interrupted() {
    static volatile std::sig_atomic_t flag = 0;
    return flag;
  }

  static bool wanted(const json& m, const MachinesOptions& o) {
    if (o.stage && m.value("stage", "") != *o.stage) return false;
    if (o.rollout && (!m.contains("rollout") || !m["rollout"].is_string() || m["rollout"] != *o.rollout)) return false;
    return true;
  }

  bool print_table(std::uint64_t* sequence) {
    const Reply r = client_.call("GET", "/api/v1/machines");
    const json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object() || !j.contains("machines") || !j["machines"].is_array()) {
      error("", r);
      return false;
    }
    *sequence = j.value("sequence", std::uint64_t{0});
    const std::int64_t now = std::time(nullptr);
    std::string out = api::watch_header();
    for (const json& m : j["machines"])
      if (wanted(m, o_)) out += api::watch_row(m, now);
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    return true;
  }

  // One SSE block ("event: ...\nid: ...\ndata: ..."); false: stop with an error.
  bool on_event(std::string_view block, std::uint64_t* sequence) {
    std::string event = "message";
    std::string data;
    while (!block.empty()) {
      const std::size_t nl = block.find('\n');
      std::string_view line = block.substr(0, nl);
      block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == ':') continue;  // a comment: the keepalive
      const std::size_t colon = line.find(':');
      const std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "event") event = value;
      if (field == "data") data += (data.empty() ? "" : "\n") + std::string(value);
      if (field == "id") {
        std::uint64_t id = 0;
        const char* const end = value.data() + value.size();
        if (const auto [at, ec] = std::from_chars(value.data(), end, id); ec == std::errc() && at == end)
          *sequence = id;
      }
    }
    if (event == "reset") {
      std::printf("-- the server no longer holds the changes since the last one seen: the table again\n");
      return print_table(sequence);
    }
    if (event != "machine" && event != "forget") return true;  // hello, and what a newer server adds
    const json m = json::parse(data, nullptr, false);
    if (!m.is_object()) {
      std::fprintf(stderr, "ringboot machines watch: an event that is not JSON: %.200s\n", data.c_str());
      return false;
    }
    if (event == "forget")
      std::printf("%s  (forgotten)\n", m.value("mac", "-").c_str());
    else if (wanted(m, o_))
      std::fputs(api::watch_row(m, std::time(nullptr)).c_str(), stdout);
    std::fflush(stdout);
    return true;
  }

  // Every rollout's line, or one rollout with its failed and stuck machines.
  int rollouts() {
    const std::string path = o_.rollout ? "/api/v1/rollouts/" + client_.escape(*o_.rollout) : "/api/v1/rollouts";
    const Reply r = client_.call("GET", path);
    const json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object()) return error(o_.rollout.value_or(""), r);
    if (o_.json)
      std::printf("%s\n", j.dump(2).c_str());
    else
      std::fputs((o_.rollout ? api::rollout_details(j) : api::rollouts_table(j)).c_str(), stdout);
    return 0;
  }

  int bulk(const std::vector<Mac>& macs) {
    if (o_.command == "reinstall" && !o_.profile) {
      std::fprintf(stderr, "ringboot machines reinstall: with --label or --group, give --profile\n");
      return 2;
    }
    json selector = json::object();
    if (!macs.empty()) {
      selector["macs"] = json::array();
      for (const Mac& m : macs) selector["macs"].push_back(m.to_string());
    }
    if (!o_.labels.empty()) selector["labels"] = o_.labels;
    if (o_.group) selector["group"] = *o_.group;
    json body = {{"selector", selector},
                 {"profile", o_.command == "local" ? std::string("local") : *o_.profile},
                 {"once", !o_.always}};
    if (o_.rollout) body["rollout"] = *o_.rollout;
    const Reply r = client_.call("POST", "/api/v1/next-boot", body.dump());
    const json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object()) return error("", r);
    if (o_.json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      const std::uint64_t refused = j.value("refused", std::uint64_t{0});
      std::printf("%llu machine(s) changed%s\n", static_cast<unsigned long long>(j.value("changed", std::uint64_t{0})),
                  refused == 0 ? "" : fmt::format(", {} refused: the inventory is full", refused).c_str());
    }
    return 0;
  }

  // One MAC's command; its answer is kept for the table (or the JSON) at the end.
  void one(const Mac& mac) {
    const std::string& c = o_.command;
    Reply r;
    if (c == "show") {
      r = client_.call("GET", machine_path(mac));
    } else if (c == "reset") {
      r = client_.call("POST", machine_path(mac, "/reset"));
    } else if (c == "forget") {
      r = client_.call("DELETE", machine_path(mac));
    } else {
      std::string profile = c == "local" ? std::string("local") : o_.profile.value_or("");
      if (profile.empty() && !(profile = group_profile(mac)).size()) return;
      json body = {{"profile", profile}, {"once", !o_.always}};
      if (o_.rollout) body["rollout"] = *o_.rollout;
      r = client_.call("PUT", machine_path(mac, "/next-boot"), body.dump());
    }
    const json j = json::parse(r.body, nullptr, false);
    if (r.status < 200 || r.status > 299 || !j.is_object()) {
      error(mac.to_string(), r);
      return;
    }
    results_.push_back(j);
  }

  // reinstall without --profile: what the machine's group installs.
  std::string group_profile(const Mac& mac) {
    const Reply r = client_.call("GET", machine_path(mac));
    const json j = json::parse(r.body, nullptr, false);
    if (r.status == 404) {
      std::fprintf(stderr, "ringboot machines reinstall: %s: %s (give --profile to create it)\n",
                   mac.to_string().c_str(), failure(r).c_str());
      failed_ = true;
      return {};
    }
    if (r.status != 200 || !j.is_object()) {
      error(mac.to_string(), r);
      return {};
    }
    const json& g = j.contains("group") ? j["group"] : json();
    if (!g.is_object() || !g.contains("profile") || !g["profile"].is_string() || g["profile"] == "local") {
      std::fprintf(stderr, "ringboot machines reinstall: %s: its group installs nothing: give --profile\n",
                   mac.to_string().c_str());
      failed_ = true;
      return {};
    }
    return g["profile"].get<std::string>();
  }

  void print_results() {
    if (results_.empty()) return;
    if (o_.json) {
      std::printf("%s\n", (results_.size() == 1 ? results_[0] : json(results_)).dump(2).c_str());
      return;
    }
    if (o_.command == "forget") {
      for (const json& r : results_)
        std::printf("%s: forgotten%s\n", r.value("mac", "").c_str(),
                    r.value("declared_in_config", false) ? " (its [[machine]] declares it again)" : "");
      return;
    }
    if (o_.command == "show") {
      for (std::size_t i = 0; i < results_.size(); ++i)
        std::printf("%s%s", i == 0 ? "" : "\n", api::machine_details(results_[i]).c_str());
      return;
    }
    std::fputs(api::machines_table(json{{"machines", results_}}).c_str(), stdout);
  }

  int error(const std::string& what, const Reply& r) {
    std::fprintf(stderr, "ringboot machines %s: %s%s%s\n", o_.command.c_str(), what.c_str(), what.empty() ? "" : ": ",
                 failure(r).c_str());
    failed_ = true;
    return 1;
  }

  const MachinesOptions& o_;
  Client& client_;
  std::vector<json> results_;
  bool failed_ = false;
};

}  // namespace

int run_machines(const MachinesOptions& options) {
  std::string error;
  const std::optional<std::string> token = token_of(options, &error);
  if (!token) {
    std::fprintf(stderr, "ringboot machines: %s\n", error.c_str());
    return 2;
  }
  Client client(options.api, *token);
  try {
    return Run(options, client).main();
  } catch (const nlohmann::json::exception& e) {  // an answer of an unexpected shape
    std::fprintf(stderr, "ringboot machines: the API's answer is not what this client reads: %s\n", e.what());
    return 1;
  }
}

}  // namespace ringboot
