// Pipelined HTTP requests, split at random points (as TCP may deliver them),
// fed into http::RequestParser: each parsed request must equal what was sent,
// in order, with the bytes of the next one carried over untouched.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "http/request.h"
#include "sim.h"

namespace ringboot::sim {
namespace {

struct Sent {
  std::string text;
  http::Method method;
  std::string target, path;
  int version_minor = 1;
  bool keep_alive = true;
  std::optional<std::string> range, if_none_match, host;
};

std::string random_path(World& w, std::string* decoded) {
  static const std::string safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
  std::string encoded;
  const auto segments = w.uniform(1, 4);
  for (std::uint64_t s = 0; s < segments; ++s) {
    encoded += '/';
    *decoded += '/';
    const auto n = w.uniform(1, 12);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (w.chance(0.15)) {  // a percent-escape of a printable or high byte
        const auto b = static_cast<unsigned char>(w.uniform(0x21, 0xff));
        encoded += fmt::format("%{:02X}", b);
        *decoded += static_cast<char>(b);
      } else {
        const char ch = safe[w.uniform(0, safe.size() - 1)];
        encoded += ch;
        *decoded += ch;
      }
    }
  }
  return encoded;
}

Sent random_request(World& w, bool last) {
  Sent r;
  r.method = w.chance(0.8) ? http::Method::get : http::Method::head;
  r.target = random_path(w, &r.path);
  if (w.chance(0.2)) r.target += "?x=" + std::to_string(w.uniform(0, 999));
  r.version_minor = w.chance(0.1) ? 0 : 1;
  std::string head =
      fmt::format("{} {} HTTP/1.{}\r\n", r.method == http::Method::get ? "GET" : "HEAD", r.target, r.version_minor);
  if (r.version_minor == 1 || w.chance(0.5)) {
    r.host = "10.0.0.1";
    head += fmt::format("{}: 10.0.0.1\r\n", w.chance(0.5) ? "Host" : "host");
  }
  head += "User-Agent: iPXE/1.21.1\r\n";
  if (w.chance(0.3)) {
    r.range = fmt::format("bytes={}-{}", w.uniform(0, 1000), w.uniform(1000, 100000));
    head += fmt::format("Range:  {} \r\n", *r.range);  // surrounding whitespace is trimmed
  }
  if (w.chance(0.2)) {
    r.if_none_match = "\"abc-123\"";
    head += "If-None-Match: \"abc-123\"\r\n";
  }
  // HTTP/1.0 keeps the connection only when asked; 1.1 unless told to close.
  const bool close = last && w.chance(0.5);
  if (r.version_minor == 0) {
    const bool ask = !close && w.chance(0.5);
    if (ask) head += "Connection: keep-alive\r\n";
    r.keep_alive = ask;
  } else {
    if (close) head += "Connection: close\r\n";
    r.keep_alive = !close;
  }
  r.text = head + "\r\n";
  return r;
}

RunReport run(std::uint64_t seed) {
  World w(seed * 0xD1B54A32D192ED03ULL + 3);
  RunReport report;
  std::vector<Sent> sent;
  std::string stream;
  const auto n = w.uniform(1, 12);
  for (std::uint64_t i = 0; i < n; ++i) {
    sent.push_back(random_request(w, i + 1 == n));
    stream += sent.back().text;
    if (!sent.back().keep_alive) break;  // nothing is read after a request that closes
  }
  http::RequestParser parser;
  std::string pending;  // received, not yet consumed
  std::size_t pos = 0, next = 0;
  std::size_t chunks = 0;
  auto& v = report.violations;
  while (next < sent.size() && (pos < stream.size() || !pending.empty())) {
    if (pos < stream.size()) {
      const std::size_t len = std::min<std::size_t>(stream.size() - pos, w.chance(0.3) ? 1 : w.uniform(1, 200));
      pending.append(stream, pos, len);
      pos += len;
      ++chunks;
    }
    // Feed until the parser wants more bytes than we have.
    while (!pending.empty() && next < sent.size()) {
      const http::Feed f = parser.feed(as_bytes(pending));
      if (f.status == http::ParseStatus::error) {
        v.add("request ", next, " failed with ", f.error_status, ": ", sent[next].text);
        return report;
      }
      pending.erase(0, f.consumed);
      if (f.status == http::ParseStatus::need_more) {
        if (f.consumed == 0 && !pending.empty()) v.add("need_more without consuming ", pending.size(), " bytes");
        break;
      }
      const http::Request& got = parser.request();
      const Sent& want = sent[next];
      if (got.method != want.method || got.target != want.target || got.path != want.path ||
          got.version_minor != want.version_minor || got.keep_alive != want.keep_alive || got.range != want.range ||
          got.if_none_match != want.if_none_match || got.host != want.host || got.has_body)
        v.add("request ", next, " parsed differently: target=", got.target, " path=", got.path,
              " keep_alive=", static_cast<int>(got.keep_alive), " range=", got.range.value_or("-"), "; sent:\n",
              want.text);
      parser.reset();
      ++next;
    }
  }
  if (next != sent.size()) v.add("parsed ", next, " of ", sent.size(), " requests");
  if (!pending.empty() || pos != stream.size()) v.add(pending.size(), " bytes left over");
  report.summary = fmt::format("  http: {} requests, {} bytes in {} chunks", sent.size(), stream.size(), chunks);
  return report;
}

TEST(HttpSim, PipelinedRequestsSplitAnywhere) { run_seeds(500, run); }

}  // namespace
}  // namespace ringboot::sim
