// libFuzzer target over every PPP decoder (frames, control packets, option lists, LCP and
// IPCP options, echo/protocol-reject bodies, PAP, CHAP) with encode/decode round-trip
// checks, and over PppSession in server and client modes fed with fuzzed frames and
// virtual time. The first input byte picks the target so one corpus covers all. LNS
// sessions (with and without proxy data, mandatory-lcp/-chap) and the operations callers
// make (hand_over, continue_locally, close, lower_down) exercise the compact established
// state: policies freed while Opened and rebuilt when the fuzzed peer renegotiates.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "common/printable.hpp"
#include "fuzz/ppp_fakes.hpp"
#include "ppp/ppp.hpp"

using namespace vpdnd;
using namespace vpdnd::ppp;
using vpdnd::fuzz::check;

namespace {

// A packet `decode` accepts encodes into one it decodes to the same value.
template <class Decode, class Encode>
void round_trips(const ControlPacket& c, Decode decode, Encode encode) {
  if (auto v = decode(c)) {
    Bytes b = encode(*v);  // outlives the views the decoded value may hold into it
    auto again = decode(*decode_control(b));
    check(again && *again == *v);
  }
}

void decoders(ByteView in) {
  check(ppp_frame_hex(in, 64).size() <= 64 * 3);
  if (auto f = decode_frame(in)) {
    Bytes again = encode_frame(f->protocol, f->payload);
    auto g = decode_frame(again);
    check(g && g->protocol == f->protocol && g->payload.size() == f->payload.size());
  }
  auto c = decode_control(in);
  if (!c) return;
  Bytes re = encode_control(c->code, c->id, c->data);
  auto c2 = decode_control(re);
  check(c2 && c2->data.size() == c->data.size());

  if (auto o = decode_options(c->data)) check(encode_options(*o).size() == c->data.size());
  if (auto l = decode_lcp_options(c->data)) {
    auto l2 = decode_lcp_options(encode_lcp_options(*l));
    check(l2 && *l2 == *l);
  }
  if (auto i = decode_ipcp_options(c->data)) {
    auto i2 = decode_ipcp_options(encode_ipcp_options(*i));
    check(i2 && *i2 == *i);
  }
  (void)decode_echo(c->data);
  (void)decode_protocol_reject(c->data);
  round_trips(*c, decode_pap_request, encode_pap_request);
  round_trips(*c, decode_pap_reply, encode_pap_reply);
  round_trips(*c, decode_chap_value, encode_chap_value);
  round_trips(*c, decode_chap_status, encode_chap_status);
}

struct NullLower : PppLowerLayer {
  void send(ByteView) override {}
};
struct YesAuth : Authenticator {
  Handle authenticate(const AuthRequest& r, Done done) override {
    AuthResult res;
    res.accepted = !r.user.empty() && r.user[0] == 'a';
    done(res);
    return 1;
  }
  void cancel(Handle) override {}
};

// Proxy data as a LAC running vpdnd sends it: LCP with CHAP, Magic-Numbers, a CHAP exchange.
ProxyData proxy_data(bool pap) {
  ProxyData p;
  LcpOptions ours;
  ours.auth = pap ? AuthProtocol::pap : AuthProtocol::chap_md5;
  ours.magic = 0x11223344;
  LcpOptions peer;
  peer.magic = 0x55667788;
  peer.mru = 1400;
  p.last_sent_confreq = encode_lcp_options(ours);
  p.last_received_confreq = encode_lcp_options(peer);
  p.initial_received_confreq = p.last_received_confreq;
  p.auth_name = "alice";
  p.auth_id = 1;
  if (pap) {
    p.auth_type = ProxyAuthType::pap;
    p.auth_response = {'p', 'w'};
  } else {
    p.auth_type = ProxyAuthType::chap;
    p.auth_challenge.assign(16, 0x42);
    p.auth_response = chap_md5_response(1, "pw", p.auth_challenge);
  }
  return p;
}

// Frames are length-prefixed (1 octet); a zero length advances virtual time instead, a
// length of one is an operation of the caller (its octet picks which).
void session(ByteView in, SessionMode mode, std::uint8_t variant = 0) {
  ManualTimerService timers;
  NullLower lower;
  fuzz::NullListener listener;
  YesAuth auth;
  fuzz::FixedAddress pool;
  SessionConfig cfg;
  cfg.mode = mode;
  cfg.user = "alice";
  cfg.password = "pw";
  cfg.local_address = Ipv4{0x0a000001};
  if (mode == SessionMode::lac || mode == SessionMode::local || mode == SessionMode::lns)
    cfg.auth_methods = {AuthMethod::chap_md5, AuthMethod::pap};
  if (mode == SessionMode::lns) {
    if (variant & 1) cfg.proxy = proxy_data(variant & 2);
    cfg.mandatory_lcp = variant & 4;
    cfg.mandatory_chap = variant & 8;
    if (variant & 16) cfg.auth_methods = {AuthMethod::pap};
  }
  std::uint32_t seed = 7;
  cfg.random = [seed](std::span<std::uint8_t> out) mutable {
    for (auto& b : out) b = static_cast<std::uint8_t>((seed = seed * 1103515245u + 12345u) >> 16);
  };
  PppSession s(cfg, lower, listener, timers, &auth, &pool);
  s.start();
  ByteReader r(in);
  while (!r.empty()) {
    std::uint8_t n = r.u8();
    if (n == 0) {
      timers.advance(std::chrono::seconds(1 + r.u8() % 16));
      continue;
    }
    if (n == 1) {
      switch (r.u8() % 5) {
        case 0:
          s.hand_over();
          break;
        case 1:
          s.continue_locally();
          break;
        case 2:
          s.close("fuzz close");
          break;
        case 3:
          s.lower_down();
          break;
        case 4:
          (void)s.peer_mru();
          (void)s.lcp_state();
          (void)s.ipcp_state();
          (void)s.counters();
          break;
      }
      continue;
    }
    ByteView f = r.bytes(std::min<std::size_t>(n, r.remaining()));
    (void)s.receive(f);
  }
  s.close("fuzz done");
  timers.advance(std::chrono::seconds(10));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ByteView in(data + 1, size - 1);
  // 0xf0..0xff: LNS sessions (the older seeds keep their meaning under % 4).
  if (data[0] >= 0xf0) {
    if (!in.empty()) session(in.subspan(1), SessionMode::lns, in[0]);
    return 0;
  }
  switch (data[0] % 4) {
    case 0:
      decoders(in);
      break;
    case 1:
      session(in, SessionMode::local);
      break;
    case 2:
      session(in, SessionMode::client);
      break;
    case 3:
      session(in, SessionMode::lac);
      break;
  }
  return 0;
}
