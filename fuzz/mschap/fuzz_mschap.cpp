// libFuzzer target for MS-CHAP (RFC 2433, RFC 2759): the Response value, Success and
// Failure text parsers with round-trip checks, and an MS-CHAP authenticator and peer
// (PppSession) that negotiated MS-CHAP with each other and are then fed fuzzed CHAP
// packets. Input: byte 0 picks the version (even: v2, odd: v1) and whether the user's
// password is right; then chunks of [target][length][bytes], target even -> the
// authenticator, odd -> the peer.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>

#include "common/mschap.hpp"
#include "fuzz/ppp_fakes.hpp"
#include "ppp/ppp.hpp"

using namespace vpdnd;
using namespace vpdnd::ppp;
using vpdnd::fuzz::check;

namespace {

void parsers(ByteView in) {
  if (auto r = mschap::parse_v2_response(in)) {
    Bytes b = mschap::encode_v2_response(*r);
    check(b.size() == in.size() && std::equal(b.begin(), b.end(), in.begin()));
  }
  if (auto r = mschap::parse_v1_response(in)) {
    Bytes b = mschap::encode_v1_response(*r);
    check(b.size() == in.size() && std::equal(b.begin(), b.end(), in.begin()));
  }
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  if (auto s = mschap::success_authenticator(text)) check(s->size() == 42);
  if (auto f = mschap::parse_failure(text)) check(f->message.size() <= text.size());
}

struct Wire : PppLowerLayer {
  std::deque<Bytes> queue;
  bool drop_responses = false;
  void send(ByteView f) override {
    auto d = decode_frame(f);
    if (drop_responses && d && d->protocol == proto::chap && !d->payload.empty() &&
        d->payload[0] == chap_code::response)
      return;
    if (queue.size() < 64) queue.emplace_back(f.begin(), f.end());
  }
};

struct LocalAuth : Authenticator {
  Handle authenticate(const AuthRequest& r, Done done) override {
    AuthResult res;
    auto v = r.method == AuthMethod::mschap_v1
                 ? mschap::verify_v1("secret", r.chap_challenge, r.chap_response)
                 : mschap::verify_v2("secret", r.chap_challenge, r.chap_response, r.user);
    res.accepted = v.has_value();
    if (v) {
      res.mschap_auth_response = v->authenticator_response;
      res.mppe_keys = v->keys;
    }
    done(res);
    return 1;
  }
  void cancel(Handle) override {}
};

std::function<void(std::span<std::uint8_t>)> seeded() {
  auto state = std::make_shared<std::uint32_t>(7);
  return [state](std::span<std::uint8_t> out) {
    for (auto& b : out) {
      *state = *state * 1664525u + 1013904223u;
      b = static_cast<std::uint8_t>(*state >> 24);
    }
  };
}

void sessions(ByteView in) {
  if (in.empty()) return;
  const AuthMethod m = (in[0] & 1) ? AuthMethod::mschap_v1 : AuthMethod::mschap_v2;
  ManualTimerService timers;
  LocalAuth auth;
  fuzz::FixedAddress pool;
  fuzz::NullListener server_ev, client_ev;
  Wire to_client, to_server;
  to_server.drop_responses = (in[0] & 4) != 0;  // leave the authenticator waiting
  SessionConfig sc;
  sc.mode = SessionMode::local;
  sc.auth_methods = {m};
  sc.local_address = Ipv4{0x0a000001};
  sc.random = seeded();
  SessionConfig cc;
  cc.mode = SessionMode::client;
  cc.auth_methods = {m};
  cc.user = "user";
  cc.password = (in[0] & 2) ? "secret" : "wrong";
  cc.random = seeded();
  PppSession server(sc, to_client, server_ev, timers, &auth, &pool);
  PppSession client(cc, to_server, client_ev, timers);
  auto pump = [&] {
    for (int guard = 0; guard < 200 && (!to_server.queue.empty() || !to_client.queue.empty());
         ++guard) {
      if (!to_server.queue.empty()) {
        Bytes f = std::move(to_server.queue.front());
        to_server.queue.pop_front();
        server.receive(f);
      } else {
        Bytes f = std::move(to_client.queue.front());
        to_client.queue.pop_front();
        client.receive(f);
      }
    }
  };
  server.start();
  client.start();
  pump();
  std::size_t at = 1;
  while (at + 2 <= in.size()) {
    const std::uint8_t target = in[at];
    const std::size_t len = std::min<std::size_t>(in[at + 1], in.size() - at - 2);
    ByteView chunk = in.subspan(at + 2, len);
    at += 2 + len;
    Bytes frame = encode_frame(proto::chap, chunk);
    if (target & 1)
      client.receive(frame);
    else
      server.receive(frame);
    pump();
    if (target & 0x80) {
      timers.advance(std::chrono::seconds(3));
      pump();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  parsers(in);
  sessions(in);
  return 0;
}
