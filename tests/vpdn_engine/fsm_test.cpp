// Tunnel and session FSMs through the engine, on an in-memory network under a manual clock.
#include <gtest/gtest.h>

#include "common/log.hpp"
#include "harness.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn::test {
namespace {

using namespace std::chrono_literals;

// The LAC and the LNS list one tunnel (or session) each, both in `state`.
template <class Row, class State>
void expect_one_each(const std::vector<Row>& lac_rows, const std::vector<Row>& lns_rows,
                     State state) {
  ASSERT_EQ(lac_rows.size(), 1u);
  ASSERT_EQ(lns_rows.size(), 1u);
  EXPECT_EQ(lac_rows[0].state, state);
  EXPECT_EQ(lns_rows[0].state, state);
}

struct Pair : ::testing::Test {
  World w;
  Node lac{w.net, w.timers, kLac, 1};
  Node lns{w.net, w.timers, kLns, 2};
  CallLog calls;

  void SetUp() override {
    lac.config.l2tp_groups[1] = lac_group(1, {kLns.address}, "LAC", "aabbcc");
    lns.config.l2tp_groups[1] = lns_group(1, 1, "LAC", "LNS", "aabbcc");
  }
  LacCallRequest request(const std::string& user = "alice@corp.com") {
    LacCallRequest r;
    r.group = 1;
    r.user = user;
    r.calling_number = "00:11:22:33:44:55";
    r.called_number = "5551234";
    r.bearer_type = kBearerDigital;
    ppp::ProxyData p = chap_proxy(user, 0x42, 7, 0x24);
    p.initial_received_confreq = {0x01, 0x04, 0x05, 0xd4};
    p.last_sent_confreq = {0x03, 0x05, 0xc2, 0x23, 0x05};
    p.last_received_confreq = {0x01, 0x04, 0x05, 0xd4};
    r.proxy = p;
    return r;
  }
  // A call comes up and the LAC ends it (CDN): the tunnel is left without sessions.
  bool leave_tunnel_idle() {
    dial(request());
    w.settle();
    return calls.up.size() == 1 && lac.engine->close_session(calls.up[0]);
  }
  // Past the StopCCN hold-down: neither side keeps the tunnel.
  void expect_tunnels_gone_after_hold_down() {
    w.run(40s);
    EXPECT_TRUE(lac.engine->snapshot_tunnels().empty());
    EXPECT_TRUE(lns.engine->snapshot_tunnels().empty());
  }
  // The `debugging l2tp all` lines of one call placed and set up.
  std::vector<std::string> debug_lines_of_a_call() {
    std::vector<std::string> lines;
    auto& bus = LogBus::instance();
    bus.set_stderr(false);
    auto id = bus.subscribe([&](const LogRecord& r) {
      if (r.is_debug) lines.push_back(r.text);
    });
    bus.set_all(DebugModule::l2tp, true);
    dial(request());
    w.settle();
    bus.set_all(DebugModule::l2tp, false);
    bus.unsubscribe(id);
    return lines;
  }
  CallHandle dial(LacCallRequest r) {
    auto h = lac.engine->place_call(std::move(r), calls.callbacks());
    EXPECT_TRUE(h.has_value()) << (h ? "" : h.error());
    return h ? *h : 0;
  }
};

TEST_F(Pair, TunnelAndSessionComeUpWithAuthenticationAndProxyData) {
  auto req = request();
  dial(req);
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  const IncomingSession& in = lns.handler.incoming[0];
  EXPECT_EQ(in.group, 1);
  EXPECT_EQ(in.virtual_template, 1);
  EXPECT_EQ(in.peer_name, "LAC");
  EXPECT_EQ(in.calling_number, "00:11:22:33:44:55");
  EXPECT_EQ(in.called_number, "5551234");
  EXPECT_EQ(in.bearer_type, kBearerDigital);
  EXPECT_EQ(in.framing_type, kFramingSync);
  EXPECT_EQ(in.tx_connect_speed, 100000000u);
  ASSERT_TRUE(in.proxy.has_value());
  EXPECT_EQ(*in.proxy, *req.proxy);
  EXPECT_NE(in.call_serial, 0u);

  auto lt = lac.engine->snapshot_tunnels();
  auto nt = lns.engine->snapshot_tunnels();
  ASSERT_NO_FATAL_FAILURE(expect_one_each(lt, nt, TunnelState::established));
  EXPECT_TRUE(lt[0].authenticated);
  EXPECT_TRUE(nt[0].authenticated);
  EXPECT_EQ(lt[0].remote_id, nt[0].local_id);
  EXPECT_EQ(nt[0].remote_id, lt[0].local_id);
  EXPECT_NE(lt[0].local_id, 0);
  EXPECT_EQ(lt[0].remote_name, "LNS");
  EXPECT_EQ(nt[0].remote_name, "LAC");
  EXPECT_TRUE(lt[0].is_lac);
  EXPECT_FALSE(nt[0].is_lac);
  EXPECT_EQ(lt[0].peer_window, 16);

  auto ls = lac.engine->snapshot_sessions();
  auto ns = lns.engine->snapshot_sessions();
  ASSERT_NO_FATAL_FAILURE(expect_one_each(ls, ns, SessionState::established));
  EXPECT_EQ(ls[0].remote_id, ns[0].local_id);
  EXPECT_EQ(ns[0].remote_id, ls[0].local_id);
  EXPECT_EQ(ns[0].interface, "Virtual-Template1");
  EXPECT_EQ(ns[0].user, "alice@corp.com");
  EXPECT_EQ(ns[0].auth_method, "proxy CHAP");

  // What the LNS calls layer records once PPP is up shows as given, whether the engine
  // stores the interface name or derives it (the usual Virtual-TemplateN:session form).
  const SessionRef nref{ns[0].tunnel_local_id, ns[0].local_id};
  const std::string usual = "Virtual-Template1:" + std::to_string(ns[0].local_id);
  lns.engine->set_session_user(nref, "alice", ip("10.9.0.5"), usual, "CHAP");
  auto shown = lns.engine->snapshot_sessions();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].interface, usual);
  EXPECT_EQ(shown[0].user, "alice");
  EXPECT_EQ(shown[0].address, ip("10.9.0.5"));
  EXPECT_EQ(shown[0].auth_method, "CHAP");
  EXPECT_EQ(shown[0].calling_number, "00:11:22:33:44:55");
  EXPECT_EQ(shown[0].called_number, "5551234");
  lns.engine->set_session_user(nref, "", std::nullopt, "Virtual-Template1:0", "");
  shown = lns.engine->snapshot_sessions();
  EXPECT_EQ(shown[0].interface, "Virtual-Template1:0");
  EXPECT_EQ(shown[0].user, "alice");
  EXPECT_EQ(shown[0].auth_method, "CHAP");
  lns.engine->set_session_user(nref, "bob", ip("10.9.0.6"), "", "PAP");
  shown = lns.engine->snapshot_sessions();
  EXPECT_EQ(shown[0].interface, "Virtual-Template1:0");
  EXPECT_EQ(shown[0].user, "bob");
  EXPECT_EQ(shown[0].auth_method, "PAP");
  lns.engine->set_session_user(nref, "", std::nullopt, usual, "");
  EXPECT_EQ(lns.engine->snapshot_sessions()[0].interface, usual);
  lns.engine->set_session_user(nref, "", std::nullopt, "Virtual-Template1", "");
  EXPECT_EQ(lns.engine->snapshot_sessions()[0].interface, "Virtual-Template1");
  EXPECT_EQ(lns.engine->snapshot_sessions()[0].user, "bob");

  // Every message of the handshake went out once: nothing lost, nothing retransmitted.
  EXPECT_EQ(w.net.count(MessageType::sccrq), 1u);
  EXPECT_EQ(w.net.count(MessageType::sccrp), 1u);
  EXPECT_EQ(w.net.count(MessageType::scccn), 1u);
  EXPECT_EQ(w.net.count(MessageType::icrq), 1u);
  EXPECT_EQ(w.net.count(MessageType::icrp), 1u);
  EXPECT_EQ(w.net.count(MessageType::iccn), 1u);
  auto sccrq = w.net.sent(MessageType::sccrq)[0];
  EXPECT_TRUE(sccrq.has(AvpType::challenge));
  EXPECT_TRUE(sccrq.has(AvpType::tie_breaker));
  EXPECT_EQ(sccrq.string(AvpType::host_name), "LAC");
  EXPECT_EQ(sccrq.u16(AvpType::receive_window_size), 16);
  EXPECT_TRUE(sccrq.has(AvpType::framing_capabilities));
  EXPECT_TRUE(sccrq.has(AvpType::bearer_capabilities));
  EXPECT_TRUE(sccrq.has(AvpType::firmware_revision));
  EXPECT_EQ(sccrq.string(AvpType::vendor_name), "vpdnd");
  auto stats = lns.engine->statistics();
  EXPECT_EQ(stats.messages_in["SCCRQ"], 1u);
  EXPECT_EQ(stats.messages_out["SCCRP"], 1u);
  EXPECT_EQ(stats.tunnels_up, 1u);
  EXPECT_EQ(stats.sessions_up, 1u);
  EXPECT_EQ(stats.retransmits, 0u);
}

TEST_F(Pair, HiddenProxyAvpsAreHiddenOnTheWireAndRecovered) {
  lac.config.l2tp_groups[1].avp_hidden = true;
  auto req = request();
  dial(req);
  w.settle();
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  EXPECT_EQ(*lns.handler.incoming[0].proxy, *req.proxy);
  auto iccn = w.net.sent(MessageType::iccn, kLac, "aabbcc");
  ASSERT_EQ(iccn.size(), 1u);
  const Avp* resp = iccn[0].find(AvpType::proxy_authen_response);
  ASSERT_NE(resp, nullptr);
  EXPECT_TRUE(resp->hidden);
}

// `debugging l2tp hidden`: one line per hidden AVP, on the side that hides it and on the
// side that recovers it.
TEST_F(Pair, HiddenAvpDebugLinesNameTheAvpOnBothSides) {
  lac.config.l2tp_groups[1].avp_hidden = true;
  const std::vector<std::string> lines = debug_lines_of_a_call();
  const std::string lac_tid = std::to_string(lac.engine->snapshot_tunnels()[0].local_id);
  const std::string lns_tid = std::to_string(lns.engine->snapshot_tunnels()[0].local_id);
  auto has = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  EXPECT_TRUE(has("Tunnel " + lac_tid + " hiding AVP Proxy Authen Response in ICCN (len=16)"));
  EXPECT_TRUE(has("Tunnel " + lns_tid + " unhid AVP Proxy Authen Response in ICCN (len=16)"));
}

TEST_F(Pair, WrongSecretAtLacEndsWithStopCcnResult4) {
  lns.config.l2tp_groups[1].tunnel_password.plain = "other";
  dial(request());
  w.settle();
  EXPECT_TRUE(calls.up.empty());
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(w.net.stopccn_results(kLac), StopCcnResults{stopccn_result::not_authorized});
  EXPECT_TRUE(lns.handler.incoming.empty());
  // The LNS acknowledged and holds the tunnel in Stopping; both forget it after the hold.
  ASSERT_EQ(lns.engine->snapshot_tunnels().size(), 1u);
  EXPECT_EQ(lns.engine->snapshot_tunnels()[0].state, TunnelState::stopping);
  w.run(32s, 100ms);
  EXPECT_EQ(lac.engine->tunnel_count(), 0u);
  EXPECT_EQ(lns.engine->tunnel_count(), 0u);
}

TEST_F(Pair, WrongSecretAtLnsEndsWithStopCcnResult4) {
  // The LAC does not authenticate the LNS, but answers its challenge with another secret.
  lac.config.l2tp_groups[1].tunnel_authentication = false;
  lac.config.l2tp_groups[1].tunnel_password.plain = "wrong";
  dial(request());
  w.settle();
  EXPECT_EQ(w.net.stopccn_results(kLns), StopCcnResults{stopccn_result::not_authorized});
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].by_peer);
  EXPECT_EQ(calls.down[0].result.result, stopccn_result::not_authorized);
}

TEST_F(Pair, PeerNotAllowedByAnyGroupGetsStopCcnResult4) {
  lns.config.l2tp_groups[1].allow_remote = "SOMEONE-ELSE";
  dial(request());
  w.settle();
  EXPECT_EQ(w.net.stopccn_results(kLns), StopCcnResults{stopccn_result::not_authorized});
  EXPECT_EQ(calls.down.size(), 1u);
}

TEST_F(Pair, GroupOneWithoutRemoteIsTheDefaultGroup) {
  lns.config.l2tp_groups[1].allow_remote.clear();
  lns.config.l2tp_groups[1].allow_virtual_template = 7;
  dial(request());
  w.settle();
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  EXPECT_EQ(lns.handler.incoming[0].virtual_template, 7);
}

TEST_F(Pair, AuthenticationOffOnBothSides) {
  lac.config.l2tp_groups[1].tunnel_authentication = false;
  lns.config.l2tp_groups[1].tunnel_authentication = false;
  dial(request());
  w.settle();
  EXPECT_EQ(calls.up.size(), 1u);
  EXPECT_FALSE(w.net.sent(MessageType::sccrq)[0].has(AvpType::challenge));
  EXPECT_FALSE(w.net.sent(MessageType::sccrp)[0].has(AvpType::challenge));
  EXPECT_FALSE(lac.engine->snapshot_tunnels()[0].authenticated);
}

TEST_F(Pair, DisabledLnsDropsSccrqAndLacFailsOverToSecondAddress) {
  Node lns2{w.net, w.timers, kLns2, 3};
  lns2.config.l2tp_groups[1] = lns_group(1, 2, "LAC", "LNS2", "aabbcc");
  lns.config.l2tp.enabled = false;
  lac.config.l2tp_groups[1].lns_addresses = {kLns.address, kLns2.address};
  dial(request());
  w.run(6500ms, 100ms);
  EXPECT_TRUE(calls.up.empty());
  w.run(1s, 100ms);  // 1+2 retransmissions, given up at 7 s: another LNS is configured
  ASSERT_EQ(calls.up.size(), 1u);
  EXPECT_TRUE(calls.down.empty());
  EXPECT_EQ(lns2.handler.incoming.size(), 1u);
  EXPECT_EQ(w.net.count(MessageType::sccrq, kLac), 4u);  // 3 to the first, 1 to the second
  EXPECT_EQ(lns.engine->statistics().drops["l2tp disabled"], 3u);
  auto t = lac.engine->snapshot_tunnels();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].remote_address, kLns2.address);
}

TEST_F(Pair, AllAddressesSilentFailsTheCall) {
  lns.config.l2tp.enabled = false;
  dial(request());
  w.run(35s, 100ms);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].peer_lost);
  EXPECT_EQ(lac.engine->tunnel_count(), 0u);
  EXPECT_EQ(lac.engine->session_count(), 0u);
}

// `reset l2tp statistics`: counters back to zero, what is up now stays.
TEST_F(Pair, ResetStatisticsZeroesCountersButKeepsWhatIsUp) {
  dial(request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  lns.engine->on_datagram({kLac.address, 1701}, Bytes{0x00});  // counted as a drop
  auto before = lns.engine->statistics();
  ASSERT_GT(before.messages_in["SCCRQ"], 0u);
  ASSERT_FALSE(before.drops.empty());
  ASSERT_EQ(before.tunnels_total, 1u);
  lns.engine->reset_statistics();
  auto after = lns.engine->statistics();
  EXPECT_TRUE(after.messages_in.empty());
  EXPECT_TRUE(after.messages_out.empty());
  EXPECT_TRUE(after.drops.empty());
  EXPECT_EQ(after.retransmits, 0u);
  EXPECT_EQ(after.tunnels_total, 0u);
  EXPECT_EQ(after.sessions_total, 0u);
  EXPECT_EQ(after.tunnels_up, 1u);
  EXPECT_EQ(after.sessions_up, 1u);
  EXPECT_EQ(lns.engine->tunnel_count(), 1u);
}

TEST_F(Pair, HelloIsSentWhenIdleAndAckedByZlb) {
  dial(request());
  w.settle();
  const std::size_t zlb_lac = w.net.zlbs(kLac), zlb_lns = w.net.zlbs(kLns);
  w.run(59s, 100ms);
  EXPECT_EQ(w.net.count(MessageType::hello), 0u);
  w.run(2s, 100ms);
  // Whoever's idle timer fires first says Hello; that traffic restarts the other's timer.
  const std::size_t from_lac = w.net.count(MessageType::hello, kLac);
  const std::size_t from_lns = w.net.count(MessageType::hello, kLns);
  EXPECT_EQ(from_lac + from_lns, 1u);
  if (from_lns) {
    EXPECT_EQ(w.net.zlbs(kLac), zlb_lac + 1);
  } else {
    EXPECT_EQ(w.net.zlbs(kLns), zlb_lns + 1);
  }
  w.run(600s, 100ms);
  const std::size_t hellos = w.net.count(MessageType::hello);
  EXPECT_GE(hellos, 10u);
  EXPECT_LE(hellos, 11u);
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::established);
  EXPECT_EQ(lac.engine->statistics().retransmits, 0u);
}

TEST_F(Pair, HelloIntervalChangeAppliesToLiveTunnels) {
  lns.config.l2tp_groups[1].hello_interval_s = 1000;
  dial(request());
  w.settle();
  lac.config.l2tp_groups[1].hello_interval_s = 100;
  lac.engine->on_config_change({config::ConfigSection::l2tp_group, "1", false});
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].hello_interval_s, 100u);
  w.run(99s, 100ms);
  EXPECT_EQ(w.net.count(MessageType::hello), 0u);
  w.run(2s, 100ms);
  EXPECT_EQ(w.net.count(MessageType::hello, kLac), 1u);
}

TEST_F(Pair, PeerSilenceAfterHelloTakesTheTunnelDown) {
  dial(request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  w.net.drop = [](const Packet& p) { return p.from == kLns; };  // the LNS dies
  lns.config.l2tp_groups[1].hello_interval_s = 1000;            // and never says hello
  w.run(60s + 32s, 100ms);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].peer_lost);
  EXPECT_EQ(lac.engine->tunnel_count(), 0u);
  EXPECT_EQ(w.net.count(MessageType::hello, kLac), 6u);  // 1 + 5 retransmissions
}

TEST_F(Pair, LossAndDuplicatesDuringSetupAreRecovered) {
  int n = 0;
  // Lose every third datagram and duplicate the others' delivery order stays intact.
  w.net.drop = [&n](const Packet&) { return ++n % 3 == 0; };
  for (int i = 0; i < 5; ++i) dial(request("u" + std::to_string(i) + "@corp.com"));
  w.run(60s, 50ms);
  EXPECT_EQ(calls.up.size(), 5u);
  EXPECT_EQ(lns.handler.incoming.size(), 5u);
  EXPECT_GT(lac.engine->statistics().retransmits + lns.engine->statistics().retransmits, 0u);
  EXPECT_EQ(lns.engine->tunnel_count(), 1u);
}

TEST_F(Pair, LnsResetSendsStopCcnHoldsDownAndLacReportsDown) {
  dial(request());
  w.settle();
  auto nt = lns.engine->snapshot_tunnels();
  ASSERT_EQ(nt.size(), 1u);
  EXPECT_EQ(lns.engine->reset_tunnel_name("LAC"), "");
  w.settle();
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].by_peer);
  EXPECT_TRUE(calls.down[0].stopccn);
  ASSERT_EQ(lns.handler.down.size(), 1u);  // the LNS session went with its tunnel
  auto stop = w.net.sent(MessageType::stopccn, kLns);
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].result_code()->result, stopccn_result::clear);
  EXPECT_EQ(stop[0].u16(AvpType::assigned_tunnel_id), nt[0].local_id);
  // Hold-down: both keep the tunnel in Stopping to re-ack, then forget it.
  EXPECT_EQ(lns.engine->snapshot_tunnels()[0].state, TunnelState::stopping);
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::stopping);
  w.run(30s, 100ms);
  EXPECT_EQ(lns.engine->tunnel_count(), 1u);
  w.run(2s, 100ms);
  EXPECT_EQ(lns.engine->tunnel_count(), 0u);
  EXPECT_EQ(lac.engine->tunnel_count(), 0u);
  EXPECT_EQ(lns.engine->reset_tunnel_id(nt[0].local_id),
            "% Tunnel " + std::to_string(nt[0].local_id) + " does not exist.");
}

TEST_F(Pair, LostStopCcnAckIsRetransmittedAndReacked) {
  dial(request());
  w.settle();
  // The LAC's acks of the StopCCN are lost twice.
  int lost = 0;
  w.net.drop = [&lost](const Packet& p) { return p.from == kLac && p.zlb() && lost++ < 2; };
  lac.engine->close_tunnel(lac.engine->snapshot_tunnels()[0].local_id);
  ASSERT_EQ(lac.engine->close_tunnel(0), false);
  lns.engine->close_tunnel(lns.engine->snapshot_tunnels()[0].local_id);  // crossed StopCCNs
  w.run(10s, 50ms);
  EXPECT_GE(w.net.count(MessageType::stopccn, kLns), 1u);
  EXPECT_GE(w.net.count(MessageType::stopccn, kLac), 1u);
  // Eventually both StopCCNs are acknowledged: no failure, the transports are idle.
  auto lt = lac.engine->snapshot_tunnels();
  ASSERT_EQ(lt.size(), 1u);
  EXPECT_EQ(lt[0].state, TunnelState::stopping);
}

// Every user of a LAC hangs up and the LAC closes the tunnel at once: the StopCCN does not
// wait behind the CDNs still queued for window space (it ends those sessions too), and the
// LNS ends every session.
TEST_F(Pair, StopCcnDoesNotWaitBehindQueuedCdns) {
  for (int i = 0; i < 40; ++i) dial(request("u" + std::to_string(i) + "@corp.com"));
  w.settle();
  ASSERT_EQ(calls.up.size(), 40u);
  for (auto& c : calls.up) EXPECT_TRUE(lac.engine->close_session(c));
  lac.engine->close_tunnel(lac.engine->snapshot_tunnels()[0].local_id);
  w.settle();
  EXPECT_EQ(w.net.count(MessageType::stopccn, kLac), 1u);
  EXPECT_LE(w.net.count(MessageType::cdn, kLac), 16u);  // at most a window's worth
  EXPECT_EQ(lns.handler.down.size(), 40u);
  EXPECT_EQ(lns.engine->session_count(), 0u);
}

TEST_F(Pair, CdnFromLacSideAndFromLnsSide) {
  dial(request("a@corp.com"));
  dial(request("b@corp.com"));
  w.settle();
  ASSERT_EQ(calls.up.size(), 2u);
  ASSERT_EQ(lns.handler.incoming.size(), 2u);
  // LAC hangs up call 0.
  EXPECT_TRUE(
      lac.engine->close_session(calls.up[0], cdn_result::lost_carrier, Q931Cause{16, 0, {}}));
  w.settle();
  ASSERT_EQ(lns.handler.down.size(), 1u);
  EXPECT_EQ(lns.handler.down[0].second.result.result, cdn_result::lost_carrier);
  ASSERT_TRUE(lns.handler.down[0].second.q931.has_value());
  EXPECT_EQ(lns.handler.down[0].second.q931->cause, 16);
  EXPECT_TRUE(calls.down.empty());  // no callback for our own close
  // LNS resets call 1 by id.
  SessionRef r1 = lns.handler.incoming[1].ref;
  EXPECT_EQ(lns.engine->reset_session_id(r1.session), "");
  w.settle();
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(calls.down[0].result.result, cdn_result::administrative);
  EXPECT_EQ(lac.engine->session_count(), 0u);
  EXPECT_EQ(lns.engine->session_count(), 0u);
  EXPECT_EQ(lns.engine->reset_session_id(r1.session),
            "% Session " + std::to_string(r1.session) + " does not exist.");
  // The tunnel stays.
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::established);
  // A new call reuses it.
  dial(request("c@corp.com"));
  w.settle();
  EXPECT_EQ(calls.up.size(), 3u);
  EXPECT_EQ(w.net.count(MessageType::sccrq), 1u);
}

// As on Comware, a tunnel whose last session went is cleared after `tunnel timer idle`
// (default 10 s) with StopCCN result 1, by whichever side's timer runs out first.
TEST_F(Pair, LacClearsTheTunnelAfterItsLastSessionAndTheIdleTime) {
  lns.config.l2tp_groups[1].idle_timeout_s = 0;  // only the LAC's timer runs
  ASSERT_TRUE(leave_tunnel_idle());
  w.run(9s);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::established);
  w.run(2s);
  EXPECT_EQ(w.net.stopccn_results(kLac), StopCcnResults{stopccn_result::clear});
  EXPECT_EQ(w.net.count(MessageType::stopccn, kLns), 0u);
  EXPECT_TRUE(lns.engine->snapshot_tunnels().empty() ||
              lns.engine->snapshot_tunnels()[0].state == TunnelState::stopping);
  expect_tunnels_gone_after_hold_down();
}

TEST_F(Pair, LnsClearsTheTunnelAfterItsLastSessionAndTheIdleTime) {
  lac.config.l2tp_groups[1].idle_timeout_s = 0;
  lns.config.l2tp_groups[1].idle_timeout_s = 5;
  ASSERT_TRUE(leave_tunnel_idle());  // CDN to the LNS
  w.run(4s);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  w.run(2s);
  EXPECT_EQ(w.net.stopccn_results(kLns), StopCcnResults{stopccn_result::clear});
  expect_tunnels_gone_after_hold_down();
}

TEST_F(Pair, ACallWithinTheIdleTimeReusesTheTunnel) {
  dial(request("a@corp.com"));
  w.settle();
  ASSERT_TRUE(lac.engine->close_session(calls.up[0]));
  w.run(8s);
  dial(request("b@corp.com"));
  w.run(30s);  // well past the idle time of both sides: the call keeps the tunnel
  EXPECT_EQ(calls.up.size(), 2u);
  EXPECT_EQ(w.net.count(MessageType::sccrq), 1u);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::established);
  // Its end starts the wait again.
  ASSERT_TRUE(lac.engine->close_session(calls.up[1]));
  w.run(9s);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  w.run(2s);
  EXPECT_GE(w.net.count(MessageType::stopccn), 1u);  // both sides' timers run out
}

TEST_F(Pair, ATunnelThatNeverCarriedACallIsClearedAfterTheIdleTime) {
  lac.engine->cancel_call(dial(request()));  // the tunnel comes up without it
  w.settle();
  ASSERT_EQ(lac.engine->snapshot_tunnels().size(), 1u);
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::established);
  ASSERT_EQ(lns.engine->snapshot_tunnels().size(), 1u);
  w.run(9s);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  w.run(2s);
  EXPECT_GE(w.net.count(MessageType::stopccn), 1u);
  expect_tunnels_gone_after_hold_down();
}

TEST_F(Pair, IdleTimeZeroKeepsIdleTunnelsAndAChangeAppliesToLiveOnes) {
  lac.config.l2tp_groups[1].idle_timeout_s = 0;
  lns.config.l2tp_groups[1].idle_timeout_s = 0;
  ASSERT_TRUE(leave_tunnel_idle());
  w.run(120s);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  EXPECT_EQ(lac.engine->snapshot_tunnels()[0].state, TunnelState::established);
  lac.config.l2tp_groups[1].idle_timeout_s = 3;
  lac.engine->on_config_change({config::ConfigSection::l2tp_group, "1", false});
  w.run(4s);
  EXPECT_EQ(w.net.count(MessageType::stopccn, kLac), 1u);
}

TEST_F(Pair, LnsHandlerRefusalSendsCdn) {
  lns.handler.accept = false;
  dial(request());
  w.settle();
  EXPECT_EQ(calls.up.size(), 1u);  // ICCN went out
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(calls.down[0].result.result, cdn_result::general_error);
  EXPECT_TRUE(lns.handler.down.empty());
}

TEST_F(Pair, SessionLimitAnswersCdnResult4) {
  lns.config.l2tp.session_limit = 1;
  dial(request("a@corp.com"));
  dial(request("b@corp.com"));
  w.settle();
  EXPECT_EQ(lns.handler.incoming.size(), 1u);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(calls.down[0].result.result, cdn_result::no_facilities_temporary);
  EXPECT_EQ(calls.down[0].result.error, general_error::insufficient_resources);
}

TEST_F(Pair, TunnelLimitAnswersStopCcn) {
  lns.config.l2tp.tunnel_limit = 1;
  Node lac2{w.net, w.timers, Endpoint{ip("127.0.0.9"), 40002}, 9};
  lac2.config.l2tp_groups[1] = lac_group(1, {kLns.address}, "LAC", "aabbcc");
  dial(request());
  w.settle();
  CallLog c2;
  ASSERT_TRUE(lac2.engine->place_call(request(), c2.callbacks()));
  w.settle();
  EXPECT_EQ(calls.up.size(), 1u);
  ASSERT_EQ(c2.down.size(), 1u);
  EXPECT_EQ(c2.down[0].result.result, stopccn_result::general_error);
  EXPECT_EQ(c2.down[0].result.error, general_error::insufficient_resources);
}

// The handler's tag for a session comes back with every data message of it, 0 before it
// is set and for other sessions; the tag of an unknown session is ignored.
TEST_F(Pair, DataCarriesTheSessionTagTheHandlerSet) {
  dial(request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  const SessionRef ref = lns.handler.incoming[0].ref;
  const Bytes frame{0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
  lns.handler.tags.clear();
  EXPECT_TRUE(lac.engine->send_data(calls.up[0], frame));
  w.net.pump();
  lns.engine->set_session_tag(ref, 77);
  lns.engine->set_session_tag(SessionRef{ref.tunnel, static_cast<std::uint16_t>(ref.session + 1)},
                              5);
  EXPECT_TRUE(lac.engine->send_data(calls.up[0], frame));
  w.net.pump();
  EXPECT_EQ(lns.handler.tags, (std::vector<std::uint32_t>{0, 77}));
  ASSERT_EQ(lns.handler.data.size(), 2u);
  EXPECT_EQ(lns.handler.data[1].first, ref);
}

TEST_F(Pair, DataBothWaysWithAndWithoutSequencing) {
  for (bool seq : {false, true}) {
    lac.config.l2tp_groups[1].flow_control = seq;
    calls = {};
    lns.handler.incoming.clear();
    lns.handler.data.clear();
    dial(request());
    w.settle();
    ASSERT_EQ(calls.up.size(), 1u);
    ASSERT_EQ(lns.handler.incoming.size(), 1u);
    EXPECT_EQ(lns.handler.incoming[0].sequencing_required, seq);
    const Bytes frame{0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
    EXPECT_TRUE(lac.engine->send_data(calls.up[0], frame));
    EXPECT_TRUE(lns.engine->send_data(lns.handler.incoming[0].ref, frame));
    w.net.pump();
    ASSERT_EQ(lns.handler.data.size(), 1u);
    EXPECT_EQ(lns.handler.data[0].second, frame);
    EXPECT_EQ(lns.handler.data[0].first, lns.handler.incoming[0].ref);
    ASSERT_GE(lac.handler.data.size(), 1u);
    EXPECT_EQ(lac.handler.data.back().second, frame);
    auto st = lns.engine->session_status(lns.handler.incoming[0].ref);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->packets_in, 1u);
    EXPECT_EQ(st->bytes_in, frame.size());
    EXPECT_EQ(st->packets_out, 1u);
    if (seq) {
      // Replaying the last data datagram is an old Ns: dropped.
      Packet last;
      for (auto& p : w.net.wire)
        if (!p.control() && p.from == kLac) last = p;
      lns.engine->on_datagram(last.from, last.data);
      EXPECT_EQ(lns.handler.data.size(), 1u);
      EXPECT_EQ(lns.engine->statistics().drops["data out of sequence"], 1u);
    }
    lac.engine->close_session(calls.up[0]);
    w.settle();
  }
  EXPECT_FALSE(lac.engine->send_data(SessionRef{1, 1}, Bytes{1}));
}

// A sequenced session whose data another data plane (the kernel) numbered meanwhile comes
// back: the engine's data go on from the Ns it is told, and the peer's Ns, which ran on
// while the kernel took its data, is accepted instead of dropped as old.
TEST_F(Pair, ResumedDataNumberingContinuesPastTheKernelsNs) {
  lac.config.l2tp_groups[1].flow_control = true;
  dial(request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  const SessionRef lns_ref = lns.handler.incoming[0].ref;
  const Bytes frame{0xff, 0x03, 0x00, 0x21, 0x45, 0x00};
  ASSERT_TRUE(lns.engine->send_data(lns_ref, frame));
  ASSERT_TRUE(lac.engine->send_data(calls.up[0], frame));
  w.net.pump();
  auto numbering = lns.engine->data_numbering(lns_ref);
  ASSERT_TRUE(numbering);
  EXPECT_TRUE(numbering->on);
  EXPECT_EQ(numbering->next_ns, 1u);
  auto last_data = [&](const Endpoint& from) {
    Packet last;
    for (auto& p : w.net.wire)
      if (!p.control() && p.from == from) last = p;
    return last;
  };
  auto last_data_ns = [&](const Endpoint& from) -> std::optional<std::uint16_t> {
    auto d = decode_data(last_data(from).data);
    return d ? d->ns : std::nullopt;
  };
  // The kernel sent 40,000 data messages for each side meanwhile.
  ASSERT_TRUE(lns.engine->resume_data_numbering(lns_ref, 40001));
  ASSERT_TRUE(lac.engine->resume_data_numbering(calls.up[0], 40001));
  EXPECT_EQ(lns.engine->data_numbering(lns_ref)->next_ns, 40001u);
  ASSERT_TRUE(lns.engine->send_data(lns_ref, frame));
  ASSERT_TRUE(lac.engine->send_data(calls.up[0], frame));
  w.net.pump();
  EXPECT_EQ(last_data_ns(kLns), 40001);
  EXPECT_EQ(last_data_ns(kLac), 40001);
  // 40001 is more than half the Ns space past the 1 each side expected: without the resync
  // it counts as old.
  EXPECT_EQ(lns.handler.data.size(), 2u);
  EXPECT_EQ(lns.engine->statistics().drops["data out of sequence"], 0u);
  // From there on the usual order holds again: a replay is old.
  lns.engine->on_datagram(kLac, last_data(kLac).data);
  EXPECT_EQ(lns.handler.data.size(), 2u);
  EXPECT_EQ(lns.engine->statistics().drops["data out of sequence"], 1u);
  EXPECT_FALSE(lns.engine->resume_data_numbering(SessionRef{999, 1}, 1));
  EXPECT_FALSE(lns.engine->data_numbering(SessionRef{999, 1}));
}

TEST_F(Pair, UndoL2tpEnableSendsStopCcnResult6) {
  dial(request());
  w.settle();
  lns.config.l2tp.enabled = false;
  lns.engine->on_config_change({config::ConfigSection::l2tp_global, "", false});
  w.settle();
  EXPECT_EQ(w.net.stopccn_results(kLns), StopCcnResults{stopccn_result::shutting_down});
  EXPECT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(lns.handler.down.size(), 1u);
}

TEST_F(Pair, ShutdownFinishesWhenStopCcnsAreAcked) {
  dial(request());
  w.settle();
  bool done = false;
  lac.engine->shutdown([&] { done = true; });
  EXPECT_FALSE(done);
  w.settle();
  EXPECT_TRUE(done);
  EXPECT_EQ(w.net.count(MessageType::stopccn, kLac), 1u);
}

TEST_F(Pair, PlaceCallErrors) {
  lac.config.l2tp.enabled = false;
  EXPECT_FALSE(lac.engine->place_call(request(), {}).has_value());
  lac.config.l2tp.enabled = true;
  auto r = request();
  r.group = 42;
  EXPECT_FALSE(lac.engine->place_call(r, {}).has_value());
  r.group = 0;
  EXPECT_FALSE(lac.engine->place_call(r, {}).has_value());  // no address at all
  r.lns_addresses = {kLns.address};
  r.secret = "aabbcc";
  r.host_name = "LAC";
  r.authenticate = true;
  CallLog c;
  ASSERT_TRUE(lac.engine->place_call(r, c.callbacks()).has_value());  // RADIUS-style
  w.settle();
  EXPECT_EQ(c.up.size(), 1u);
}

TEST_F(Pair, ClosingAnUnansweredTunnelSendsNoStopCcn) {
  lns.config.l2tp.enabled = false;
  dial(request());
  w.net.pump();
  auto t = lac.engine->snapshot_tunnels();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].state, TunnelState::wait_reply);
  EXPECT_EQ(lac.engine->reset_tunnel_id(t[0].local_id), "");
  w.settle();
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  EXPECT_EQ(lac.engine->tunnel_count(), 0u);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(lac.engine->session_count(), 0u);
}

TEST_F(Pair, CancelCallBeforeTunnelIsUp) {
  auto h = dial(request());
  lac.engine->cancel_call(h);
  w.settle();
  EXPECT_TRUE(calls.up.empty());
  EXPECT_TRUE(calls.down.empty());
  EXPECT_EQ(lac.engine->session_count(), 0u);
  EXPECT_EQ(w.net.count(MessageType::icrq), 0u);
}

TEST_F(Pair, OperatorResetIsAnEventAndNotAnError) {
  dial(request());
  w.settle();
  std::vector<LogRecord> records;
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  auto id = bus.subscribe([&](const LogRecord& r) {
    if (r.is_debug && r.text.find("StopCCN") != std::string::npos) records.push_back(r);
  });
  bus.set_all(DebugModule::l2tp, true);
  EXPECT_EQ(lns.engine->reset_tunnel_name("LAC"), "");
  bus.set_all(DebugModule::l2tp, false);
  bus.unsubscribe(id);
  bool saw_reset = false;
  for (const auto& r : records) {
    if (r.text.find("closed by operator, sending StopCCN") == std::string::npos) continue;
    saw_reset = true;
    EXPECT_EQ(r.cls, DebugClass::event) << r.text;
  }
  EXPECT_TRUE(saw_reset);
}

TEST_F(Pair, DebugLinesFollowTheCliReferenceFormat) {
  const std::vector<std::string> lines = debug_lines_of_a_call();
  auto t = lac.engine->snapshot_tunnels()[0];
  const std::string tid = std::to_string(t.local_id);
  auto has_prefix = [&](const std::string& p) {
    return std::any_of(lines.begin(), lines.end(), [&](auto& l) { return l.rfind(p, 0) == 0; });
  };
  EXPECT_TRUE(has_prefix("Tunnel " + tid + " sent SCCRQ to 127.0.0.2:1701 (len="));
  EXPECT_TRUE(has_prefix("Tunnel " + tid + " received SCCRP (len="));
  EXPECT_TRUE(has_prefix("TunnelID=" + tid +
                         ": Processed SCCRP in Wait-reply state, tunnel state now Established."));
  bool avp_lines = false;
  for (auto& l : lines)
    if (l.rfind("Tunnel " + tid + " sent SCCRQ", 0) == 0 && l.find("\n") != std::string::npos &&
        l.find("Host Name") != std::string::npos)
      avp_lines = true;
  EXPECT_TRUE(avp_lines);
  for (auto& l : lines) EXPECT_EQ(l.find("aabbcc"), std::string::npos) << l;  // no secret
  if (std::getenv("VPDND_SHOW_DEBUG"))
    for (auto& l : lines) std::cout << l << "\n";
}

// ---- scripted peer: raw messages through the codec ----

struct RawPeer : ::testing::Test {
  World w;
  Node lns{w.net, w.timers, kLns, 5};
  Endpoint me{ip("127.0.0.7"), 1701};
  std::vector<Packet> got;
  SeededRandom random{77};
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;

  void SetUp() override {
    lns.config.l2tp_groups[1] = lns_group(1, 1, "", "LNS", "");
    lns.config.l2tp_groups[1].tunnel_authentication = false;
    w.net.add(me, [this](const Endpoint& from, ByteView d) {
      got.push_back(Packet{from, me, Bytes(d.begin(), d.end())});
      if (peek_is_control(d) && d.size() > kControlHeaderSize) {
        auto h = decode_header(d);
        if (h && h->ns == nr) ++nr;
      }
    });
  }
  void send(ControlMessage m, const std::string& secret = {}) {
    m.ns = ns++;
    m.nr = nr;
    HidingContext h{secret};
    auto b = encode_control(m, secret.empty() ? nullptr : &h, random);
    ASSERT_TRUE(b.has_value());
    // encode_control writes Ns/Nr from the message.
    lns.engine->on_datagram(me, *b);
    w.net.pump();
  }
  ControlMessage sccrq(std::uint16_t tid, std::optional<std::uint64_t> tie = {}) {
    auto m = ControlMessage::make(MessageType::sccrq, 0);
    m.add_protocol_version()
        .add_string(AvpType::host_name, "raw")
        .add_u32(AvpType::framing_capabilities, 3)
        .add_u16(AvpType::assigned_tunnel_id, tid);
    if (tie) m.add_u64(AvpType::tie_breaker, *tie);
    return m;
  }
  std::vector<ControlMessage> received(MessageType t) {
    std::vector<ControlMessage> out;
    for (auto& p : got)
      if (auto m = p.decode(); m && !m->zlb && m->type == t) out.push_back(*m);
    return out;
  }
  std::uint16_t establish(std::uint16_t my_tid = 100) {
    send(sccrq(my_tid));
    auto rp = received(MessageType::sccrp);
    EXPECT_EQ(rp.size(), 1u);
    if (rp.empty()) return 0;
    std::uint16_t lns_tid = *rp[0].u16(AvpType::assigned_tunnel_id);
    send(ControlMessage::make(MessageType::scccn, lns_tid));
    return lns_tid;
  }
  // The peer's ICRQ (its session 9) on tunnel `tid`.
  void send_icrq(std::uint16_t tid) {
    auto icrq = ControlMessage::make(MessageType::icrq, tid);
    icrq.add_u16(AvpType::assigned_session_id, 9).add_u32(AvpType::call_serial_number, 3);
    send(icrq);
  }
  // The peer's ICRQ on tunnel `tid`; our session id from the ICRP (0 and a failure if none).
  std::uint16_t open_call(std::uint16_t tid) {
    send_icrq(tid);
    auto icrp = received(MessageType::icrp);
    EXPECT_EQ(icrp.size(), 1u);
    return icrp.empty() ? 0 : *icrp[0].u16(AvpType::assigned_session_id);
  }
  void send_iccn(std::uint16_t tid, std::uint16_t sid) {
    auto iccn = ControlMessage::make(MessageType::iccn, tid, sid);
    iccn.add_u32(AvpType::tx_connect_speed, 1000).add_u32(AvpType::framing_type, 1);
    send(iccn);
  }
};

// Before the peer acknowledged our SCCRP, its retransmitted SCCRQ is answered with the
// SCCRP again (which acknowledges it too): we do not retransmit on our own timer then.
TEST_F(RawPeer, DuplicateSccrqMakesOneTunnelAndGetsTheSccrpAgain) {
  auto m = sccrq(100);
  send(m);
  ns = 0;  // retransmission: same Ns
  send(m);
  EXPECT_EQ(lns.engine->tunnel_count(), 1u);
  auto rp = received(MessageType::sccrp);
  ASSERT_EQ(rp.size(), 2u);
  EXPECT_EQ(rp[0].u16(AvpType::assigned_tunnel_id), rp[1].u16(AvpType::assigned_tunnel_id));
  w.run(20s, 100ms);
  EXPECT_EQ(received(MessageType::sccrp).size(), 2u);
  std::size_t zlbs = 0;
  for (auto& p : got) zlbs += p.zlb();
  EXPECT_EQ(zlbs, 0u);
}

// Once the peer acknowledged the SCCRP (on the tunnel id only the SCCRP carried), a
// duplicate SCCRQ is re-acknowledged with a ZLB as usual.
TEST_F(RawPeer, DuplicateSccrqAfterTheSccrpWasAckedIsReacked) {
  auto m = sccrq(100);
  send(m);
  auto rp = received(MessageType::sccrp);
  ASSERT_EQ(rp.size(), 1u);
  send(ControlMessage::make_zlb(*rp[0].u16(AvpType::assigned_tunnel_id)));
  ns = 0;
  send(m);
  EXPECT_EQ(received(MessageType::sccrp).size(), 1u);
  std::size_t zlbs = 0;
  for (auto& p : got) zlbs += p.zlb();
  EXPECT_EQ(zlbs, 1u);
}

// A message with no place in its tunnel's or session's state is a counted drop: nothing
// answers it and the state stays.
TEST_F(RawPeer, MessagesOutOfStateAreCountedDropsAndChangeNothing) {
  send(sccrq(100));
  auto rp = received(MessageType::sccrp);
  ASSERT_EQ(rp.size(), 1u);
  const std::uint16_t tid = *rp[0].u16(AvpType::assigned_tunnel_id);
  auto icrq = ControlMessage::make(MessageType::icrq, tid);
  icrq.add_u16(AvpType::assigned_session_id, 9).add_u32(AvpType::call_serial_number, 1);
  send(icrq);  // Wait-connect: no calls yet
  auto sccrp = ControlMessage::make(MessageType::sccrp, tid);
  sccrp.add_protocol_version()
      .add_string(AvpType::host_name, "raw")
      .add_u32(AvpType::framing_capabilities, 3)
      .add_u16(AvpType::assigned_tunnel_id, 100);
  send(sccrp);  // we are the LNS: nobody answers our SCCRQ
  auto drops = lns.engine->statistics().drops;
  EXPECT_EQ(drops["call message before tunnel established"], 1u);
  EXPECT_EQ(drops["unexpected SCCRP"], 1u);
  EXPECT_TRUE(received(MessageType::icrp).empty());
  ASSERT_EQ(lns.engine->snapshot_tunnels().size(), 1u);
  EXPECT_EQ(lns.engine->snapshot_tunnels()[0].state, TunnelState::wait_connect);

  send(ControlMessage::make(MessageType::scccn, tid));
  EXPECT_EQ(lns.engine->snapshot_tunnels()[0].state, TunnelState::established);
  send(icrq);
  auto icrp = received(MessageType::icrp);
  ASSERT_EQ(icrp.size(), 1u);
  const std::uint16_t sid = *icrp[0].u16(AvpType::assigned_session_id);
  auto wrong = ControlMessage::make(MessageType::icrp, tid, sid);
  wrong.add_u16(AvpType::assigned_session_id, 9);
  send(wrong);  // an ICRP answers a LAC's ICRQ; this session waits for the ICCN
  auto occn = ControlMessage::make(MessageType::occn, tid, sid);
  occn.add_u32(AvpType::tx_connect_speed, 1).add_u32(AvpType::framing_type, 1);
  send(occn);
  drops = lns.engine->statistics().drops;
  EXPECT_EQ(drops["unexpected ICRP"], 1u);
  EXPECT_EQ(drops["outgoing call message"], 1u);
  auto sessions = lns.engine->snapshot_sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].state, SessionState::wait_connect);
  EXPECT_TRUE(received(MessageType::cdn).empty());
  EXPECT_TRUE(received(MessageType::stopccn).empty());
}

TEST_F(RawPeer, OcrqIsAnsweredWithCdnResult5) {
  auto tid = establish();
  ASSERT_NE(tid, 0);
  auto o = ControlMessage::make(MessageType::ocrq, tid);
  o.add_u16(AvpType::assigned_session_id, 55)
      .add_u32(AvpType::call_serial_number, 1)
      .add_u32(AvpType::minimum_bps, 1)
      .add_u32(AvpType::maximum_bps, 100)
      .add_u32(AvpType::bearer_type, 1)
      .add_u32(AvpType::framing_type, 1)
      .add_string(AvpType::called_number, "123");
  send(o);
  auto cdn = received(MessageType::cdn);
  ASSERT_EQ(cdn.size(), 1u);
  EXPECT_EQ(cdn[0].session_id, 55);
  EXPECT_EQ(cdn[0].result_code()->result, cdn_result::no_facilities_permanent);
}

TEST_F(RawPeer, WenAndSliAreAcceptedAndSliReportedUpward) {
  auto tid = establish();
  const std::uint16_t sid = open_call(tid);
  ASSERT_NE(sid, 0);
  send_iccn(tid, sid);
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  EXPECT_FALSE(lns.handler.incoming[0].proxy.has_value());
  auto wen = ControlMessage::make(MessageType::wen, tid, sid);
  wen.add_call_errors(CallErrors{1, 2, 3, 4, 5, 6});
  send(wen);
  auto sli = ControlMessage::make(MessageType::sli, tid, sid);
  sli.add_accm(Accm{0x0a, 0x0b});
  send(sli);
  ASSERT_EQ(lns.handler.link_info.size(), 1u);
  EXPECT_EQ(lns.handler.link_info[0].second, (Accm{0x0a, 0x0b}));
  EXPECT_EQ(lns.engine->statistics().messages_in["WEN"], 1u);
  // CDN from the peer, with Q.931 cause.
  auto cdn = ControlMessage::make(MessageType::cdn, tid, sid);
  cdn.add_result_code(ResultCode{cdn_result::lost_carrier, std::nullopt, {}})
      .add_u16(AvpType::assigned_session_id, 9)
      .add_q931_cause(Q931Cause{16, 0, {}});
  send(cdn);
  ASSERT_EQ(lns.handler.down.size(), 1u);
  EXPECT_EQ(lns.handler.down[0].second.result.result, cdn_result::lost_carrier);
}

TEST_F(RawPeer, CallWithoutIccnIsClearedAfterTheSetupTimeout) {
  auto tid = establish();
  send_icrq(tid);
  ASSERT_EQ(lns.engine->session_count(), 1u);
  // Keep the tunnel alive (ack everything) but never send ICCN.
  for (int i = 0; i < 59; ++i) {
    w.run(1s, 100ms);
    auto ack = ControlMessage::make_zlb(tid);
    send(ack);
    ns = static_cast<std::uint16_t>(ns - 1);
  }
  EXPECT_EQ(lns.engine->session_count(), 1u);
  w.run(2s, 100ms);
  EXPECT_EQ(lns.engine->session_count(), 0u);
  auto cdn = received(MessageType::cdn);
  ASSERT_GE(cdn.size(), 1u);  // (retransmitted: this peer does not ack it)
  EXPECT_EQ(cdn[0].session_id, 9);
  EXPECT_EQ(cdn[0].result_code()->result, cdn_result::general_error);
  EXPECT_TRUE(lns.handler.incoming.empty());
}

TEST_F(RawPeer, ReorderedCallsAreQueuedAndProcessedInOrder) {
  auto tid = establish();
  auto icrq = [&](std::uint16_t sid) {
    auto m = ControlMessage::make(MessageType::icrq, tid);
    m.add_u16(AvpType::assigned_session_id, sid).add_u32(AvpType::call_serial_number, sid);
    return m;
  };
  // Ns 2 and 3 arrive before Ns 1 (Ns 0/1 were SCCRQ/SCCCN... Ns here continues at 2).
  const std::uint16_t base = ns;
  ns = static_cast<std::uint16_t>(base + 1);
  send(icrq(11));
  send(icrq(12));
  EXPECT_TRUE(received(MessageType::icrp).empty());
  ns = base;
  send(icrq(10));
  // Slow start (RFC 2661 App. A) lets two ICRPs out; our ack releases the third.
  EXPECT_EQ(received(MessageType::icrp).size(), 2u);
  auto ack = ControlMessage::make_zlb(tid);
  send(ack);
  ns = static_cast<std::uint16_t>(ns - 1);  // a ZLB consumes no Ns
  auto icrp = received(MessageType::icrp);
  ASSERT_EQ(icrp.size(), 3u);
  EXPECT_EQ(icrp[0].session_id, 10);
  EXPECT_EQ(icrp[1].session_id, 11);
  EXPECT_EQ(icrp[2].session_id, 12);
  EXPECT_EQ(lns.engine->session_count(), 3u);
  // CDN with header session id 0 (the peer never learnt ours) still finds the session.
  ns = static_cast<std::uint16_t>(base + 3);
  auto cdn = ControlMessage::make(MessageType::cdn, tid, 0);
  cdn.add_result_code(ResultCode{cdn_result::administrative, std::nullopt, {}})
      .add_u16(AvpType::assigned_session_id, 11);
  send(cdn);
  EXPECT_EQ(lns.engine->session_count(), 2u);
}

// A second ICRQ for a peer session that already has a call is dropped, also on a tunnel
// large enough for the peer session ids to be indexed; once that call ends, the id is free
// for a new call again.
TEST_F(RawPeer, DuplicateIcrqIsDroppedOnALargeTunnelAndTheIdIsFreeAfterItsCall) {
  auto tid = establish();
  ASSERT_NE(tid, 0);
  auto icrq = [&](std::uint16_t sid) {
    auto m = ControlMessage::make(MessageType::icrq, tid);
    m.add_u16(AvpType::assigned_session_id, sid).add_u32(AvpType::call_serial_number, sid);
    return m;
  };
  const std::size_t before = lns.engine->session_count();
  for (std::uint16_t sid = 1000; sid < 1100; ++sid) send(icrq(sid));
  ASSERT_EQ(lns.engine->session_count(), before + 100);
  send(icrq(1050));
  EXPECT_EQ(lns.engine->statistics().drops["duplicate ICRQ"], 1u);
  EXPECT_EQ(lns.engine->session_count(), before + 100);
  auto cdn = ControlMessage::make(MessageType::cdn, tid, 0);
  cdn.add_result_code(ResultCode{cdn_result::administrative, std::nullopt, {}})
      .add_u16(AvpType::assigned_session_id, 1050);
  send(cdn);
  EXPECT_EQ(lns.engine->session_count(), before + 99);
  send(icrq(1050));
  EXPECT_EQ(lns.engine->session_count(), before + 100);
  EXPECT_EQ(lns.engine->statistics().drops["duplicate ICRQ"], 1u);
}

TEST_F(RawPeer, UnknownMandatoryAvpInSccrqAnswersStopCcn) {
  auto m = sccrq(100);
  Avp bogus;
  bogus.type = 200;
  bogus.mandatory = true;
  bogus.value = {1, 2};
  m.add(bogus);
  send(m);
  // The header is fine and the tunnel is new: the codec says StopCCN for an unknown M AVP.
  // (Tunnel id 0 path: dropped and counted, since no tunnel exists to carry a StopCCN.)
  EXPECT_EQ(lns.engine->tunnel_count(), 0u);
  EXPECT_EQ(lns.engine->statistics().drops.size(), 1u);
  // Inside an established tunnel it tears the tunnel down with result 2 / error 8.
  ns = 0;
  nr = 0;
  got.clear();
  auto tid = establish(101);
  auto hello = ControlMessage::make(MessageType::hello, tid);
  hello.add(bogus);
  send(hello);
  auto stop = received(MessageType::stopccn);
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].result_code()->result, stopccn_result::general_error);
  EXPECT_EQ(stop[0].result_code()->error, general_error::unknown_mandatory_avp);
}

TEST_F(RawPeer, GarbageIsDroppedWithOneCountedReasonEach) {
  const std::vector<Bytes> junk = {
      {},
      {0xc8},
      {0xc8, 0x02, 0x00, 0x0c},
      {0xc8, 0x02, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0},        // length beyond datagram
      {0xc8, 0x03, 0x00, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0},        // version 3
      {0xc8, 0x02, 0x00, 0x0c, 0x12, 0x34, 0, 0, 0, 0, 0, 0},  // ZLB for unknown tunnel
      {0x00, 0x02, 0x12, 0x34, 0x00, 0x01, 0xff, 0x03},        // data, unknown tunnel
      {0xc8, 0x02, 0x00, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0},        // ZLB for tunnel 0
  };
  std::uint64_t before = 0;
  for (const auto& j : junk) {
    lns.engine->on_datagram(me, j);
    std::uint64_t total = 0;
    for (auto& [k, v] : lns.engine->statistics().drops) total += v;
    EXPECT_EQ(total, before + 1) << to_hex(j);
    before = total;
  }
  EXPECT_EQ(lns.engine->tunnel_count(), 0u);
  // Random bytes never crash or create state.
  SeededRandom r(5);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(r.u16() % 64);
    r.fill(b);
    if (!b.empty() && (i & 1)) b[0] = 0xc8;
    if (b.size() > 1) b[1] = 0x02;
    lns.engine->on_datagram(me, b);
  }
  w.settle();
  EXPECT_EQ(lns.engine->session_count(), 0u);
}

TEST_F(RawPeer, TieBreakerLowerValueWins) {
  // The LNS node also dials us as a LAC (an outstanding SCCRQ to `me`).
  lns.config.l2tp_groups[2] = lac_group(2, {me.address}, "LNS", "");
  CallLog c;
  ASSERT_TRUE(lns.engine->place_call(
      [&] {
        LacCallRequest r;
        r.group = 2;
        r.user = "x";
        return r;
      }(),
      c.callbacks()));
  w.net.pump();
  auto ours = received(MessageType::sccrq);
  ASSERT_EQ(ours.size(), 1u);
  std::uint64_t tb = *ours[0].u64(AvpType::tie_breaker);
  ASSERT_GT(tb, 1u);
  ASSERT_LT(tb, ~0ull);
  // Our SCCRQ with a higher tie breaker loses: the engine ignores it.
  send(sccrq(200, tb + 1));
  EXPECT_EQ(lns.engine->tunnel_count(), 1u);
  EXPECT_TRUE(received(MessageType::sccrp).empty());
  EXPECT_EQ(lns.engine->statistics().drops["tie breaker lost by peer"], 1u);
  // With a lower one we win: the engine drops its own SCCRQ tunnel and answers ours.
  ns = 0;
  send(sccrq(201, tb - 1));
  EXPECT_EQ(received(MessageType::sccrp).size(), 1u);
  ASSERT_EQ(lns.engine->tunnel_count(), 1u);
  EXPECT_FALSE(lns.engine->snapshot_tunnels()[0].is_lac);
  // Its call did not go with the discarded tunnel: it waits on ours (failover_test.cpp).
  EXPECT_TRUE(c.down.empty());
  ASSERT_EQ(lns.engine->snapshot_sessions().size(), 1u);
  EXPECT_EQ(lns.engine->snapshot_sessions()[0].tunnel_local_id,
            lns.engine->snapshot_tunnels()[0].local_id);
}

namespace vpdnd::vpdn::test {
namespace {

// Mutated copies of real traffic (every datagram of a full call setup and teardown, with a
// random byte changed, truncated or extended) fed into fresh engines in both roles: never a
// crash or sanitizer report, every datagram either processed or dropped with a reason, and
// after all timers ran no session or tunnel is left behind.
TEST(EngineMutation, MutatedTrafficNeverLeaksOrCrashes) {
  std::vector<Packet> traffic;
  {
    World w;
    Node lac{w.net, w.timers, kLac, 1};
    Node lns{w.net, w.timers, kLns, 2};
    lac.config.l2tp_groups[1] = lac_group(1, {kLns.address}, "LAC", "aabbcc");
    lac.config.l2tp_groups[1].avp_hidden = true;
    lns.config.l2tp_groups[1] = lns_group(1, 1, "LAC", "LNS", "aabbcc");
    CallLog calls;
    LacCallRequest r;
    r.group = 1;
    r.user = "u@corp.com";
    r.proxy = chap_proxy("u@corp.com", 1, 3, 2);
    ASSERT_TRUE(lac.engine->place_call(r, calls.callbacks()));
    w.settle();
    ASSERT_EQ(calls.up.size(), 1u);
    lac.engine->send_data(calls.up[0], Bytes{0xc0, 0x21, 1, 2, 0, 4});
    lac.engine->close_session(calls.up[0]);
    w.settle();
    lac.engine->close_tunnel(lac.engine->snapshot_tunnels()[0].local_id);
    w.settle();
    traffic = w.net.wire;
  }
  ASSERT_GT(traffic.size(), 8u);
  SeededRandom rnd(2024);
  for (int round = 0; round < 300; ++round) {
    World w;
    Node lac{w.net, w.timers, kLac, static_cast<std::uint64_t>(round) + 10};
    Node lns{w.net, w.timers, kLns, static_cast<std::uint64_t>(round) + 20};
    lac.config.l2tp_groups[1] = lac_group(1, {kLns.address}, "LAC", "aabbcc");
    lns.config.l2tp_groups[1] = lns_group(1, 1, "LAC", "LNS", "aabbcc");
    for (const auto& orig : traffic) {
      Bytes b = orig.data;
      switch (rnd.u16() % 4) {
        case 0:
          if (!b.empty()) b[rnd.u16() % b.size()] ^= static_cast<std::uint8_t>(1 + rnd.u16() % 255);
          break;
        case 1:
          b.resize(rnd.u16() % (b.size() + 1));
          break;
        case 2:
          b.push_back(static_cast<std::uint8_t>(rnd.u16()));
          break;
        default:
          break;  // unmodified: lets the exchange progress further
      }
      Node& to = orig.to == kLac ? lac : lns;
      to.engine->on_datagram(orig.from, b);
      w.net.pump();
    }
    w.run(std::chrono::seconds(100), std::chrono::seconds(1));
    EXPECT_EQ(lac.engine->tunnel_count(), 0u) << "round " << round;
    EXPECT_EQ(lns.engine->session_count(), 0u) << "round " << round;
    EXPECT_EQ(lns.engine->tunnel_count(), 0u) << "round " << round;
  }
}

}  // namespace
}  // namespace vpdnd::vpdn::test

// RFC 2661 lets the LAC send data once it has sent ICCN, and on a busy tunnel the ICCN
// can wait behind the LAC's send window while the user's first PPP frame goes out as
// data: the LNS holds such frames (bounded) and hands them up, in order, on ICCN.
TEST_F(RawPeer, DataThatOvertakesTheIccnIsHeldAndDeliveredOnIccn) {
  auto tid = establish();
  const std::uint16_t sid = open_call(tid);
  ASSERT_NE(sid, 0);
  // Ten frames before the ICCN: the first eight are held, the rest dropped with a reason.
  for (std::uint8_t i = 0; i < 10; ++i) {
    Bytes frame{0xc0, 0x21, 0x01, i, 0x00, 0x04};
    lns.engine->on_datagram(me, encode_data(tid, sid, std::nullopt, frame));
  }
  EXPECT_TRUE(lns.handler.data.empty());
  EXPECT_EQ(lns.engine->statistics().drops["data before ICCN, hold full"], 2u);
  EXPECT_EQ(lns.engine->statistics().drops.count("data for unknown session"), 0u);
  send_iccn(tid, sid);
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  ASSERT_EQ(lns.handler.data.size(), 8u);
  for (std::uint8_t i = 0; i < 8; ++i) {
    EXPECT_EQ(lns.handler.data[i].first.session, sid);
    EXPECT_EQ(lns.handler.data[i].second[3], i);  // in arrival order
  }
  // Data for a session that does not exist is still dropped as such.
  lns.engine->on_datagram(
      me, encode_data(tid, static_cast<std::uint16_t>(sid + 1), std::nullopt, Bytes{0xc0, 0x21}));
  EXPECT_EQ(lns.engine->statistics().drops["data for unknown session"], 1u);
}

TEST_F(RawPeer, HeldEarlyDataIsDiscardedWhenTheCallIsRefused) {
  lns.handler.accept = false;
  auto tid = establish();
  const std::uint16_t sid = open_call(tid);
  ASSERT_NE(sid, 0);
  lns.engine->on_datagram(me, encode_data(tid, sid, std::nullopt, Bytes{0xc0, 0x21, 1, 1, 0, 4}));
  send_iccn(tid, sid);
  EXPECT_TRUE(lns.handler.data.empty());
  EXPECT_EQ(lns.engine->session_count(), 0u);
  EXPECT_EQ(received(MessageType::cdn).size(), 1u);
}

}  // namespace
}  // namespace vpdnd::vpdn::test
