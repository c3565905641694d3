#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "common/log.hpp"
#include "ppp/pppoe.hpp"

namespace vpdnd::ppp {
namespace {

const MacAddress kAcMac{0x02, 0xac, 0, 0, 0, 1};
MacAddress user_mac(std::uint8_t n) {
  return {0x02, 0x00, 0, 0, 0, n};
}

// An in-memory Ethernet segment: frames queue up and pump() delivers them by destination.
struct Wire : PppoeFrameSink {
  std::deque<Bytes> frames;
  std::vector<Bytes> sent;  // everything ever sent, for inspection
  void send_frame(ByteView f) override {
    frames.emplace_back(f.begin(), f.end());
    sent.emplace_back(f.begin(), f.end());
  }
  std::vector<PppoeDiscovery> sent_discovery(PppoeCode code) const {
    std::vector<PppoeDiscovery> out;
    for (const auto& f : sent)
      if (auto p = decode_pppoe_discovery(f); p && p->code == code) out.push_back(*p);
    return out;
  }
};

struct ServerEvents : PppoeSessionListener {
  std::vector<std::uint16_t> opened;
  std::vector<std::pair<std::uint16_t, Bytes>> frames;
  std::vector<std::pair<std::uint16_t, PppoeCloseReason>> closed;
  void on_session_open(std::uint16_t id, const MacAddress&, std::string_view) override {
    opened.push_back(id);
  }
  void on_session_frame(std::uint16_t id, ByteView f) override {
    frames.emplace_back(id, Bytes(f.begin(), f.end()));
  }
  void on_session_closed(std::uint16_t id, PppoeCloseReason r) override {
    closed.emplace_back(id, r);
  }
};

struct ClientEvents : PppoeClientListener {
  std::optional<std::uint16_t> up;
  std::vector<Bytes> frames;
  std::string down;
  void on_pppoe_up(std::uint16_t id, const MacAddress&) override { up = id; }
  void on_pppoe_frame(ByteView f) override { frames.emplace_back(f.begin(), f.end()); }
  void on_pppoe_down(std::string_view why) override { down = std::string(why); }
};

class PppoeServerTest : public ::testing::Test {
 protected:
  PppoeServerTest() { make_server({}); }
  void make_server(std::vector<std::string> services, std::size_t per_mac = 100) {
    PppoeServerConfig c;
    c.interface = "eth1";
    c.mac = kAcMac;
    c.ac_name = "BRAS-1";
    c.services = std::move(services);
    c.max_sessions_per_mac = per_mac;
    c.cookie_secret = Bytes{1, 2, 3, 4, 5, 6, 7, 8};
    server_ = std::make_unique<PppoeServer>(c, ac_wire_, clock_, &events_);
  }
  // Delivers queued frames until the wire is quiet: AC frames to clients, client frames to AC.
  void pump() {
    for (int guard = 0; guard < 10000 && (!ac_wire_.frames.empty() || !user_wire_.frames.empty());
         ++guard) {
      while (!user_wire_.frames.empty()) {
        Bytes f = std::move(user_wire_.frames.front());
        user_wire_.frames.pop_front();
        server_->on_frame(f);
      }
      while (!ac_wire_.frames.empty()) {
        Bytes f = std::move(ac_wire_.frames.front());
        ac_wire_.frames.pop_front();
        for (auto& c : clients_) c->on_frame(f);
      }
    }
  }
  PppoeClient& add_client(std::uint8_t n, std::string service = "", Bytes uniq = {0xab, 0xcd}) {
    PppoeClientConfig c;
    c.mac = user_mac(n);
    c.service_name = std::move(service);
    c.host_uniq = std::move(uniq);
    client_events_.push_back(std::make_unique<ClientEvents>());
    clients_.push_back(
        std::make_unique<PppoeClient>(c, user_wire_, clock_, *client_events_.back()));
    return *clients_.back();
  }
  // A PADI (broadcast) or PADR (to the AC) from `from` with Service-Name `service`.
  static PppoeDiscovery request(PppoeCode code, const MacAddress& from,
                                std::string_view service = "") {
    PppoeDiscovery p;
    p.dst = code == PppoeCode::padi ? kBroadcastMac : kAcMac;
    p.src = from;
    p.code = code;
    p.add(pppoe_tag::service_name, service);
    return p;
  }
  Bytes raw_padr(const MacAddress& from, std::optional<Bytes> cookie) {
    PppoeDiscovery p = request(PppoeCode::padr, from);
    if (cookie) p.add(pppoe_tag::ac_cookie, *cookie);
    return encode_pppoe_discovery(p);
  }

  ManualTimerService clock_;
  Wire ac_wire_, user_wire_;
  ServerEvents events_;
  std::unique_ptr<PppoeServer> server_;
  std::vector<std::unique_ptr<ClientEvents>> client_events_;
  std::vector<std::unique_ptr<PppoeClient>> clients_;
};

TEST_F(PppoeServerTest, FullDiscoverySessionFramesAndPadt) {
  PppoeClient& c = add_client(1);
  c.start();
  pump();
  ASSERT_EQ(c.state(), PppoeClient::State::session);
  ASSERT_TRUE(client_events_[0]->up);
  std::uint16_t id = *client_events_[0]->up;
  EXPECT_NE(id, 0);
  ASSERT_EQ(events_.opened, std::vector<std::uint16_t>{id});
  EXPECT_EQ(c.ac_name(), "BRAS-1");

  auto pado = ac_wire_.sent_discovery(PppoeCode::pado);
  ASSERT_EQ(pado.size(), 1u);
  EXPECT_EQ(pado[0].text(pppoe_tag::ac_name), "BRAS-1");
  EXPECT_EQ(pado[0].find(pppoe_tag::host_uniq)->value, (Bytes{0xab, 0xcd}));
  EXPECT_EQ(pado[0].find(pppoe_tag::ac_cookie)->value.size(), 20u);
  auto pads = ac_wire_.sent_discovery(PppoeCode::pads);
  ASSERT_EQ(pads.size(), 1u);
  EXPECT_EQ(pads[0].session_id, id);
  EXPECT_EQ(pads[0].find(pppoe_tag::host_uniq)->value, (Bytes{0xab, 0xcd}));

  // PPP frames both ways.
  Bytes lcp{0xc0, 0x21, 0x01, 0x01, 0x00, 0x04};
  EXPECT_TRUE(c.send(lcp));
  pump();
  ASSERT_EQ(events_.frames.size(), 1u);
  EXPECT_EQ(events_.frames[0].second, lcp);
  EXPECT_TRUE(server_->send(id, lcp));
  pump();
  ASSERT_EQ(client_events_[0]->frames.size(), 1u);
  EXPECT_EQ(client_events_[0]->frames[0], lcp);
  EXPECT_FALSE(server_->send(id, Bytes(1495, 0)));  // over MTU 1492 + protocol
  EXPECT_EQ(server_->counters().drops.at("frame over MTU"), 1u);

  // User hangs up: PADT to the AC.
  c.close();
  pump();
  ASSERT_EQ(events_.closed.size(), 1u);
  EXPECT_EQ(events_.closed[0], std::make_pair(id, PppoeCloseReason::peer_padt));
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(server_->sessions_of(user_mac(1)), 0u);
  EXPECT_FALSE(server_->send(id, lcp));
}

TEST_F(PppoeServerTest, AdminCloseSendsPadtToTheUser) {
  PppoeClient& c = add_client(1);
  c.start();
  pump();
  std::uint16_t id = *client_events_[0]->up;
  server_->close(id);
  pump();
  EXPECT_EQ(client_events_[0]->down, "PADT from AC");
  EXPECT_EQ(c.state(), PppoeClient::State::closed);
  ASSERT_EQ(events_.closed.size(), 1u);
  EXPECT_EQ(events_.closed[0].second, PppoeCloseReason::admin);
  EXPECT_EQ(server_->counters().padt_out, 1u);
  server_->close(id);  // second close is a no-op
  EXPECT_EQ(events_.closed.size(), 1u);
}

TEST_F(PppoeServerTest, PadrWithoutValidCookieCreatesNoState) {
  server_->on_frame(raw_padr(user_mac(7), std::nullopt));
  server_->on_frame(raw_padr(user_mac(7), Bytes(20, 0x55)));
  Bytes other_mac_cookie = server_->make_cookie(user_mac(8), clock_.now());
  server_->on_frame(raw_padr(user_mac(7), other_mac_cookie));
  Bytes old = server_->make_cookie(user_mac(7), clock_.now());
  clock_.advance(61s);  // past cookie_lifetime
  server_->on_frame(raw_padr(user_mac(7), old));
  Bytes truncated = server_->make_cookie(user_mac(7), clock_.now());
  truncated.pop_back();
  server_->on_frame(raw_padr(user_mac(7), truncated));
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(server_->counters().drops.at("bad cookie"), 5u);
  EXPECT_TRUE(ac_wire_.sent.empty());
  // A fresh cookie for this MAC works.
  server_->on_frame(raw_padr(user_mac(7), server_->make_cookie(user_mac(7), clock_.now())));
  EXPECT_EQ(server_->session_count(), 1u);
}

TEST_F(PppoeServerTest, PadiFloodCreatesNoSessions) {
  for (int i = 0; i < 1000; ++i) {
    PppoeDiscovery p = request(PppoeCode::padi, user_mac(static_cast<std::uint8_t>(i)));
    server_->on_frame(encode_pppoe_discovery(p));
  }
  EXPECT_EQ(server_->counters().padi_in, 1000u);
  EXPECT_EQ(server_->counters().pado_out, 1000u);
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(PppoeServerTest, PerMacLimitAnswersPadsError) {
  make_server({}, 2);
  add_client(1, "", {1}).start();
  add_client(1, "", {2}).start();
  add_client(1, "", {3}).start();
  add_client(2, "", {4}).start();
  pump();
  EXPECT_TRUE(client_events_[0]->up);
  EXPECT_TRUE(client_events_[1]->up);
  EXPECT_FALSE(client_events_[2]->up);
  EXPECT_EQ(client_events_[2]->down, "PADS error: per-MAC session limit reached");
  EXPECT_TRUE(client_events_[3]->up);  // another MAC is not affected
  EXPECT_EQ(server_->sessions_of(user_mac(1)), 2u);
  EXPECT_EQ(server_->counters().drops.at("per-mac session limit"), 1u);
}

TEST_F(PppoeServerTest, ServiceNamesAreHonoured) {
  make_server({"corp", "isp"});
  PppoeClient& good = add_client(1, "isp");
  PppoeClient& bad = add_client(2, "gaming");
  good.start();
  bad.start();
  pump();
  EXPECT_TRUE(client_events_[0]->up);
  EXPECT_EQ(bad.state(), PppoeClient::State::padi_sent);  // §5.2: no PADO at all
  EXPECT_EQ(server_->counters().drops.at("service not offered"), 1u);
  // A PADR for an unoffered service, with a valid cookie, gets Service-Name-Error.
  PppoeDiscovery p = request(PppoeCode::padr, user_mac(3), "gaming");
  p.add(pppoe_tag::ac_cookie, server_->make_cookie(user_mac(3), clock_.now()));
  server_->on_frame(encode_pppoe_discovery(p));
  auto pads = ac_wire_.sent_discovery(PppoeCode::pads);
  ASSERT_EQ(pads.size(), 2u);
  EXPECT_EQ(pads[1].session_id, 0);
  EXPECT_TRUE(pads[1].has(pppoe_tag::service_name_error));
}

TEST_F(PppoeServerTest, RelaySessionIdIsEchoed) {
  PppoeDiscovery padi = request(PppoeCode::padi, user_mac(1));
  padi.add(pppoe_tag::relay_session_id, Bytes{9, 8, 7});
  server_->on_frame(encode_pppoe_discovery(padi));
  auto pado = ac_wire_.sent_discovery(PppoeCode::pado);
  ASSERT_EQ(pado.size(), 1u);
  EXPECT_EQ(pado[0].find(pppoe_tag::relay_session_id)->value, (Bytes{9, 8, 7}));
  PppoeDiscovery padr = request(PppoeCode::padr, user_mac(1));
  padr.add(pppoe_tag::ac_cookie, pado[0].find(pppoe_tag::ac_cookie)->value);
  padr.add(pppoe_tag::relay_session_id, Bytes{9, 8, 7});
  server_->on_frame(encode_pppoe_discovery(padr));
  auto pads = ac_wire_.sent_discovery(PppoeCode::pads);
  ASSERT_EQ(pads.size(), 1u);
  EXPECT_EQ(pads[0].find(pppoe_tag::relay_session_id)->value, (Bytes{9, 8, 7}));
}

TEST_F(PppoeServerTest, RetransmittedPadrGetsTheSameSession) {
  PppoeDiscovery padr = request(PppoeCode::padr, user_mac(1));
  padr.add(pppoe_tag::host_uniq, Bytes{1, 1});
  padr.add(pppoe_tag::ac_cookie, server_->make_cookie(user_mac(1), clock_.now()));
  server_->on_frame(encode_pppoe_discovery(padr));
  server_->on_frame(encode_pppoe_discovery(padr));
  auto pads = ac_wire_.sent_discovery(PppoeCode::pads);
  ASSERT_EQ(pads.size(), 2u);
  EXPECT_EQ(pads[0].session_id, pads[1].session_id);
  EXPECT_EQ(server_->session_count(), 1u);
  EXPECT_EQ(events_.opened.size(), 1u);
}

TEST_F(PppoeServerTest, SessionIdsAreUniqueAndNonZero) {
  std::set<std::uint16_t> ids;
  for (int i = 0; i < 300; ++i) {
    MacAddress m{0x02, 0x01, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    server_->on_frame(raw_padr(m, server_->make_cookie(m, clock_.now())));
  }
  for (auto id : events_.opened) {
    EXPECT_NE(id, 0);
    EXPECT_NE(id, 0xffff);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_EQ(server_->session_count(), 300u);
  server_->close_all();
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(events_.closed.size(), 300u);
  EXPECT_EQ(server_->counters().padt_out, 300u);
}

TEST_F(PppoeServerTest, ForeignAndBrokenFramesAreDroppedWithOneReason) {
  PppoeClient& c = add_client(1);
  c.start();
  pump();
  std::uint16_t id = *client_events_[0]->up;
  Bytes ppp{0x00, 0x21, 0x45};
  server_->on_frame(encode_pppoe_session(kAcMac, user_mac(9), id, ppp));       // wrong MAC
  server_->on_frame(encode_pppoe_session(kAcMac, user_mac(1), id + 1, ppp));   // no session
  server_->on_frame(encode_pppoe_session(user_mac(3), user_mac(1), id, ppp));  // not for us
  server_->on_frame(Bytes{1, 2, 3});                                           // junk
  Bytes padt = encode_pppoe_discovery(PppoeDiscovery{kAcMac, user_mac(9), PppoeCode::padt, id, {}});
  server_->on_frame(padt);  // PADT from someone else must not kill the session
  const auto& d = server_->counters().drops;
  EXPECT_EQ(d.at("wrong peer mac"), 2u);
  EXPECT_EQ(d.at("unknown session"), 1u);
  EXPECT_EQ(d.at("not for us"), 1u);
  EXPECT_EQ(d.at("not pppoe"), 1u);
  EXPECT_EQ(server_->session_count(), 1u);
  EXPECT_TRUE(events_.frames.empty());
}

TEST_F(PppoeServerTest, StatusSnapshot) {
  add_client(1).start();
  pump();
  std::uint16_t id = *client_events_[0]->up;
  server_->set_session_info(id, "Up", "alice@corp.com", 12, 34);
  clock_.advance(5s);
  auto s = server_->sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].session_id, id);
  EXPECT_EQ(s[0].interface, "eth1");
  EXPECT_EQ(s[0].peer_mac, user_mac(1));
  EXPECT_EQ(s[0].state, "Up");
  EXPECT_EQ(s[0].user, "alice@corp.com");
  EXPECT_EQ(s[0].l2tp_tunnel, 12);
  EXPECT_EQ(s[0].l2tp_session, 34);
  EXPECT_EQ(s[0].uptime, std::chrono::seconds(5));
}

// `display pppoe-server session all|packet`: our MAC and each session's own counters.
TEST_F(PppoeServerTest, StatusCountsEachSessionsFrames) {
  add_client(1).start();
  add_client(2).start();
  pump();
  std::uint16_t a = *client_events_[0]->up, b = *client_events_[1]->up;
  Bytes lcp{0xc0, 0x21, 0x01, 0x01, 0x00, 0x04};
  EXPECT_TRUE(clients_[0]->send(lcp));
  EXPECT_TRUE(clients_[0]->send(lcp));
  pump();
  EXPECT_TRUE(server_->send(a, lcp));
  EXPECT_FALSE(server_->send(a, Bytes(1495, 0)));                                      // over MTU
  server_->on_frame(encode_pppoe_session(kAcMac, user_mac(9), a, Bytes{0xc0, 0x21}));  // wrong MAC
  auto s = server_->sessions();
  ASSERT_EQ(s.size(), 2u);
  const auto& sa = s[0].session_id == a ? s[0] : s[1];
  const auto& sb = s[0].session_id == b ? s[0] : s[1];
  EXPECT_EQ(sa.local_mac, kAcMac);
  EXPECT_EQ(sa.in_packets, 2u);
  EXPECT_EQ(sa.in_octets, 12u);
  EXPECT_EQ(sa.in_discards, 1u);
  EXPECT_EQ(sa.out_packets, 1u);
  EXPECT_EQ(sa.out_octets, 6u);
  EXPECT_EQ(sa.out_discards, 1u);
  EXPECT_EQ(sb.in_packets, 0u);
  EXPECT_EQ(sb.out_packets, 0u);
  EXPECT_EQ(sb.in_discards + sb.out_discards, 0u);
}

TEST_F(PppoeServerTest, ClientRetriesWithBackoffThenFails) {
  PppoeClientConfig cfg;
  cfg.mac = user_mac(1);
  cfg.timeout = 1s;
  cfg.max_attempts = 3;
  ClientEvents ev;
  Wire nowhere;
  PppoeClient c(cfg, nowhere, clock_, ev);
  c.start();
  EXPECT_EQ(nowhere.sent.size(), 1u);
  clock_.advance(999ms);
  EXPECT_EQ(nowhere.sent.size(), 1u);
  clock_.advance(1ms);
  EXPECT_EQ(nowhere.sent.size(), 2u);  // after 1 s
  clock_.advance(1999ms);
  EXPECT_EQ(nowhere.sent.size(), 2u);
  clock_.advance(1ms);
  EXPECT_EQ(nowhere.sent.size(), 3u);  // after 2 more s
  EXPECT_TRUE(ev.down.empty());
  clock_.advance(4s);
  EXPECT_EQ(ev.down, "no PADO (timeout)");
  EXPECT_EQ(c.state(), PppoeClient::State::closed);
  EXPECT_EQ(clock_.pending(), 0u);
}

TEST_F(PppoeServerTest, ClientIgnoresOtherUsersAnswers) {
  PppoeClient& a = add_client(1, "", {0x01});
  PppoeClient& b = add_client(1, "", {0x02});  // same MAC, different Host-Uniq
  a.start();
  b.start();
  pump();
  ASSERT_TRUE(client_events_[0]->up);
  ASSERT_TRUE(client_events_[1]->up);
  EXPECT_NE(a.session_id(), b.session_id());
}

bool terminal_clean(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// `debugging pppoe control` shows the client's Service-Name and Host-Uniq escaped and bounded.
TEST_F(PppoeServerTest, DebugLineEscapesClientTags) {
  std::vector<std::string> lines;
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  auto id = bus.subscribe([&](const LogRecord& r) { lines.push_back(r.text); });
  bus.set(DebugModule::pppoe, DebugClass::control, true);
  PppoeDiscovery p;
  p.dst = kBroadcastMac;
  p.src = user_mac(1);
  p.code = PppoeCode::padi;
  std::string service("isp\x1b[2J\r\n\0x", 10);
  service.resize(1000, 's');
  p.add(pppoe_tag::service_name, service);
  p.add(pppoe_tag::host_uniq, Bytes(300, 0x9b));
  server_->on_frame(encode_pppoe_discovery(p));
  bus.set(DebugModule::pppoe, DebugClass::control, false);
  bus.unsubscribe(id);
  bus.set_stderr(true);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(terminal_clean(lines[0])) << lines[0];
  EXPECT_NE(lines[0].find("service=\"isp\\x1b[2J\\x0d\\x0a\\x00sss"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("host_uniq=\\x9b"), std::string::npos) << lines[0];
  EXPECT_LE(lines[0].size(), 300u) << lines[0];
}

// An AC's error text in PADS reaches the client's reason escaped (vpdn-dial prints it).
TEST_F(PppoeServerTest, ClientEscapesPadsErrorText) {
  // The AC's part is played by hand: a PADO, then a PADS carrying a hostile Generic-Error.
  PppoeClient& c = add_client(1);
  c.start();
  user_wire_.frames.clear();
  c.on_frame([&] {
    PppoeDiscovery pado;
    pado.dst = user_mac(1);
    pado.src = kAcMac;
    pado.code = PppoeCode::pado;
    pado.add(pppoe_tag::ac_name, "BRAS-1");
    pado.add(pppoe_tag::host_uniq, Bytes{0xab, 0xcd});
    return encode_pppoe_discovery(pado);
  }());
  PppoeDiscovery pads;
  pads.dst = user_mac(1);
  pads.src = kAcMac;
  pads.code = PppoeCode::pads;
  pads.add(pppoe_tag::host_uniq, Bytes{0xab, 0xcd});
  pads.add(pppoe_tag::generic_error, "no\x1b]0;owned\x07");
  c.on_frame(encode_pppoe_discovery(pads));
  const std::string& down = client_events_[0]->down;
  EXPECT_TRUE(terminal_clean(down)) << down;
  EXPECT_NE(down.find("no\\x1b]0;owned\\x07"), std::string::npos) << down;
}

}  // namespace
}  // namespace vpdnd::ppp
