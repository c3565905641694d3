// Cost of rendering peer text (common/printable.hpp): what escaping adds to a display row,
// a log line (the bus runs terminal_safe() on every line) and an L2TP payload dump.
#include <benchmark/benchmark.h>

#include <string>

#include "common/printable.hpp"

using namespace vpdnd;

namespace {

void BM_PrintableCleanUserName(benchmark::State& state) {
  const std::string name = "alice.smith@corp.example.com";
  for (auto _ : state) benchmark::DoNotOptimize(printable(name, kCellWidth));
}
BENCHMARK(BM_PrintableCleanUserName);

void BM_PrintableHostileHostName1017(benchmark::State& state) {
  std::string name(1017, '\x1b');
  for (auto _ : state) benchmark::DoNotOptimize(printable(name));
}
BENCHMARK(BM_PrintableHostileHostName1017);

void BM_TerminalSafeCleanLogLine(benchmark::State& state) {
  const std::string line =
      "event=session_up tunnel_id=13006 session_id=21 role=LAC user=\"alice@corp.com\" "
      "lns=10.0.0.2:1701";
  for (auto _ : state) benchmark::DoNotOptimize(terminal_safe(line, false));
}
BENCHMARK(BM_TerminalSafeCleanLogLine);

void BM_PppFrameHexPap(benchmark::State& state) {
  const Bytes frame{0xff, 0x03, 0xc0, 0x23, 0x01, 0x07, 0x00, 0x0f, 0x03,
                    'b',  'o',  'b',  0x05, 's',  'e',  'c',  'r',  't'};
  for (auto _ : state) benchmark::DoNotOptimize(ppp_frame_hex(frame, 16));
}
BENCHMARK(BM_PppFrameHexPap);

}  // namespace

BENCHMARK_MAIN();
