// Micro-benchmarks of the TFTP engine's per-packet work: what one worker
// spends on parsing, building and one session step, excluding the kernel.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "../tests/unit/tftp_test_defaults.h"
#include "tftp/options.h"
#include "tftp/packet.h"
#include "tftp/path.h"
#include "tftp/session.h"

namespace {

using namespace ringboot;
using namespace ringboot::tftp;
using namespace std::string_view_literals;

constexpr std::string_view kEdkRrq = "\0\1efi/x64/ipxe.efi\0octet\0tsize\0000\0blksize\0001468\0windowsize\0004\0"sv;

void BM_ParseRequest(benchmark::State& state) {
  for (auto _ : state) {
    auto r = parse_request(as_bytes(kEdkRrq));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseRequest);

void BM_ParseAck(benchmark::State& state) {
  constexpr std::string_view ack = "\0\4\1\2"sv;
  for (auto _ : state) {
    auto p = parse_packet(as_bytes(ack));
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ParseAck);

void BM_NegotiateAndBuildOack(benchmark::State& state) {
  auto request = std::get<Request>(parse_request(as_bytes(kEdkRrq)));
  std::array<std::uint8_t, 160> buf{};
  for (auto _ : state) {
    Negotiated n = negotiate_read(request.options, 123456789, test_limits());
    benchmark::DoNotOptimize(build_oack(n, buf));
  }
}
BENCHMARK(BM_NegotiateAndBuildOack);

void BM_NormalizePath(benchmark::State& state) {
  for (auto _ : state) {
    auto p = normalize_request_path("\\boot\\x64\\.\\grub//grubx64.efi");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_NormalizePath);

class NullSink final : public Sink {
 public:
  void send_control(Endpoint, Bytes packet) override { benchmark::DoNotOptimize(packet.data()); }
  void send_block(std::uint16_t block, std::uint64_t offset, std::uint32_t length) override {
    benchmark::DoNotOptimize(block);
    benchmark::DoNotOptimize(offset);
    benchmark::DoNotOptimize(length);
  }
};

// One ACK in, one window out: the steady-state cost per window.
void BM_SessionAckStep(benchmark::State& state) {
  const auto windowsize = std::to_string(state.range(0));
  const Endpoint peer{Ipv4{0x0a000002}, 2070};
  NullSink sink;
  FakeClock clock;
  Request request{Opcode::rrq, "f", Mode::octet, {{"windowsize", windowsize}}};
  auto session = std::make_unique<Session>(test_session_config(), peer);
  session->start_read(request, ~std::uint64_t{0} >> 8, clock.now(), sink);
  std::array<std::uint8_t, 4> ack{};
  std::uint64_t acked = 0;
  for (auto _ : state) {
    clock.advance(microseconds(50));
    session->on_datagram(peer, build_ack(static_cast<std::uint16_t>(acked), ack), clock.now(), sink);
    acked += static_cast<std::uint64_t>(state.range(0));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SessionAckStep)->Arg(1)->Arg(4)->Arg(64);

}  // namespace
