// Cost per control message of the reliable transport when a burst waits behind the peer's
// window (a LAC placing thousands of calls on one tunnel: ICRQs queue behind a window of 4).
// Each iteration queues N messages, then acknowledges them one window at a time as the
// peer's ZLBs would. A per-message cost that grows with N means the queue is not O(1).
#include <benchmark/benchmark.h>

#include "common/timer.hpp"
#include "vpdn/engine/transport.hpp"

namespace {

using vpdnd::Bytes;
using vpdnd::vpdn::detail::ReliableTransport;

struct CountingSink final : vpdnd::vpdn::detail::TransportSink {
  void transmit(const Bytes& packet, bool) override {
    last_ns = static_cast<std::uint16_t>(packet[8] << 8 | packet[9]);
    ++sent;
  }
  void deliver(Bytes) override {}
  void failed() override {}
  std::uint16_t last_ns = 0;
  std::size_t sent = 0;
};

void QueuedBehindWindow(benchmark::State& state) {
  const auto queued = static_cast<std::size_t>(state.range(0));
  Bytes message(60, 0);
  message[0] = 0xC8;
  message[1] = 0x02;
  message[3] = 60;
  for (auto _ : state) {
    vpdnd::ManualTimerService timers;
    CountingSink sink;
    ReliableTransport transport(timers, sink);
    transport.set_peer_window(4);
    for (std::size_t i = 0; i < queued; ++i) transport.send(message);
    while (!transport.idle()) {
      auto nr = static_cast<std::uint16_t>(sink.last_ns + 1);
      transport.on_receive(0, nr, true, Bytes(12, 0));  // the peer's ZLB
    }
    benchmark::DoNotOptimize(sink.sent);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * queued));
}
BENCHMARK(QueuedBehindWindow)->Arg(1000)->Arg(10000)->Arg(60000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
