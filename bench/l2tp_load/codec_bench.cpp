// Micro-benchmarks of the L2TP codec: the per-message CPU cost behind the control-plane
// targets (tunnel setup with challenge >= 20,000/s, session setup >= 30,000/s on 2 cores).
#include <benchmark/benchmark.h>

#include "tests/vpdn_codec/avp_samples.hpp"
#include "vpdn/codec.hpp"

using namespace vpdnd;
using namespace vpdnd::vpdn;

namespace {

ControlMessage make_sccrq() {
  ControlMessage m = ControlMessage::make(MessageType::sccrq, 0);
  m.add_protocol_version()
      .add_string(AvpType::host_name, "lac-benchmark")
      .add_u32(AvpType::framing_capabilities, 3)
      .add_u32(AvpType::bearer_capabilities, 3)
      .add_u16(AvpType::assigned_tunnel_id, 4711)
      .add_u16(AvpType::receive_window_size, 64)
      .add_string(AvpType::vendor_name, "vpdnd")
      .add_bytes(AvpType::challenge, Bytes(16, 0x42));
  return m;
}

ControlMessage make_iccn(bool hide) {
  ControlMessage m = ControlMessage::make(MessageType::iccn, 10, 20);
  m.add_u32(AvpType::tx_connect_speed, 100000000)
      .add_u32(AvpType::framing_type, 1)
      .add_proxy(sample_chap_proxy(), hide);
  return m;
}

void BM_DecodeSccrq(benchmark::State& state) {
  SeededRandom rnd(1);
  const Bytes wire = *encode_control(make_sccrq(), nullptr, rnd);
  for (auto _ : state) benchmark::DoNotOptimize(decode_control(wire, nullptr));
}
BENCHMARK(BM_DecodeSccrq);

void BM_EncodeSccrq(benchmark::State& state) {
  SeededRandom rnd(1);
  const ControlMessage m = make_sccrq();
  for (auto _ : state) benchmark::DoNotOptimize(encode_control(m, nullptr, rnd));
}
BENCHMARK(BM_EncodeSccrq);

void BM_DecodeIccnProxy(benchmark::State& state) {
  SeededRandom rnd(1);
  const HidingContext secret{"s3cr3t"};
  const bool hide = state.range(0) != 0;
  const Bytes wire = *encode_control(make_iccn(hide), &secret, rnd);
  for (auto _ : state) benchmark::DoNotOptimize(decode_control(wire, &secret));
}
BENCHMARK(BM_DecodeIccnProxy)->Arg(0)->Arg(1);

void BM_DecodeZlb(benchmark::State& state) {
  SeededRandom rnd(1);
  const Bytes wire = *encode_control(ControlMessage::make_zlb(1, 0), nullptr, rnd);
  for (auto _ : state) benchmark::DoNotOptimize(decode_control(wire, nullptr));
}
BENCHMARK(BM_DecodeZlb);

void BM_ChapResponse(benchmark::State& state) {
  const Bytes challenge(16, 0x42);
  for (auto _ : state) benchmark::DoNotOptimize(chap_response(2, "s3cr3t", challenge));
}
BENCHMARK(BM_ChapResponse);

void BM_DecodeData(benchmark::State& state) {
  const Bytes wire = encode_data(1, 2, std::nullopt, Bytes(1400, 0x45));
  for (auto _ : state) benchmark::DoNotOptimize(decode_data(wire));
}
BENCHMARK(BM_DecodeData);

}  // namespace

BENCHMARK_MAIN();
