// libFuzzer target: any bytes as an Ethernet frame into the PPPoE decoders and into a
// PppoeServer (which must count a drop or answer, never crash). Decoded packets must
// re-encode to something that decodes to the same packet.
#include <cstdint>
#include <cstdlib>

#include "ppp/pppoe.hpp"

namespace {
using namespace vpdnd;
using namespace vpdnd::ppp;

struct NullSink : PppoeFrameSink {
  void send_frame(ByteView) override {}
};
struct NullListener : PppoeSessionListener {
  PppoeServer* server = nullptr;
  void on_session_open(std::uint16_t, const MacAddress&, std::string_view) override {}
  void on_session_frame(std::uint16_t id, ByteView f) override { server->send(id, f); }
  void on_session_closed(std::uint16_t, PppoeCloseReason) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  if (auto p = decode_pppoe_discovery(in)) {
    Bytes again = encode_pppoe_discovery(*p);
    auto q = decode_pppoe_discovery(again);
    if (!q || !(*q == *p)) std::abort();
  }
  if (auto s = decode_pppoe_session(in)) {
    Bytes again = encode_pppoe_session(s->dst, s->src, s->session_id, s->ppp);
    auto t = decode_pppoe_session(again);
    if (!t || t->session_id != s->session_id || t->ppp.size() != s->ppp.size()) std::abort();
  }
  static ManualTimerService clock;
  static NullSink sink;
  static NullListener listener;
  static PppoeServer* server = [] {
    PppoeServerConfig c;
    c.mac = {0x02, 0xac, 0, 0, 0, 1};
    c.cookie_secret = {1, 2, 3};
    c.max_sessions_per_mac = 4;
    auto* s = new PppoeServer(c, sink, clock, &listener);
    listener.server = s;
    return s;
  }();
  server->on_frame(in);
  if (server->session_count() > 1000) server->close_all();
  return 0;
}
