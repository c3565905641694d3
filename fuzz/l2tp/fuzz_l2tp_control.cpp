// libFuzzer target over the L2TP decoders. Besides "no crash, no UB, no leak" it checks
// one property: whatever decode_control() accepts, encode_control() can write back and
// decode_control() reads back to the same AVPs (hidden ones re-hidden with a new vector);
// and describe() (debug output) never carries a control byte: its lines are printable ASCII.
#include <cstdint>
#include <cstdlib>

#include "vpdn/codec.hpp"

using namespace vpdnd;
using namespace vpdnd::vpdn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  static const HidingContext secret{"s3cr3t"};
  for (const HidingContext* ctx : {&secret, static_cast<const HidingContext*>(nullptr)}) {
    auto msg = decode_control(input, ctx);
    if (!msg) {
      (void)recommend(msg.error());
      (void)describe(msg.error());
      continue;
    }
    for (unsigned char c : describe(*msg))
      if (c != '\n' && (c < 0x20 || c > 0x7e)) std::abort();
    (void)msg->result_code();
    (void)msg->q931_cause();
    (void)msg->proxy_data();
    SeededRandom rnd(size);
    auto wire = encode_control(*msg, &secret, rnd);
    if (!wire) std::abort();
    auto again = decode_control(*wire, &secret);
    if (!again || again->avps != msg->avps || again->type != msg->type || again->zlb != msg->zlb)
      std::abort();
  }
  auto data_msg = decode_data(input);
  if (data_msg && data_msg->payload.size() > size) std::abort();
  (void)peek_is_control(input);
  (void)peek_host_name(input);
  return 0;
}
