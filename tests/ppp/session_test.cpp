#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>

#include "common/log.hpp"
#include "common/mschap.hpp"
#include "ppp/ppp.hpp"
#include "startup-config/model.hpp"
#include "tests/ppp/virtual_link.hpp"

namespace vpdnd::ppp {
namespace {

// Deterministic RNG for Magic-Numbers and challenges (fixed seeds: every run sees the same).
std::function<void(std::span<std::uint8_t>)> seeded(std::uint32_t seed) {
  auto state = std::make_shared<std::uint32_t>(seed);
  return [state](std::span<std::uint8_t> out) {
    for (auto& b : out) {
      *state = *state * 1664525u + 1013904223u;
      b = static_cast<std::uint8_t>(*state >> 24);
    }
  };
}

struct Wire : PppLowerLayer {
  std::deque<Bytes> queue;
  std::vector<Bytes> sent;
  bool cut = false;
  std::function<bool(const Frame&)> drop;  // loses chosen frames
  void send(ByteView f) override {
    sent.emplace_back(f.begin(), f.end());
    auto d = decode_frame(f);
    if (cut || (drop && d && drop(*d))) return;
    queue.emplace_back(f.begin(), f.end());
  }
  std::size_t count(std::uint16_t protocol, std::uint8_t code) const {
    std::size_t n = 0;
    for (const auto& f : sent) {
      auto d = decode_frame(f);
      if (d && d->protocol == protocol && !d->payload.empty() && d->payload[0] == code) ++n;
    }
    return n;
  }
};

struct Events : PppListener {
  std::optional<ProxyData> proxy;
  std::optional<SessionUpInfo> up;
  std::optional<DownReason> down;
  std::string down_detail;
  int downs = 0;
  std::function<void()> on_down_hook;
  void on_ready_to_tunnel(const ProxyData& p, const AuthResult&) override { proxy = p; }
  int ups = 0;
  void on_up(const SessionUpInfo& i) override {
    up = i;
    ++ups;
  }
  void on_down(DownReason r, std::string_view d) override {
    down = r;
    down_detail = std::string(d);
    ++downs;
    if (on_down_hook) on_down_hook();
  }
};

struct FakeAuth : Authenticator {
  std::map<std::string, std::string> users{{"alice@corp.com", "alicepw"}, {"bob", "bobpw"}};
  std::vector<AuthRequest> requests;
  bool defer = false;
  std::vector<std::pair<Handle, Done>> pending;
  std::vector<Handle> cancelled;
  Handle next = 1;
  AuthResult verdict(const AuthRequest& r) {
    AuthResult res;
    auto it = users.find(r.user);
    if (it != users.end()) {
      if (r.method == AuthMethod::pap) {
        res.accepted = r.password == it->second;
      } else if (r.method == AuthMethod::chap_md5) {
        res.accepted =
            chap_md5_response(r.chap_id, it->second, r.chap_challenge) == r.chap_response;
      } else {
        auto v = r.method == AuthMethod::mschap_v1
                     ? mschap::verify_v1(it->second, r.chap_challenge, r.chap_response)
                     : mschap::verify_v2(it->second, r.chap_challenge, r.chap_response, r.user);
        res.accepted = v.has_value();
        if (v && !omit_auth_response) {
          res.mschap_auth_response =
              forged_auth_response.empty() ? v->authenticator_response : forged_auth_response;
          res.mppe_keys = v->keys;
        }
      }
    }
    res.message = res.accepted ? "Welcome" : "Denied";
    res.session_timeout = session_timeout;
    return res;
  }
  std::optional<std::chrono::seconds> session_timeout;
  bool omit_auth_response = false;   // a LAC that only recognises the user
  std::string forged_auth_response;  // a server that does not know the password
  Handle authenticate(const AuthRequest& r, Done done) override {
    requests.push_back(r);
    Handle h = next++;
    if (defer)
      pending.emplace_back(h, std::move(done));
    else
      done(verdict(r));
    return h;
  }
  void cancel(Handle h) override { cancelled.push_back(h); }
  void answer_all() {
    auto p = std::move(pending);
    pending.clear();
    for (auto& [h, done] : p) done(verdict(requests.back()));
  }
};

struct FakePool : AddressProvider {
  std::uint32_t next = 0x0a00000a;  // 10.0.0.10
  std::vector<Ipv4> released;
  int acquired = 0;
  bool empty = false;
  std::optional<Ipv4> acquire(const std::string&, const AuthResult& auth) override {
    if (empty) return std::nullopt;
    ++acquired;
    if (auth.framed_address) return auth.framed_address;
    return Ipv4{next++};
  }
  void release(Ipv4 a) override { released.push_back(a); }
};

SessionConfig server_config(SessionMode mode, std::vector<AuthMethod> auth) {
  SessionConfig c;
  c.mode = mode;
  c.auth_methods = std::move(auth);
  c.local_address = *Ipv4::parse("10.0.0.1");
  c.dns_primary = Ipv4::parse("10.0.0.53");
  c.dns_secondary = Ipv4::parse("10.0.0.54");
  c.tag = "server";
  c.random = seeded(1);
  return c;
}

SessionConfig client_config(std::string user = "alice@corp.com", std::string pw = "alicepw") {
  SessionConfig c;
  c.mode = SessionMode::client;
  c.user = std::move(user);
  c.password = std::move(pw);
  c.tag = "client";
  c.random = seeded(2);
  return c;
}

// A user (client session) and one or two server sessions over in-memory wires. Frames a
// LAC hands over (Disposition::passthrough) are switched to the LNS, as the data plane does.
struct Net {
  ManualTimerService timers;
  FakeAuth auth;
  FakePool pool;
  Wire to_client, to_server, to_lns;
  Events client_ev, server_ev, lns_ev;
  std::unique_ptr<PppSession> client, server, lns;

  void pump() {
    EXPECT_TRUE(deliver_until_quiet({
        {&to_server.queue,
         [this](const Bytes& f) {
           if (server && server->receive(f) == Disposition::passthrough && lns) lns->receive(f);
         }},
        // Dropped: the LNS answers the user directly (through the tunnel and the LAC's switch).
        {&to_lns.queue, [](const Bytes&) {}},
        to_session(to_client.queue, client),
    })) << "link never went quiet";
  }
  void run(Duration d) {
    run_in_steps(timers, d, [this] { pump(); });
  }
  // The deferred AAA verdicts arrive: the authenticating side (`authenticator`) and the user
  // come up.
  void answer_auth(const Events& authenticator) {
    auth.answer_all();
    pump();
    ASSERT_TRUE(authenticator.up);
    ASSERT_TRUE(client_ev.up);
  }
};

void connect(Net& n, SessionConfig server_cfg, SessionConfig client_cfg = client_config()) {
  n.server = std::make_unique<PppSession>(std::move(server_cfg), n.to_client, n.server_ev, n.timers,
                                          &n.auth, &n.pool);
  n.client =
      std::make_unique<PppSession>(std::move(client_cfg), n.to_server, n.client_ev, n.timers);
  n.server->start();
  n.client->start();
  n.pump();
}

// connect(), then whether both ends reached IPCP Opened.
[[nodiscard]] bool connect_up(Net& n, SessionConfig server_cfg,
                              SessionConfig client_cfg = client_config()) {
  connect(n, std::move(server_cfg), std::move(client_cfg));
  return n.server_ev.up && n.client_ev.up;
}

TEST(PppSession, PapClientAndServerComeUpWithAddressAndDns) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {AuthMethod::pap})));
  EXPECT_EQ(n.server_ev.up->user, "alice@corp.com");
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::pap);
  EXPECT_EQ(n.server_ev.up->peer_address.to_string(), "10.0.0.10");
  EXPECT_EQ(n.client_ev.up->local_address.to_string(), "10.0.0.10");
  EXPECT_EQ(n.client_ev.up->peer_address.to_string(), "10.0.0.1");
  EXPECT_EQ(n.client_ev.up->primary_dns->to_string(), "10.0.0.53");
  EXPECT_EQ(n.client_ev.up->secondary_dns->to_string(), "10.0.0.54");
  ASSERT_EQ(n.auth.requests.size(), 1u);
  EXPECT_EQ(n.auth.requests[0].method, AuthMethod::pap);
  EXPECT_EQ(n.auth.requests[0].password, "alicepw");
  EXPECT_FALSE(n.auth.requests[0].proxied);
  EXPECT_EQ(n.server->phase(), Phase::running);
  EXPECT_EQ(n.server->lcp_state(), "Opened");
  EXPECT_EQ(n.server->ipcp_state(), "Opened");
  // IP flows only now.
  Bytes ip = encode_frame(proto::ip, Bytes{0x45, 0, 0, 20});
  EXPECT_EQ(n.server->receive(ip), Disposition::ip);
  EXPECT_EQ(n.server->counters().ip_in, 1u);
}

TEST(PppSession, ChapClientAndServerComeUp) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {AuthMethod::chap_md5})));
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::chap_md5);
  ASSERT_EQ(n.auth.requests.size(), 1u);
  const auto& r = n.auth.requests[0];
  EXPECT_EQ(r.method, AuthMethod::chap_md5);
  EXPECT_EQ(r.chap_challenge.size(), 16u);
  EXPECT_EQ(r.chap_response, chap_md5_response(r.chap_id, "alicepw", r.chap_challenge));
  EXPECT_TRUE(r.password.empty());
}

TEST(PppSession, PapOnlyClientNaksChapAndServerFallsBackToPap) {
  Net n;
  SessionConfig c = client_config();
  c.auth_methods = {AuthMethod::pap};
  ASSERT_TRUE(
      connect_up(n, server_config(SessionMode::local, {AuthMethod::chap_md5, AuthMethod::pap}), c));
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::pap);
  EXPECT_EQ(n.client_ev.up->auth, AuthProtocol::pap);
  EXPECT_GE(n.to_server.count(proto::lcp, 3), 1u);  // the client's Nak of CHAP
}

TEST(PppSession, ChapOnlyClientAgainstPapOnlyServerFailsLcp) {
  Net n;
  SessionConfig c = client_config();
  c.auth_methods = {AuthMethod::chap_md5};
  connect(n, server_config(SessionMode::local, {AuthMethod::pap}), c);
  n.run(40s);
  EXPECT_EQ(n.server_ev.down, DownReason::lcp_failed);
  EXPECT_FALSE(n.client_ev.up);
}

TEST(PppSession, WrongChapPasswordTerminatesBothSides) {
  Net n;
  connect(n, server_config(SessionMode::local, {AuthMethod::chap_md5}),
          client_config("alice@corp.com", "wrong"));
  n.run(10s);
  EXPECT_EQ(n.server_ev.down, DownReason::auth_failed);
  EXPECT_EQ(n.client_ev.down, DownReason::auth_failed);
  EXPECT_FALSE(n.server_ev.up);
  EXPECT_EQ(n.pool.acquired, 0);
  EXPECT_EQ(n.to_client.count(proto::chap, chap_code::failure), 1u);
  EXPECT_EQ(n.server->phase(), Phase::dead);
}

TEST(PppSession, WrongPapPasswordIsNakedAndTerminates) {
  Net n;
  connect(n, server_config(SessionMode::local, {AuthMethod::pap}), client_config("bob", "nope"));
  n.run(10s);
  EXPECT_EQ(n.to_client.count(proto::pap, pap_code::nak), 1u);
  EXPECT_EQ(n.server_ev.down, DownReason::auth_failed);
  EXPECT_EQ(n.server_ev.downs, 1);
}

TEST(PppSession, DeferredAuthenticatorAndCancelOnTeardown) {
  Net n;
  n.auth.defer = true;
  connect(n, server_config(SessionMode::local, {AuthMethod::chap_md5}));
  ASSERT_EQ(n.auth.pending.size(), 1u);
  EXPECT_FALSE(n.server_ev.up);
  n.server->lower_down();
  EXPECT_EQ(n.server_ev.down, DownReason::lower_down);
  EXPECT_EQ(n.auth.cancelled.size(), 1u);
  // An answer that arrives anyway is ignored.
  n.auth.answer_all();
  EXPECT_FALSE(n.server_ev.up);
}

TEST(PppSession, DeferredAuthenticatorAnswerBringsSessionUp) {
  Net n;
  n.auth.defer = true;
  connect(n, server_config(SessionMode::local, {AuthMethod::pap}));
  n.run(1s);  // the client's PAP retransmission while AAA works is absorbed
  EXPECT_EQ(n.auth.requests.size(), 1u);
  n.answer_auth(n.server_ev);
}

TEST(PppSession, EchoLossDropsTheSession) {
  Net n;
  SessionConfig s = server_config(SessionMode::local, {});
  s.echo_interval = 10s;
  s.echo_max_missed = 3;
  ASSERT_TRUE(connect_up(n, s));
  n.run(60s);  // echoes answered: stays up
  EXPECT_FALSE(n.server_ev.down);
  EXPECT_GE(n.server->counters().echo_sent, 5u);
  EXPECT_EQ(n.server->counters().echo_replies, n.server->counters().echo_sent);
  n.to_server.cut = true;  // the user vanishes
  n.run(39s);
  EXPECT_FALSE(n.server_ev.down);
  n.run(2s);  // 3 missed echoes at 10 s each, then Terminate-Request x2 over 6 s
  EXPECT_FALSE(n.server_ev.down);
  n.run(6s);
  EXPECT_EQ(n.server_ev.down, DownReason::echo_timeout);
  EXPECT_EQ(n.pool.released.size(), 1u);
}

TEST(PppSession, UnknownProtocolIsProtocolRejected) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {})));
  Bytes ipv6cp =
      encode_frame(proto::ipv6cp, encode_control(1, 1, Bytes{1, 10, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(n.server->receive(ipv6cp), Disposition::control);
  ASSERT_EQ(n.to_client.count(proto::lcp, 8), 1u);
  auto f = decode_frame(n.to_client.sent.back());
  auto c = decode_control(f->payload);
  auto pr = decode_protocol_reject(c->data);
  EXPECT_EQ(pr->protocol, proto::ipv6cp);
  n.pump();  // the client ignores a reject of a protocol it never sent
  EXPECT_FALSE(n.client_ev.down);
  // Garbage frames are counted drops, never crashes.
  EXPECT_EQ(n.server->receive(Bytes{0xff}), Disposition::dropped);
  EXPECT_EQ(n.server->receive(Bytes{0xc0, 0x20}), Disposition::dropped);
  EXPECT_EQ(n.server->counters().drop_malformed, 2u);
}

TEST(PppSession, AdminCloseTerminatesAndReleasesAddress) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {AuthMethod::pap})));
  n.server->close("operator reset");
  n.pump();
  EXPECT_EQ(n.server_ev.down, DownReason::admin);
  EXPECT_EQ(n.server_ev.down_detail, "operator reset");
  ASSERT_EQ(n.pool.released.size(), 1u);
  EXPECT_EQ(n.pool.released[0].to_string(), "10.0.0.10");
  n.run(4s);  // the client waits one restart period in Stopping
  EXPECT_EQ(n.client_ev.down, DownReason::peer_terminated);
}

TEST(PppSession, TerminateRequestsCarryTheCloseReasonAlsoWhenRetransmitted) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::lns, {AuthMethod::chap_md5})));
  n.to_server.cut = true;  // the user's Terminate-Ack never arrives
  n.server->close("operator reset");
  n.run(7s);
  ASSERT_TRUE(n.server_ev.down);
  std::vector<std::string> texts;
  for (const auto& f : n.to_client.sent) {
    auto d = decode_frame(f);
    if (!d || d->protocol != proto::lcp) continue;
    auto c = decode_control(d->payload);
    if (c && c->code == static_cast<std::uint8_t>(Code::terminate_request))
      texts.emplace_back(c->data.begin(), c->data.end());
  }
  ASSERT_EQ(texts.size(), 2u);  // Max-Terminate
  EXPECT_EQ(texts[0], "operator reset");
  EXPECT_EQ(texts[1], "operator reset");
}

TEST(PppSession, ListenerMayDestroySessionInsideOnDown) {
  Net n;
  connect(n, server_config(SessionMode::local, {AuthMethod::pap}));
  n.server_ev.on_down_hook = [&] { n.server.reset(); };
  n.server->close("bye");
  n.pump();
  EXPECT_FALSE(n.server);
  EXPECT_EQ(n.server_ev.downs, 1);
}

TEST(PppSession, SilentPeerFailsLcpAfterMaxConfigure) {
  Net n;
  Events ev;
  Wire w;
  PppSession s(client_config(), w, ev, n.timers);
  s.start();
  n.timers.advance(29s);
  EXPECT_FALSE(ev.down);
  EXPECT_EQ(w.count(proto::lcp, 1), 10u);
  n.timers.advance(1s);
  EXPECT_EQ(ev.down, DownReason::lcp_failed);
}

TEST(PppSession, NoAddressMeansIpcpFailure) {
  Net n;
  n.pool.empty = true;
  connect(n, server_config(SessionMode::local, {AuthMethod::pap}));
  n.run(10s);
  EXPECT_EQ(n.server_ev.down, DownReason::ipcp_failed);
}

TEST(PppSession, SessionTimeoutFromAuthenticator) {
  Net n;
  n.auth.session_timeout = std::chrono::seconds(30);
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {AuthMethod::pap})));
  n.run(29s);
  EXPECT_FALSE(n.server_ev.down);
  n.run(5s);
  EXPECT_EQ(n.server_ev.down, DownReason::session_timeout);
}

// ---- a raw peer driving the server's IPCP --------------------------------------------

struct RawPeer {
  ManualTimerService timers;
  Wire w;
  Events ev;
  FakePool pool;
  std::unique_ptr<PppSession> s;
  std::vector<ControlPacket> last(std::uint16_t protocol) {
    std::vector<ControlPacket> out;
    for (const auto& f : w.sent) {
      auto d = decode_frame(f);
      if (d && d->protocol == protocol) out.push_back(*decode_control(d->payload));
    }
    return out;
  }
  void send(std::uint16_t protocol, std::uint8_t code, std::uint8_t id, const Bytes& data) {
    s->receive(encode_frame(protocol, encode_control(code, id, data)));
  }
  // Acks the session's latest LCP Configure-Request and sends the peer's own with `options`:
  // LCP opens. Returns the options of the request acked.
  Bytes open_lcp(const Bytes& options = {}) {
    auto req = last(proto::lcp).back();
    Bytes ours(req.data.begin(), req.data.end());
    send(proto::lcp, 2, req.id, ours);
    send(proto::lcp, 1, 1, options);
    return ours;
  }
  // The session's latest Configure-Request of `protocol`.
  std::optional<ControlPacket> latest_request(std::uint16_t protocol) {
    std::optional<ControlPacket> req;
    for (auto& c : last(protocol))
      if (c.code == 1) req = c;
    return req;
  }
  // Sends Echo-Request `id` carrying `data` (a Magic-Number first) and checks the session's
  // answer: an Echo-Reply with that Identifier and `magic`. Returns the reply's data.
  Bytes echo(std::uint8_t id, const Bytes& data, std::uint32_t magic) {
    send(proto::lcp, 9, id, data);
    auto rep = last(proto::lcp).back();
    EXPECT_EQ(rep.code, 10);
    EXPECT_EQ(rep.id, id);
    auto body = decode_echo(rep.data);
    if (!body) {
      ADD_FAILURE() << "undecodable Echo-Reply";
      return {};
    }
    EXPECT_EQ(body->magic, magic);
    return Bytes(body->data.begin(), body->data.end());
  }
  // The session under test on `c`, started: the test plays its peer packet by packet.
  void start(SessionConfig c, Authenticator* authenticator = nullptr) {
    s = std::make_unique<PppSession>(std::move(c), w, ev, timers, authenticator, &pool);
    s->start();
  }
};

TEST(PppSession, LoopedBackLinkIsDetected) {
  RawPeer p;
  p.start(server_config(SessionMode::local, {}));
  for (int i = 0; i < 1000 && !p.ev.down; ++i) {
    if (p.w.queue.empty()) {
      p.timers.advance(100ms);
      continue;
    }
    Bytes f = std::move(p.w.queue.front());
    p.w.queue.pop_front();
    p.s->receive(f);
  }
  EXPECT_EQ(p.ev.down, DownReason::loopback);
}

TEST(PppSession, IpcpNaksWrongAddressThenRejectsAtMaxFailure) {
  RawPeer p;
  p.start(server_config(SessionMode::local, {}));
  ASSERT_EQ(p.last(proto::lcp).size(), 1u);
  p.open_lcp(Bytes{5, 6, 1, 2, 3, 4});  // peer's magic
  ASSERT_EQ(p.s->lcp_state(), "Opened");
  ASSERT_EQ(p.s->phase(), Phase::network);
  Bytes wrong = encode_ipcp_options({Ipv4::parse("1.2.3.4"), Ipv4{}, std::nullopt, {}});
  for (int i = 0; i < 7; ++i) p.send(proto::ipcp, 1, static_cast<std::uint8_t>(i + 1), wrong);
  auto ipcp = p.last(proto::ipcp);
  std::vector<ControlPacket> naks, rejs;
  for (auto& c : ipcp) {
    if (c.code == 3) naks.push_back(c);
    if (c.code == 4) rejs.push_back(c);
  }
  ASSERT_EQ(naks.size(), 5u);
  auto nak = decode_ipcp_options(naks[0].data);
  ASSERT_TRUE(nak);
  EXPECT_EQ(nak->address->to_string(), "10.0.0.10");
  EXPECT_EQ(nak->primary_dns->to_string(), "10.0.0.53");
  ASSERT_EQ(rejs.size(), 2u);
  // The right address is acked.
  p.send(
      proto::ipcp, 1, 20,
      encode_ipcp_options({Ipv4::parse("10.0.0.10"), Ipv4::parse("10.0.0.53"), std::nullopt, {}}));
  EXPECT_EQ(p.last(proto::ipcp).back().code, 2);
  // Our request gets acked: IPCP up.
  for (auto& c : p.last(proto::ipcp))
    if (c.code == 1) p.send(proto::ipcp, 2, c.id, Bytes(c.data.begin(), c.data.end()));
  ASSERT_TRUE(p.ev.up);
  EXPECT_EQ(p.ev.up->peer_address.to_string(), "10.0.0.10");
}

LcpOptions auth_only(AuthProtocol p) {
  LcpOptions o;
  o.auth = p;
  return o;
}

TEST(PppSession, LcpAuthNakFallsBackToNextAllowedMethod) {
  RawPeer p;
  p.start(server_config(SessionMode::local, {AuthMethod::chap_md5, AuthMethod::pap}));
  auto first = p.last(proto::lcp).at(0);
  EXPECT_EQ(decode_lcp_options(first.data)->auth, AuthProtocol::chap_md5);
  p.send(proto::lcp, 3, first.id, encode_lcp_options(auth_only(AuthProtocol::pap)));
  auto second = p.last(proto::lcp).at(1);
  EXPECT_EQ(second.code, 1);
  EXPECT_EQ(decode_lcp_options(second.data)->auth, AuthProtocol::pap);
  // A Nak suggesting something we do not allow at all, when no method is left: LCP closes.
  p.send(proto::lcp, 3, second.id, Bytes{3, 4, 0xc2, 0x27});
  EXPECT_EQ(p.last(proto::lcp).back().code, 5);  // Terminate-Request
  p.timers.advance(7s);
  EXPECT_EQ(p.ev.down, DownReason::lcp_failed);
}

TEST(PppSession, LcpNaksTinyMruAndRejectsUnknownOptions) {
  RawPeer p;
  p.start(server_config(SessionMode::local, {}));
  p.send(proto::lcp, 1, 7, Bytes{1, 4, 0, 64});  // MRU 64
  auto nak = p.last(proto::lcp).back();
  EXPECT_EQ(nak.code, 3);
  EXPECT_EQ(decode_lcp_options(nak.data)->mru, 128);
  p.send(proto::lcp, 1, 8, Bytes{1, 4, 5, 0xdc, 0x0d, 3, 6});  // Callback: unknown
  auto rej = p.last(proto::lcp).back();
  EXPECT_EQ(rej.code, 4);
  EXPECT_EQ(Bytes(rej.data.begin(), rej.data.end()), (Bytes{0x0d, 3, 6}));
  p.send(proto::lcp, 1, 9,
         Bytes{1, 4, 5, 0xdc, 3, 5, 0xc2, 0x23, 5});  // asks us to do CHAP: server refuses
  EXPECT_EQ(p.last(proto::lcp).back().code, 4);
  p.send(proto::lcp, 1, 10, Bytes{1, 4, 5, 0xdc, 7, 2, 8, 2});
  EXPECT_EQ(p.last(proto::lcp).back().code, 2);
  EXPECT_EQ(p.s->lcp_state(), "Ack-Sent");
}

TEST(PppSession, LcpMruNakNeverRaisesOurMru) {
  RawPeer p;
  SessionConfig c = server_config(SessionMode::local, {});
  c.mru = 1492;  // PPPoE
  p.start(c);
  auto first = p.last(proto::lcp).back();
  EXPECT_EQ(decode_lcp_options(first.data)->mru, 1492);
  p.send(proto::lcp, 3, first.id, Bytes{1, 4, 0x05, 0xdc});  // Nak: 1500
  auto second = p.last(proto::lcp).back();
  EXPECT_EQ(decode_lcp_options(second.data)->mru, 1492);
  p.send(proto::lcp, 3, second.id, Bytes{1, 4, 0x05, 0x78});  // Nak: 1400
  EXPECT_EQ(decode_lcp_options(p.last(proto::lcp).back().data)->mru, 1400);
}

TEST(PppSession, IpcpPeerRefusingAnyAddressFails) {
  RawPeer p;
  p.start(server_config(SessionMode::local, {}));
  p.open_lcp();
  for (auto& c : p.last(proto::ipcp))
    if (c.code == 1) p.send(proto::ipcp, 2, c.id, Bytes(c.data.begin(), c.data.end()));
  // Keeps asking with no address: Nak'd with one 5 times, then acked without, then closed.
  for (int i = 0; i < 6; ++i) p.send(proto::ipcp, 1, static_cast<std::uint8_t>(i + 1), {});
  p.timers.advance(10s);
  EXPECT_EQ(p.ev.down, DownReason::ipcp_failed);
}

// ---- VPDN: LAC producing proxy data, LNS consuming it -------------------------------

struct Vpdn : Net {
  // LCP + auth between the user and the LAC, then hand over to an LNS session.
  void lac_phase(std::vector<AuthMethod> lac_auth) {
    connect(*this, server_config(SessionMode::lac, std::move(lac_auth)));
    ASSERT_TRUE(server_ev.proxy);
    EXPECT_FALSE(server_ev.up);
    EXPECT_EQ(server->phase(), Phase::tunnel_ready);
    EXPECT_EQ(pool.acquired, 0);
    EXPECT_EQ(to_client.count(proto::ipcp, 1), 0u);  // the LAC never runs IPCP
  }
  // LCP Configure-Requests the user had seen when the LNS took over.
  std::size_t lcp_requests_before_lns = 0;
  void lns_phase(bool mandatory_lcp, bool mandatory_chap,
                 std::vector<AuthMethod> lns_auth = {AuthMethod::chap_md5}) {
    lcp_requests_before_lns = to_client.count(proto::lcp, 1);
    server->hand_over();
    SessionConfig c = server_config(SessionMode::lns, std::move(lns_auth));
    c.tag = "lns";
    c.local_address = *Ipv4::parse("192.168.0.1");
    c.proxy = *server_ev.proxy;
    c.mandatory_lcp = mandatory_lcp;
    c.mandatory_chap = mandatory_chap;
    c.random = seeded(3);
    pool.next = 0xc0a8000a;
    lns = std::make_unique<PppSession>(c, to_client, lns_ev, timers, &auth, &pool);
    lns->start();
    pump();
    run(5s);
  }
  // The user authenticates with `m` at the LAC, which hands over to an LNS also allowing only
  // `m`; whether the LNS session and the user came up.
  bool through_lns(bool mandatory_lcp, bool mandatory_chap, AuthMethod m = AuthMethod::chap_md5) {
    lac_phase({m});
    if (::testing::Test::HasFatalFailure()) return false;
    lns_phase(mandatory_lcp, mandatory_chap, {m});
    return lns_ev.up && client_ev.up;
  }
  // The user restarts LCP towards the LNS (as if its link flapped): the LNS challenges it
  // again and LCP opens again.
  void user_restarts_lcp() {
    std::size_t challenges = to_client.count(proto::chap, chap_code::challenge);
    lns->receive(encode_frame(proto::lcp, encode_control(1, 99, Bytes{5, 6, 1, 2, 3, 4})));
    pump();
    run(10s);
    EXPECT_GT(to_client.count(proto::chap, chap_code::challenge), challenges);
    EXPECT_EQ(lns->lcp_state(), "Opened");
  }
};

TEST(PppVpdn, LacProducesChapProxyData) {
  Vpdn v;
  v.lac_phase({AuthMethod::chap_md5});
  const ProxyData& p = *v.server_ev.proxy;
  EXPECT_EQ(p.auth_type, ProxyAuthType::chap);
  EXPECT_EQ(p.auth_name, "alice@corp.com");
  EXPECT_EQ(p.auth_challenge.size(), 16u);
  ASSERT_TRUE(p.auth_id);
  EXPECT_EQ(p.auth_response, chap_md5_response(*p.auth_id, "alicepw", p.auth_challenge));
  auto sent = decode_lcp_options(p.last_sent_confreq);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->auth, AuthProtocol::chap_md5);
  EXPECT_TRUE(sent->magic);
  auto recv = decode_lcp_options(p.last_received_confreq);
  ASSERT_TRUE(recv);
  EXPECT_TRUE(recv->magic);
  EXPECT_FALSE(p.initial_received_confreq.empty());
  // After hand-over every frame is the data plane's to switch.
  v.server->hand_over();
  EXPECT_EQ(v.server->phase(), Phase::handed_over);
  EXPECT_EQ(v.server->receive(encode_frame(proto::lcp, encode_control(9, 1, Bytes{0, 0, 0, 0}))),
            Disposition::passthrough);
}

TEST(PppVpdn, LacProducesPapProxyData) {
  Vpdn v;
  v.lac_phase({AuthMethod::pap});
  const ProxyData& p = *v.server_ev.proxy;
  EXPECT_EQ(p.auth_type, ProxyAuthType::pap);
  EXPECT_EQ(std::string(p.auth_response.begin(), p.auth_response.end()), "alicepw");
  EXPECT_TRUE(p.auth_challenge.empty());
}

TEST(PppVpdn, LacUserRenegotiatingBeforeHandOverEndsTheCall) {
  Vpdn v;
  v.lac_phase({AuthMethod::chap_md5});
  v.server->receive(encode_frame(proto::lcp, encode_control(1, 77, Bytes{5, 6, 9, 9, 9, 9})));
  v.pump();
  v.run(7s);
  EXPECT_EQ(v.server_ev.down, DownReason::lcp_failed);
}

TEST(PppVpdn, LnsUserRenegotiatingLcpIsAuthenticatedAgain) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, false)) << v.lns_ev.down_detail;
  v.user_restarts_lcp();
  EXPECT_FALSE(v.lns_ev.down);
}

TEST(PppVpdn, LacContinueLocallyRunsIpcp) {
  Vpdn v;
  v.lac_phase({AuthMethod::chap_md5});
  v.server->continue_locally();
  v.pump();
  ASSERT_TRUE(v.server_ev.up);
  ASSERT_TRUE(v.client_ev.up);
  EXPECT_EQ(v.client_ev.up->local_address.to_string(), "10.0.0.10");
}

TEST(PppVpdn, LnsDefaultSkipsLcpAndVerifiesProxiedChap) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, false)) << v.lns_ev.down_detail;
  EXPECT_EQ(v.to_client.count(proto::lcp, 1),
            v.lcp_requests_before_lns);  // no LCP ConfReq from the LNS
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::challenge), 1u);  // only the LAC's
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_TRUE(v.auth.requests[1].proxied);
  EXPECT_EQ(v.auth.requests[1].user, "alice@corp.com");
  EXPECT_EQ(v.lns_ev.up->user, "alice@corp.com");
  EXPECT_EQ(v.lns_ev.up->peer_address.to_string(), "192.168.0.10");
  EXPECT_EQ(v.client_ev.up->local_address.to_string(), "192.168.0.10");
  EXPECT_EQ(v.client_ev.up->peer_address.to_string(), "192.168.0.1");
  EXPECT_EQ(v.lns->lcp_state(), "Opened");
  // Echo on the LNS uses the proxied magic and is answered by the user.
  v.run(30s);
  EXPECT_GT(v.lns->counters().echo_replies, 0u);
  EXPECT_FALSE(v.lns_ev.down);
}

TEST(PppVpdn, LnsKeepsUserIpcpWhileAaaVerifiesProxy) {
  Vpdn v;
  v.lac_phase({AuthMethod::chap_md5});
  v.auth.defer = true;
  v.server->hand_over();
  SessionConfig c = server_config(SessionMode::lns, {AuthMethod::chap_md5});
  c.proxy = *v.server_ev.proxy;
  v.lns = std::make_unique<PppSession>(c, v.to_client, v.lns_ev, v.timers, &v.auth, &v.pool);
  v.lns->start();
  v.run(1s);
  EXPECT_EQ(v.lns->phase(), Phase::authenticate);
  std::size_t ipcp_in = v.lns->counters().control_in;
  v.run(3s);  // the user's IPCP retransmission arrives while RADIUS works
  EXPECT_GT(v.lns->counters().control_in, ipcp_in);
  v.answer_auth(v.lns_ev);
}

TEST(PppVpdn, LnsDefaultVerifiesProxiedPap) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, false, AuthMethod::pap)) << v.lns_ev.down_detail;
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_TRUE(v.auth.requests[1].proxied);
  EXPECT_EQ(v.auth.requests[1].method, AuthMethod::pap);
  EXPECT_EQ(v.auth.requests[1].password, "alicepw");
}

TEST(PppVpdn, LnsMandatoryChapRechallenges) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, true)) << v.lns_ev.down_detail;
  EXPECT_EQ(v.to_client.count(proto::lcp, 1), v.lcp_requests_before_lns);
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::challenge), 2u);  // LAC's + LNS's
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_FALSE(v.auth.requests[1].proxied);
  EXPECT_NE(v.auth.requests[1].chap_challenge, v.server_ev.proxy->auth_challenge);
}

TEST(PppVpdn, LnsMandatoryLcpRenegotiates) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(true, false)) << v.lns_ev.down_detail;
  EXPECT_GT(v.to_client.count(proto::lcp, 1),
            v.lcp_requests_before_lns);  // the LNS sent its own ConfReq
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::challenge), 2u);
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_FALSE(v.auth.requests[1].proxied);
  EXPECT_EQ(v.client_ev.up->local_address.to_string(), "192.168.0.10");
}

TEST(PppVpdn, LnsRejectingProxiedCredentialsTerminates) {
  Vpdn v;
  v.lac_phase({AuthMethod::chap_md5});
  v.auth.users["alice@corp.com"] = "changed-at-the-lns";
  v.lns_phase(false, false);
  EXPECT_EQ(v.lns_ev.down, DownReason::auth_failed);
  EXPECT_FALSE(v.lns_ev.up);
  EXPECT_EQ(v.pool.acquired, 0);
  EXPECT_EQ(v.client_ev.down, DownReason::peer_terminated);
}

TEST(PppVpdn, LnsWithoutProxyRunsEverything) {
  Net n;
  SessionConfig c = server_config(SessionMode::lns, {AuthMethod::chap_md5});
  ASSERT_TRUE(connect_up(n, c));
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::chap_md5);
}

TEST(PppVpdn, LnsMandatoryChapAfterPapAtLacRenegotiatesLcp) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, true, AuthMethod::pap)) << v.lns_ev.down_detail;
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::chap_md5);
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_EQ(v.auth.requests[1].method, AuthMethod::chap_md5);
  EXPECT_FALSE(v.auth.requests[1].proxied);
}

TEST(PppSession, LostChapResponseIsRechallengedLostSuccessTimesOutClient) {
  Net n;
  int responses_lost = 0, successes_lost = 0;
  n.to_server.drop = [&](const Frame& f) {
    return f.protocol == proto::chap && f.payload[0] == chap_code::response &&
           responses_lost++ == 0;
  };
  n.to_client.drop = [&](const Frame& f) {
    return f.protocol == proto::chap && f.payload[0] == chap_code::success && successes_lost++ == 0;
  };
  connect(n, server_config(SessionMode::local, {AuthMethod::chap_md5}));
  EXPECT_FALSE(n.server_ev.up);
  n.run(3s);  // Challenge #2 after the restart timer, its Response gets through
  EXPECT_EQ(n.to_client.count(proto::chap, chap_code::challenge), 2u);
  EXPECT_EQ(n.auth.requests.size(), 1u);
  // The server is authenticated and runs IPCP; the client lost Success and waits.
  n.run(31s);
  // The client's auth timer (30 s) expires: it gives up, since the server never re-challenges
  // after success. That is what RFC 1994 peers do too (pppd: "CHAP: timeout").
  EXPECT_EQ(n.client_ev.down, DownReason::auth_timeout);
}

TEST(PppSession, DuplicateChapResponseGetsSameSuccess) {
  RawPeer p;
  FakeAuth auth;
  p.start(server_config(SessionMode::local, {AuthMethod::chap_md5}), &auth);
  p.open_lcp();
  auto ch = decode_chap_value(p.last(proto::chap).back());
  ASSERT_TRUE(ch);
  Bytes resp = encode_chap_value(
      {chap_code::response, ch->id, chap_md5_response(ch->id, "bobpw", ch->value), "bob"});
  p.s->receive(encode_frame(proto::chap, resp));
  p.s->receive(encode_frame(proto::chap, resp));
  std::size_t successes = 0;
  for (auto& c : p.last(proto::chap)) successes += c.code == chap_code::success;
  EXPECT_EQ(successes, 2u);
  EXPECT_EQ(auth.requests.size(), 1u);  // AAA asked once
  // A Response with a stale Identifier is ignored.
  Bytes stale = encode_chap_value(
      {chap_code::response, static_cast<std::uint8_t>(ch->id + 9), Bytes(16, 1), "bob"});
  EXPECT_EQ(p.s->receive(encode_frame(proto::chap, stale)), Disposition::dropped);
}

TEST(PppSession, PapServerTimesOutWithoutRequest) {
  RawPeer p;
  SessionConfig c = server_config(SessionMode::local, {AuthMethod::pap});
  c.auth_timeout = 20s;
  p.start(c);
  p.open_lcp();
  EXPECT_EQ(p.s->phase(), Phase::authenticate);
  p.timers.advance(19s);
  EXPECT_FALSE(p.ev.down);
  p.timers.advance(1s + 6s);
  EXPECT_EQ(p.ev.down, DownReason::auth_timeout);
}

TEST(PppSession, PapClientRetransmitsRequest) {
  RawPeer p;
  p.s = std::make_unique<PppSession>(client_config(), p.w, p.ev, p.timers);
  p.s->start();
  p.open_lcp(Bytes{3, 4, 0xc0, 0x23});  // the server wants PAP
  ASSERT_EQ(p.last(proto::pap).size(), 1u);
  p.timers.advance(3s);
  auto paps = p.last(proto::pap);
  ASSERT_EQ(paps.size(), 2u);
  auto r = decode_pap_request(paps[1]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->peer_id, "alice@corp.com");
  EXPECT_EQ(r->password, "alicepw");
  p.send(proto::pap, pap_code::nak, r->id, Bytes{0});
  p.timers.advance(7s);
  EXPECT_EQ(p.ev.down, DownReason::auth_failed);
}

TEST(PppSession, DebugLinesGoToLogBusWithoutSecrets) {
  std::vector<std::string> lines;
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  bus.set_all(DebugModule::ppp, true);
  auto id = bus.subscribe([&](const LogRecord& r) {
    if (r.is_debug && r.module == DebugModule::ppp) lines.push_back(r.text);
  });
  {
    Net n;
    ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {AuthMethod::pap})));
  }
  bus.unsubscribe(id);
  bus.set_all(DebugModule::ppp, false);
  auto has = [&](std::string_view s) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(s) != std::string::npos; });
  };
  EXPECT_TRUE(has("server: sent LCP ConfReq id=1"));
  EXPECT_TRUE(has("client: received PAP Auth-Ack"));
  EXPECT_TRUE(has("LCP: RCA in Ack-Sent, state now Opened"));
  EXPECT_TRUE(has("phase Authenticate -> Network"));
  EXPECT_TRUE(has("IPCP up: user alice@corp.com"));
  EXPECT_FALSE(has("alicepw"));
}

TEST(PppVpdn, LnsWithUndecodableProxyLcpRenegotiates) {
  Net n;
  SessionConfig c = server_config(SessionMode::lns, {AuthMethod::chap_md5});
  ProxyData p;
  p.last_sent_confreq = {0x01, 0x03, 0x05};  // MRU with length 3
  p.last_received_confreq = {0x05, 0x06, 1, 2, 3, 4};
  p.auth_type = ProxyAuthType::chap;
  c.proxy = p;
  ASSERT_TRUE(connect_up(n, c));
  EXPECT_GE(n.to_client.count(proto::lcp, 1), 1u);  // it sent its own ConfReq
  EXPECT_FALSE(n.auth.requests.at(0).proxied);
}

TEST(PppVpdn, LacHandedOverLowerDownReportsOnce) {
  Vpdn v;
  v.lac_phase({AuthMethod::chap_md5});
  v.server->hand_over();
  v.server->lower_down();
  EXPECT_EQ(v.server_ev.down, DownReason::lower_down);
  v.server->close("again");
  v.server->lower_down();
  EXPECT_EQ(v.server_ev.downs, 1);
}

TEST(PppSession, PeerProtocolRejectingIpcpEndsSession) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::local, {})));
  ByteWriter w;
  w.u16(proto::ipcp);
  w.bytes(encode_control(1, 1, Bytes{}));
  n.server->receive(encode_frame(proto::lcp, encode_control(8, 42, w.buffer())));
  n.run(10s);
  EXPECT_EQ(n.server_ev.down, DownReason::protocol_rejected);
}

TEST(PppSession, EchoRequestAnsweredWithOurMagicAndOwnMagicEchoIsLoop) {
  RawPeer p;
  p.start(server_config(SessionMode::local, {}));
  auto ours = decode_lcp_options(p.open_lcp(Bytes{5, 6, 0x11, 0x22, 0x33, 0x44}));
  ASSERT_TRUE(ours && ours->magic);
  ASSERT_EQ(p.s->lcp_state(), "Opened");
  EXPECT_EQ(p.echo(5, Bytes{0x11, 0x22, 0x33, 0x44, 0xab}, *ours->magic), Bytes{0xab});
  // An Echo-Reply carrying our own Magic-Number: the link is looped back.
  ByteWriter w;
  w.u32(*ours->magic);
  p.send(proto::lcp, 10, 6, w.take());
  p.timers.advance(7s);
  EXPECT_EQ(p.ev.down, DownReason::loopback);
}

// The keepalive's frames octet for octet, on both sides of the size up to which they are
// built on the stack: Echo-Request = c0 21 | 09 id 00 08 | our magic; Echo-Reply =
// c0 21 | 0a id length | our magic | the request's data after its magic.
TEST(PppSession, EchoFramesOctetForOctet) {
  RawPeer p;
  SessionConfig c = server_config(SessionMode::local, {});
  c.echo_interval = 10s;
  p.start(c);
  auto ours = decode_lcp_options(p.open_lcp(Bytes{5, 6, 0x11, 0x22, 0x33, 0x44}));
  ASSERT_TRUE(ours && ours->magic);
  ASSERT_EQ(p.s->lcp_state(), "Opened");
  const std::uint32_t m = *ours->magic;
  const Bytes magic{static_cast<std::uint8_t>(m >> 24), static_cast<std::uint8_t>(m >> 16),
                    static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m)};
  for (std::size_t size : {0, 1, 245, 246, 247, 248, 249, 252, 253, 600}) {
    Bytes data{0x11, 0x22, 0x33, 0x44};
    data.resize(4 + size, 0x5a);
    p.send(proto::lcp, 9, 7, data);
    const std::size_t len = 8 + size;
    Bytes want{
        0xc0, 0x21, 0x0a, 7, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
    want.insert(want.end(), magic.begin(), magic.end());
    want.resize(want.size() + size, 0x5a);
    EXPECT_EQ(p.w.sent.back(), want) << "request data of " << size;
  }
  const std::size_t before = p.w.sent.size();
  p.timers.advance(11s);
  ASSERT_GT(p.w.sent.size(), before);
  std::optional<Bytes> request;
  for (std::size_t i = before; i < p.w.sent.size(); ++i)
    if (p.w.sent[i].size() > 2 && p.w.sent[i][2] == 9) request = p.w.sent[i];
  ASSERT_TRUE(request);
  Bytes want{0xc0, 0x21, 0x09, (*request)[3], 0x00, 0x08};
  want.insert(want.end(), magic.begin(), magic.end());
  EXPECT_EQ(*request, want);
}

// ---- after the session settled ----------------------------------------------------------
// An established session frees its LCP/IPCP policies and keeps their compact state. These
// prove that what the peer can still do then works exactly as before: renegotiate LCP
// (RFC 1661: a Configure-Request in Opened), renegotiate IPCP alone, keep the echo
// keepalive going, repeat a lost CHAP Success.

// A raw peer brings an LNS session (no proxy, CHAP) up by hand.
struct SettledLns : RawPeer {
  FakeAuth auth;
  Bytes first_request;  // our first LCP Configure-Request's options
  void bring_up(SessionConfig c) {
    s = std::make_unique<PppSession>(std::move(c), w, ev, timers, &auth, &pool);
    s->start();
    first_request = open_lcp(Bytes{1, 4, 0x05, 0xaa, 5, 6, 1, 2, 3, 4});  // MRU 1450, magic
    ASSERT_EQ(s->lcp_state(), "Opened");
    answer_challenge();
    ASSERT_EQ(s->phase(), Phase::network);
    finish_ipcp(1);
    ASSERT_EQ(s->phase(), Phase::running);
  }
  void answer_challenge() {
    auto ch = decode_chap_value(last(proto::chap).back());
    ASSERT_TRUE(ch);
    ASSERT_EQ(ch->code, chap_code::challenge);
    Bytes resp = encode_chap_value(
        {chap_code::response, ch->id, chap_md5_response(ch->id, "bobpw", ch->value), "bob"});
    s->receive(encode_frame(proto::chap, resp));
  }
  // Acks the server's IPCP request and asks for the address it was given.
  void finish_ipcp(std::uint8_t id) {
    auto req = last(proto::ipcp).back();
    ASSERT_EQ(req.code, 1);
    send(proto::ipcp, 2, req.id, Bytes(req.data.begin(), req.data.end()));
    send(proto::ipcp, 1, id, encode_ipcp_options({Ipv4{0x0a00000a}, {}, {}, {}}));
    ASSERT_EQ(s->ipcp_state(), "Opened");
  }
  std::size_t count(std::uint16_t protocol, std::uint8_t code) { return w.count(protocol, code); }
};

SessionConfig lns_no_proxy() {
  SessionConfig c = server_config(SessionMode::lns, {AuthMethod::chap_md5});
  c.mru = 1400;
  c.request_pfc = true;
  return c;
}

TEST(PppSettled, LcpConfReqInOpenedRenegotiatesFromWhereItWasAndReauthenticates) {
  SettledLns p;
  p.bring_up(lns_no_proxy());
  ASSERT_EQ(p.ev.ups, 1);
  EXPECT_EQ(p.s->peer_mru(), 1450);
  const std::size_t lcp_requests = p.count(proto::lcp, 1);
  const std::size_t challenges = p.count(proto::chap, chap_code::challenge);
  // The peer restarts LCP with another MRU.
  p.send(proto::lcp, 1, 2, Bytes{1, 4, 0x05, 0x14, 5, 6, 1, 2, 3, 4});  // MRU 1300
  EXPECT_EQ(p.s->lcp_state(), "Ack-Sent");
  EXPECT_EQ(p.s->phase(), Phase::establish);
  ASSERT_EQ(p.count(proto::lcp, 1), lcp_requests + 1);
  auto req = p.latest_request(proto::lcp);
  ASSERT_TRUE(req);
  // Exactly the request the freed policy would have sent: same MRU, Auth, Magic, PFC.
  EXPECT_EQ(Bytes(req->data.begin(), req->data.end()), p.first_request);
  p.send(proto::lcp, 2, req->id, Bytes(req->data.begin(), req->data.end()));
  ASSERT_EQ(p.s->lcp_state(), "Opened");
  EXPECT_EQ(p.s->peer_mru(), 1300);
  EXPECT_EQ(p.count(proto::chap, chap_code::challenge), challenges + 1);
  p.answer_challenge();
  EXPECT_EQ(p.auth.requests.size(), 2u);
  p.finish_ipcp(2);
  EXPECT_EQ(p.s->phase(), Phase::running);
  ASSERT_EQ(p.ev.ups, 2);
  EXPECT_EQ(p.ev.up->peer_address, Ipv4{0x0a00000a});
  EXPECT_EQ(p.ev.up->peer_mru, 1300);
  EXPECT_EQ(p.ev.up->auth, AuthProtocol::chap_md5);
  EXPECT_EQ(p.pool.acquired, 1);  // the address is kept across the renegotiation
  EXPECT_FALSE(p.ev.down);
}

TEST(PppSettled, PeerNakedMruSurvivesTheFreedPolicy) {
  // The peer Naks our MRU down; a later renegotiation must start from what was agreed (the
  // freed policy's state), not from the configuration.
  SettledLns p;
  p.start(lns_no_proxy(), &p.auth);
  auto req = p.last(proto::lcp).back();
  p.send(proto::lcp, 3, req.id, Bytes{1, 4, 0x04, 0xb0});  // Nak: MRU 1200
  req = p.last(proto::lcp).back();
  ASSERT_EQ(req.code, 1);
  Bytes agreed(req.data.begin(), req.data.end());
  auto o = decode_lcp_options(agreed);
  ASSERT_TRUE(o && o->mru);
  EXPECT_EQ(*o->mru, 1200);
  p.send(proto::lcp, 2, req.id, agreed);
  p.send(proto::lcp, 1, 1, Bytes{5, 6, 1, 2, 3, 4});
  ASSERT_EQ(p.s->lcp_state(), "Opened");
  p.answer_challenge();
  p.finish_ipcp(1);
  ASSERT_EQ(p.ev.ups, 1);
  p.send(proto::lcp, 1, 2, Bytes{5, 6, 1, 2, 3, 4});
  auto sent = p.last(proto::lcp);
  ASSERT_GE(sent.size(), 2u);
  req = sent[sent.size() - 2];  // our new Configure-Request, then our Ack of the peer's
  ASSERT_EQ(req.code, 1);
  EXPECT_EQ(sent.back().code, 2);
  EXPECT_EQ(Bytes(req.data.begin(), req.data.end()), agreed);
}

TEST(PppSettled, IpcpConfReqInOpenedRenegotiatesIpcpOnly) {
  SettledLns p;
  p.bring_up(lns_no_proxy());
  const std::size_t lcp_requests = p.count(proto::lcp, 1);
  const std::size_t challenges = p.count(proto::chap, chap_code::challenge);
  const std::size_t ipcp_requests = p.count(proto::ipcp, 1);
  auto first_ipcp = p.latest_request(proto::ipcp);
  ASSERT_TRUE(first_ipcp);
  Bytes our_ipcp(first_ipcp->data.begin(), first_ipcp->data.end());
  p.send(proto::ipcp, 1, 7, encode_ipcp_options({Ipv4{0x0a00000a}, {}, {}, {}}));
  EXPECT_EQ(p.s->ipcp_state(), "Ack-Sent");
  EXPECT_EQ(p.s->phase(), Phase::network);
  ASSERT_EQ(p.count(proto::ipcp, 1), ipcp_requests + 1);
  auto ours = p.latest_request(proto::ipcp);
  ASSERT_TRUE(ours);
  EXPECT_EQ(Bytes(ours->data.begin(), ours->data.end()), our_ipcp);
  p.send(proto::ipcp, 2, ours->id, Bytes(ours->data.begin(), ours->data.end()));
  EXPECT_EQ(p.s->ipcp_state(), "Opened");
  EXPECT_EQ(p.s->phase(), Phase::running);
  EXPECT_EQ(p.ev.ups, 2);
  EXPECT_EQ(p.ev.up->peer_address, Ipv4{0x0a00000a});
  EXPECT_EQ(p.count(proto::lcp, 1), lcp_requests);  // LCP untouched
  EXPECT_EQ(p.count(proto::chap, chap_code::challenge), challenges);
  EXPECT_EQ(p.pool.acquired, 1);
  // A wrong address in the renegotiation is Nak'd with the one the session holds.
  p.send(proto::ipcp, 1, 8, encode_ipcp_options({Ipv4{0x01020304}, {}, {}, {}}));
  auto nak = p.last(proto::ipcp).back();
  EXPECT_EQ(nak.code, 3);
  auto o = decode_ipcp_options(nak.data);
  ASSERT_TRUE(o && o->address);
  EXPECT_EQ(*o->address, Ipv4{0x0a00000a});
}

TEST(PppSettled, EchoKeepaliveAnsweredAndSentAfterSettling) {
  SettledLns p;
  SessionConfig c = lns_no_proxy();
  c.echo_interval = 10s;
  c.echo_max_missed = 2;
  p.bring_up(c);
  auto ours = decode_lcp_options(p.first_request);
  ASSERT_TRUE(ours && ours->magic);
  // The peer's Echo-Request is answered with our Magic-Number.
  EXPECT_EQ(p.echo(42, Bytes{1, 2, 3, 4, 0xee}, *ours->magic), Bytes{0xee});
  // Our Echo-Requests go out every 10 s; answering them keeps the session.
  for (int round = 0; round < 3; ++round) {
    p.timers.advance(10s);
    auto echo = p.last(proto::lcp).back();
    ASSERT_EQ(echo.code, 9) << "round " << round;
    auto e = decode_echo(echo.data);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->magic, *ours->magic);
    p.send(proto::lcp, 10, echo.id, Bytes{1, 2, 3, 4});
  }
  EXPECT_EQ(p.s->counters().echo_sent, 3u);
  EXPECT_EQ(p.s->counters().echo_replies, 3u);
  EXPECT_FALSE(p.ev.down);
  // Unanswered: down after echo_max_missed.
  p.timers.advance(40s);
  EXPECT_EQ(p.ev.down, DownReason::echo_timeout);
}

TEST(PppSettled, DuplicateChapResponseAfterIpcpUpGetsTheSameSuccess) {
  Net n;
  ASSERT_TRUE(connect_up(n, server_config(SessionMode::lns, {AuthMethod::chap_md5})));
  Bytes response;
  for (const auto& f : n.to_server.sent) {
    auto d = decode_frame(f);
    if (d && d->protocol == proto::chap && d->payload[0] == chap_code::response) response = f;
  }
  ASSERT_FALSE(response.empty());
  std::vector<Bytes> successes;
  auto collect = [&] {
    successes.clear();
    for (const auto& f : n.to_client.sent) {
      auto d = decode_frame(f);
      if (d && d->protocol == proto::chap && d->payload[0] == chap_code::success)
        successes.push_back(f);
    }
  };
  collect();
  ASSERT_EQ(successes.size(), 1u);
  EXPECT_EQ(n.server->receive(response), Disposition::control);
  collect();
  ASSERT_EQ(successes.size(), 2u);
  EXPECT_EQ(successes[1], successes[0]);  // same Identifier and message
  EXPECT_EQ(n.auth.requests.size(), 1u);
  n.pump();
  EXPECT_FALSE(n.server_ev.down);
}

TEST(PppVpdn, LnsMandatoryLcpSessionRenegotiatesAgainAfterSettling) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(true, false)) << v.lns_ev.down_detail;
  ASSERT_EQ(v.lns_ev.ups, 1);
  v.user_restarts_lcp();
  EXPECT_EQ(v.lns->ipcp_state(), "Opened");
  EXPECT_EQ(v.lns_ev.ups, 2);
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::chap_md5);
  EXPECT_FALSE(v.lns_ev.down);
  v.run(30s);  // echo keeps working after the second settling
  EXPECT_GT(v.lns->counters().echo_replies, 0u);
  EXPECT_FALSE(v.lns_ev.down);
}

TEST(PppVpdn, LnsMandatoryChapSessionRenegotiatesAgainAfterSettling) {
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, true)) << v.lns_ev.down_detail;
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::chap_md5);
  v.user_restarts_lcp();
  EXPECT_EQ(v.lns->ipcp_state(), "Opened");
  EXPECT_EQ(v.lns_ev.ups, 2);
  EXPECT_FALSE(v.lns_ev.down);
}

TEST(PppVpdn, LnsProxiedSessionIpcpRenegotiationReportsTheProxiedAuth) {
  // The proxy data is freed after start(); a second on_up must still say how the user
  // authenticated at the LAC.
  Vpdn v;
  ASSERT_TRUE(v.through_lns(false, false, AuthMethod::pap)) << v.lns_ev.down_detail;
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::pap);
  v.lns->receive(encode_frame(
      proto::ipcp,
      encode_control(1, 77, encode_ipcp_options({v.lns->peer_address(), {}, {}, {}}))));
  v.pump();
  v.run(5s);
  EXPECT_EQ(v.lns->ipcp_state(), "Opened");
  ASSERT_EQ(v.lns_ev.ups, 2);
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::pap);
  EXPECT_EQ(v.lns_ev.up->user, "alice@corp.com");
  EXPECT_EQ(v.lns_ev.up->auth_result.message, "Welcome");
  EXPECT_FALSE(v.lns_ev.down);
}

TEST(PppSessionConfig, FromTemplate) {
  config::VirtualTemplate t;
  t.auth_modes = {config::PppAuthMode::chap, config::PppAuthMode::pap};
  t.ip_address = Ipv4::parse("192.168.0.1");
  t.dns_primary = Ipv4::parse("8.8.8.8");
  t.hold_timer_s = 20;
  t.mtu = 1400;
  SessionConfig c = config_from_template(t);
  EXPECT_EQ(c.auth_methods, (std::vector<AuthMethod>{AuthMethod::chap_md5, AuthMethod::pap}));
  EXPECT_EQ(c.local_address.to_string(), "192.168.0.1");
  EXPECT_EQ(c.dns_primary->to_string(), "8.8.8.8");
  EXPECT_FALSE(c.dns_secondary);
  EXPECT_EQ(c.echo_interval, std::chrono::seconds(20));
  EXPECT_EQ(c.mru, 1400);
}

// `debugging ppp all` while a hostile user name authenticates by PAP, then by CHAP: the
// name is escaped, neither the password nor the CHAP response shows, in text or in hex.
TEST(PppSession, DebugLinesEscapeUserNamesAndNeverShowSecrets) {
  const std::string user = "evil\x1b[2J\r\nPPP/7/EVENT: forged\x9b";
  auto& bus = LogBus::instance();
  std::vector<std::string> lines;
  bus.set_stderr(false);
  auto id = bus.subscribe([&](const LogRecord& r) { lines.push_back(r.text); });
  bus.set_all(DebugModule::ppp, true);
  std::vector<AuthRequest> requests;
  for (AuthMethod m : {AuthMethod::pap, AuthMethod::chap_md5}) {
    Net n;
    n.auth.users[user] = "Pw-S3cret";
    ASSERT_TRUE(
        connect_up(n, server_config(SessionMode::local, {m}), client_config(user, "Pw-S3cret")));
    requests.insert(requests.end(), n.auth.requests.begin(), n.auth.requests.end());
  }
  bus.set_all(DebugModule::ppp, false);
  bus.unsubscribe(id);
  bus.set_stderr(true);
  ASSERT_EQ(requests.size(), 2u);
  const std::string response = to_hex(requests[1].chap_response);
  bool saw_user = false;
  for (const auto& l : lines) {
    for (unsigned char c : l) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << l;
    EXPECT_EQ(l.find('\n'), std::string::npos) << l;
    EXPECT_EQ(l.find("Pw-S3cret"), std::string::npos) << l;
    EXPECT_EQ(l.find(to_hex(Bytes{'P', 'w', '-', 'S'})), std::string::npos) << l;
    EXPECT_EQ(l.find(response.substr(0, 11)), std::string::npos) << l;
    if (l.find("evil\\x1b[2J\\x0d\\x0aPPP/7/EVENT: forged\\x9b") != std::string::npos)
      saw_user = true;
  }
  EXPECT_TRUE(saw_user);
}

// ---- MS-CHAP (RFC 2433, RFC 2759) ----------------------------------------------------------

// The CHAP packets of `code` a wire carried, decoded by `decode`.
template <class Decode>
auto chap_packets(const Wire& w, std::uint8_t code, Decode decode) {
  std::vector<std::decay_t<decltype(*decode(ControlPacket{}))>> out;
  for (const auto& f : w.sent) {
    auto d = decode_frame(f);
    if (!d || d->protocol != proto::chap) continue;
    auto c = decode_control(d->payload);
    if (!c || c->code != code) continue;
    if (auto v = decode(*c)) out.push_back(*v);
  }
  return out;
}
std::vector<ChapStatus> chap_statuses(const Wire& w, std::uint8_t code) {
  return chap_packets(w, code, decode_chap_status);
}
std::vector<ChapValue> chap_values(const Wire& w, std::uint8_t code) {
  return chap_packets(w, code, decode_chap_value);
}

SessionConfig mschap_client(AuthMethod m, std::string pw = "alicepw") {
  SessionConfig c = client_config("alice@corp.com", std::move(pw));
  c.auth_methods = {m};
  return c;
}

// A server in `mode` allowing only `m` and a user who speaks only `m`, over `n`; whether both
// came up.
bool connect_mschap(Net& n, AuthMethod m, SessionMode mode = SessionMode::local,
                    std::string pw = "alicepw") {
  return connect_up(n, server_config(mode, {m}), mschap_client(m, std::move(pw)));
}

// A V2 user facing a server whose Success it must not trust: it gives up.
void expect_v2_client_refuses_success(Net& n) {
  connect_mschap(n, AuthMethod::mschap_v2);
  n.run(10s);
  EXPECT_FALSE(n.client_ev.up);
  EXPECT_EQ(n.client_ev.down, DownReason::auth_failed);
}

TEST(PppMsChap, V2ClientAndServerComeUpWithMutualAuthentication) {
  Net n;
  ASSERT_TRUE(connect_mschap(n, AuthMethod::mschap_v2)) << n.client_ev.down_detail;
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::mschap_v2);
  EXPECT_EQ(n.client_ev.up->auth, AuthProtocol::mschap_v2);
  ASSERT_EQ(n.auth.requests.size(), 1u);
  const AuthRequest& r = n.auth.requests[0];
  EXPECT_EQ(r.method, AuthMethod::mschap_v2);
  EXPECT_EQ(r.chap_challenge.size(), 16u);
  EXPECT_EQ(r.chap_response.size(), 49u);
  EXPECT_EQ(r.user, "alice@corp.com");
  auto challenges = chap_values(n.to_client, chap_code::challenge);
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].value, r.chap_challenge);
  auto success = chap_statuses(n.to_client, chap_code::success);
  ASSERT_EQ(success.size(), 1u);
  auto want = mschap::verify_v2("alicepw", r.chap_challenge, r.chap_response, r.user);
  ASSERT_TRUE(want);
  EXPECT_EQ(success[0].message, want->authenticator_response + " M=Welcome");
  // Both ends hold the MPPE keys, each its own direction.
  ASSERT_TRUE(n.server_ev.up->auth_result.mppe_keys);
  ASSERT_TRUE(n.client_ev.up->auth_result.mppe_keys);
  EXPECT_EQ(n.server_ev.up->auth_result.mppe_keys->send,
            n.client_ev.up->auth_result.mppe_keys->recv);
  EXPECT_EQ(n.server_ev.up->auth_result.mppe_keys->recv,
            n.client_ev.up->auth_result.mppe_keys->send);
}

TEST(PppMsChap, V1ClientAndServerComeUp) {
  Net n;
  ASSERT_TRUE(connect_mschap(n, AuthMethod::mschap_v1)) << n.client_ev.down_detail;
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::mschap_v1);
  ASSERT_EQ(n.auth.requests.size(), 1u);
  EXPECT_EQ(n.auth.requests[0].method, AuthMethod::mschap_v1);
  EXPECT_EQ(n.auth.requests[0].chap_challenge.size(), 8u);
  EXPECT_EQ(n.auth.requests[0].chap_response.size(), 49u);
}

TEST(PppMsChap, WrongV2PasswordGetsE691AndEndsBothSides) {
  Net n;
  connect_mschap(n, AuthMethod::mschap_v2, SessionMode::local, "wrong");
  n.run(10s);
  EXPECT_EQ(n.server_ev.down, DownReason::auth_failed);
  EXPECT_EQ(n.client_ev.down, DownReason::auth_failed);
  EXPECT_NE(n.client_ev.down_detail.find("E=691"), std::string::npos) << n.client_ev.down_detail;
  EXPECT_EQ(n.pool.acquired, 0);
  auto failure = chap_statuses(n.to_client, chap_code::failure);
  ASSERT_EQ(failure.size(), 1u);
  ASSERT_EQ(n.auth.requests.size(), 1u);
  std::string challenge = to_hex(n.auth.requests[0].chap_challenge, '\0');
  for (char& ch : challenge) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(failure[0].message, "E=691 R=0 C=" + challenge + " V=3 M=Authentication failure");
}

TEST(PppMsChap, RadiusMsChapErrorIsSentAsIs) {
  struct ErrorAuth : FakeAuth {
    Handle authenticate(const AuthRequest& r, Done done) override {
      requests.push_back(r);
      AuthResult res;
      res.mschap_error = "E=649 R=0 M=No dial-in permission";
      done(res);
      return 1;
    }
  };
  Net n;
  ErrorAuth a;
  n.server =
      std::make_unique<PppSession>(server_config(SessionMode::local, {AuthMethod::mschap_v2}),
                                   n.to_client, n.server_ev, n.timers, &a, &n.pool);
  n.client = std::make_unique<PppSession>(mschap_client(AuthMethod::mschap_v2), n.to_server,
                                          n.client_ev, n.timers);
  n.server->start();
  n.client->start();
  n.pump();
  auto failure = chap_statuses(n.to_client, chap_code::failure);
  ASSERT_EQ(failure.size(), 1u);
  EXPECT_EQ(failure[0].message, "E=649 R=0 M=No dial-in permission");
}

TEST(PppMsChap, V2ClientRefusesAServerThatDoesNotKnowThePassword) {
  Net n;
  n.auth.forged_auth_response = "S=0000000000000000000000000000000000000000";
  expect_v2_client_refuses_success(n);
  EXPECT_NE(n.client_ev.down_detail.find("authenticator response"), std::string::npos);
}

TEST(PppMsChap, V2ClientRefusesASuccessWithoutAuthenticatorResponse) {
  Net n;
  n.auth.omit_auth_response = true;
  expect_v2_client_refuses_success(n);
}

TEST(PppMsChap, ServerNaksToTheNextMethodInItsOrder) {
  // The server prefers MS-CHAP-V2, then CHAP; a CHAP-only client Naks and gets CHAP.
  Net n;
  SessionConfig c = client_config();
  c.auth_methods = {AuthMethod::chap_md5};
  ASSERT_TRUE(connect_up(
      n, server_config(SessionMode::local, {AuthMethod::mschap_v2, AuthMethod::chap_md5}), c));
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::chap_md5);
  EXPECT_GE(n.to_server.count(proto::lcp, 3), 1u);
}

TEST(PppMsChap, ClientNakSuggestingMsChapV2IsTaken) {
  // CHAP first at the server, but it allows MS-CHAP-V2: the client's suggestion wins.
  Net n;
  connect(n,
          server_config(SessionMode::local,
                        {AuthMethod::chap_md5, AuthMethod::pap, AuthMethod::mschap_v2}),
          mschap_client(AuthMethod::mschap_v2));
  ASSERT_TRUE(n.server_ev.up);
  EXPECT_EQ(n.server_ev.up->auth, AuthProtocol::mschap_v2);
  // The client's Nak named CHAP algorithm 0x81.
  bool saw = false;
  for (const auto& f : n.to_server.sent) {
    auto d = decode_frame(f);
    if (!d || d->protocol != proto::lcp) continue;
    auto c = decode_control(d->payload);
    if (!c || c->code != 3) continue;
    auto o = decode_lcp_options(c->data);
    saw = saw || (o && o->auth == AuthProtocol::mschap_v2);
  }
  EXPECT_TRUE(saw);
}

TEST(PppMsChap, MalformedResponseValueIsDroppedNotAuthenticated) {
  Net n;
  n.server =
      std::make_unique<PppSession>(server_config(SessionMode::local, {AuthMethod::mschap_v2}),
                                   n.to_client, n.server_ev, n.timers, &n.auth, &n.pool);
  // A CHAP-MD5 client that accepts anything would answer with 16 octets; emulate it with a
  // client that agrees MS-CHAP-V2 and rewrite its Response value.
  n.client = std::make_unique<PppSession>(mschap_client(AuthMethod::mschap_v2), n.to_server,
                                          n.client_ev, n.timers);
  n.to_server.drop = [](const Frame& f) {
    return f.protocol == proto::chap && !f.payload.empty() && f.payload[0] == chap_code::response;
  };
  n.server->start();
  n.client->start();
  n.pump();
  auto challenges = chap_values(n.to_client, chap_code::challenge);
  ASSERT_FALSE(challenges.empty());
  const auto before = n.server->counters().drop_malformed;
  n.server->receive(
      encode_frame(proto::chap, encode_chap_value({chap_code::response, challenges.back().id,
                                                   Bytes(16, 0xaa), "alice@corp.com"})));
  EXPECT_EQ(n.server->counters().drop_malformed, before + 1);
  EXPECT_TRUE(n.auth.requests.empty());
}

TEST(PppMsChap, LacCarriesV1AsProxyType5AndTheLnsVerifiesIt) {
  Vpdn v;
  v.client.reset();
  connect_mschap(v, AuthMethod::mschap_v1, SessionMode::lac);
  ASSERT_TRUE(v.server_ev.proxy);
  const ProxyData& p = *v.server_ev.proxy;
  EXPECT_EQ(p.auth_type, ProxyAuthType::mschap_v1);
  EXPECT_EQ(p.auth_challenge.size(), 8u);
  EXPECT_EQ(p.auth_response.size(), 49u);
  v.lns_phase(false, false, {AuthMethod::mschap_v1});
  ASSERT_TRUE(v.lns_ev.up) << (v.lns_ev.down ? v.lns_ev.down_detail : "no down");
  EXPECT_EQ(v.to_client.count(proto::lcp, 1), v.lcp_requests_before_lns);  // proxy LCP taken
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_TRUE(v.auth.requests[1].proxied);
  EXPECT_EQ(v.auth.requests[1].method, AuthMethod::mschap_v1);
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::mschap_v1);
}

TEST(PppMsChap, V2HasNoProxyTypeSoTheLnsRenegotiatesAndAuthenticates) {
  Vpdn v;
  v.auth.omit_auth_response = true;  // the LAC only recognises the user (domain)
  connect_mschap(v, AuthMethod::mschap_v2, SessionMode::lac);
  ASSERT_TRUE(v.server_ev.proxy);
  EXPECT_EQ(v.server_ev.proxy->auth_type, ProxyAuthType::none);
  EXPECT_TRUE(v.server_ev.proxy->auth_response.empty());
  // No Success from the LAC: without the authenticator response it would fail the user.
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::success), 0u);
  EXPECT_FALSE(v.client_ev.down);
  v.auth.omit_auth_response = false;
  v.lns_phase(false, false, {AuthMethod::mschap_v2});
  ASSERT_TRUE(v.lns_ev.up) << (v.lns_ev.down ? v.lns_ev.down_detail : "no down");
  ASSERT_TRUE(v.client_ev.up) << v.client_ev.down_detail;
  EXPECT_GT(v.to_client.count(proto::lcp, 1),
            v.lcp_requests_before_lns);  // the LNS renegotiated LCP
  EXPECT_EQ(v.lns_ev.up->auth, AuthProtocol::mschap_v2);
  ASSERT_EQ(v.auth.requests.size(), 2u);
  EXPECT_FALSE(v.auth.requests[1].proxied);
  EXPECT_EQ(v.auth.requests[1].method, AuthMethod::mschap_v2);
}

TEST(PppMsChap, LacContinuingLocallySendsTheHeldSuccess) {
  Vpdn v;
  connect_mschap(v, AuthMethod::mschap_v2, SessionMode::lac);
  // Verified here (the authenticator answered with the response): Success sent at once.
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::success), 1u);
  v.server->continue_locally();
  v.pump();
  ASSERT_TRUE(v.client_ev.up) << v.client_ev.down_detail;
}

TEST(PppMsChap, LacHeldSuccessGoesOutWhenContinuingLocally) {
  Vpdn v;
  v.auth.omit_auth_response = true;
  connect_mschap(v, AuthMethod::mschap_v2, SessionMode::lac);
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::success), 0u);
  v.server->continue_locally();
  v.pump();
  EXPECT_EQ(v.to_client.count(proto::chap, chap_code::success), 1u);
}

}  // namespace
}  // namespace vpdnd::ppp
