// The admin API and the installer callbacks behind the HTTP parser: a
// request's bytes (body read as the glue reads it) answered by api::handle
// on the API's listener or api::callback on the boot listener, against a
// fresh engine with one machine mid-install. The first byte picks the
// listener. Every answer is a JSON object with a status of the contract; an
// error has its reason; no answer shows a token the request did not carry.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/service.h"
#include "fleet/engine.h"
#include "http/request.h"

using namespace ringboot;

namespace {

constexpr std::string_view kAdmin = "fuzzadminfuzzadmin0123";
constexpr std::string_view kRead = "fuzzreadfuzzread012345";

class Engine : public api::FleetAccess {
 public:
  explicit Engine(fleet::FleetConfig config) : fleet(std::move(config)) {}
  void read(const std::function<void(const fleet::Fleet&)>& f) const override { f(fleet); }
  bool change(const std::function<void(fleet::Fleet&)>& f) override {
    f(fleet);
    return durable;
  }
  fleet::Fleet fleet;
  bool durable = true;
};

fleet::FleetConfig config() {
  fleet::FleetConfig c;
  c.settings.machines_max = 8;
  c.settings.event_bytes_max = 64;
  fleet::Profile p;
  p.name = "debian12";
  p.kernel = "{{http_base}}/linux";
  p.cmdline = "done={{done_url}}";
  c.profiles = {p};
  fleet::Group g;
  g.name = "rack1";
  g.match.mac = MacPattern::parse("52:54:00");
  g.profile = "debian12";
  c.groups = {g};
  fleet::MachineConfig m;
  m.mac = *Mac::parse("52:54:00:00:00:99");
  m.labels = {"rack=a1"};
  c.machines = {m};
  return c;
}

bool known_status(int s) {
  for (const int k : {200, 201, 400, 401, 403, 404, 405, 409, 413, 422, 503})
    if (s == k) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool callback = (data[0] & 1) != 0;
  Engine engine(config());
  engine.durable = (data[0] & 2) == 0;
  // 52:54:00:12:34:56 is installing with the token 0x11 * 16 (hex "1111...").
  fleet::BootFacts facts;
  facts.mac = Mac::parse("52:54:00:12:34:56");
  facts.http_base = "http://boot";
  fleet::Token token{};
  token.fill(0x11);
  (void)engine.fleet.boot(facts, 1'700'000'000, token);
  const std::string callback_token = fleet::token_hex(token);
  ++data;
  --size;

  http::RequestParser parser(http::ParserLimits{.header_bytes_max = 2048, .headers_max = 16, .target_bytes_max = 512});
  const Bytes in(data, size);
  http::Feed f = parser.feed(in);
  if (f.status != http::ParseStatus::ready) return 0;
  if (parser.request().has_body) {
    if (parser.read_body(1024) != 0) return 0;  // 411, 413: answered by the glue
    f = parser.feed(in.subspan(f.consumed));
    if (f.status != http::ParseStatus::ready) return 0;
  }
  const http::Request& r = parser.request();
  const api::Request request{r.method_name, r.target, r.path,
                             r.authorization ? std::optional<std::string_view>(*r.authorization) : std::nullopt,
                             r.body};
  const api::TokenTable tokens(
      api::parse_tokens("admin " + std::string(kAdmin) + " ops\nread " + std::string(kRead) + "\n").tokens);
  const api::Response a = callback ? api::callback(engine, request, 64, 1'700'000'005)
                                   : api::handle(engine, tokens, request, 1'700'000'005);
  if (!known_status(a.status)) __builtin_trap();
  const nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) __builtin_trap();
  if (a.status >= 400 && (!j.contains("error") || !j["error"].is_string())) __builtin_trap();
  if (a.status == 405 && a.allow.empty()) __builtin_trap();
  if (a.status == 401 && !callback && !a.authenticate) __builtin_trap();
  // A token the request did not carry is never in the answer (a malformed
  // body is quoted back to its sender, who may have put one in it).
  const std::string_view sent(reinterpret_cast<const char*>(data), size);
  for (const std::string_view secret : {kAdmin, kRead, std::string_view(callback_token)})
    if (sent.find(secret) == std::string_view::npos && a.body.find(secret) != std::string::npos) __builtin_trap();
  for (const api::Audit& audit : a.audit)
    if (audit.who.find(kAdmin) != std::string::npos || audit.who.find(kRead) != std::string::npos) __builtin_trap();
  return 0;
}
