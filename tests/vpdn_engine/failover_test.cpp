// Calls that lose their tunnel before it carried them: the tie breaker (RFC 2661 §4.4.3,
// §5.8: the calls move to the peer's winning tunnel) and LNS refusals (a refused tunnel
// sends its calls to the next `start l2tp ip` address, a CDN to one call does not).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/log.hpp"
#include "harness.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn::test {
namespace {

using namespace std::chrono_literals;

LacCallRequest call_request(std::uint16_t group, const std::string& user) {
  LacCallRequest r;
  r.group = group;
  r.user = user;
  r.calling_number = user;
  r.bearer_type = kBearerDigital;
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- two vpdnd boxes dialling each other at the same time ----

const Endpoint kA{ip("127.0.0.1"), 1701};
const Endpoint kB{ip("127.0.0.2"), 1701};

// Each box dials the other with group 1 (LAC) and accepts it with group 2 (LNS), same
// tunnel password, as on a pair of routers that tunnel users to each other.
void both_ways(config::RunningConfig& c, Ipv4 other, const std::string& me,
               const std::string& peer) {
  c.l2tp_groups[1] = lac_group(1, {other}, me, "secret");
  c.l2tp_groups[2] = lns_group(2, 1, peer, me, "secret");
}

struct Crossing : ::testing::Test {
  World w;
  Node a{w.net, w.timers, kA, 1};
  Node b{w.net, w.timers, kB, 2};
  CallLog a_calls, b_calls;
  void SetUp() override {
    both_ways(a.config, kB.address, "A", "B");
    both_ways(b.config, kA.address, "B", "A");
  }
  void dial(Node& n, CallLog& log, std::uint16_t group, const std::string& user) {
    auto h = n.engine->place_call(call_request(group, user), log.callbacks());
    ASSERT_TRUE(h.has_value()) << h.error();
  }
};

TEST_F(Crossing, CallsOfTheLosingTunnelAreCarriedByTheWinningOne) {
  // Both boxes place calls before either SCCRQ arrives: both SCCRQs cross on the wire.
  dial(a, a_calls, 1, "a1");
  dial(a, a_calls, 1, "a2");
  dial(b, b_calls, 1, "b1");
  dial(b, b_calls, 1, "b2");
  w.settle();

  const bool a_won = a.engine->statistics().drops["tie breaker lost by peer"] == 1;
  const bool b_won = b.engine->statistics().drops["tie breaker lost by peer"] == 1;
  ASSERT_NE(a_won, b_won) << "exactly one box wins the tie breaker";
  Node& winner = a_won ? a : b;
  Node& loser = a_won ? b : a;
  CallLog& loser_calls = a_won ? b_calls : a_calls;

  // Every call completed, none failed, none twice.
  EXPECT_TRUE(a_calls.down.empty()) << a_calls.down[0].reason;
  EXPECT_TRUE(b_calls.down.empty()) << b_calls.down[0].reason;
  ASSERT_EQ(a_calls.up.size(), 2u);
  ASSERT_EQ(b_calls.up.size(), 2u);
  EXPECT_NE(a_calls.up[0], a_calls.up[1]);
  EXPECT_NE(b_calls.up[0], b_calls.up[1]);
  ASSERT_EQ(a.handler.incoming.size(), 2u);
  ASSERT_EQ(b.handler.incoming.size(), 2u);
  EXPECT_EQ(a.handler.incoming[0].calling_number, "b1");
  EXPECT_EQ(a.handler.incoming[1].calling_number, "b2");
  EXPECT_EQ(b.handler.incoming[0].calling_number, "a1");
  EXPECT_EQ(b.handler.incoming[1].calling_number, "a2");
  for (auto& in : a.handler.incoming) EXPECT_EQ(in.group, 2);  // the LNS group, either tunnel
  for (auto& in : b.handler.incoming) EXPECT_EQ(in.group, 2);

  // One tunnel: the winner's. The loser's calls ride on it (their SessionRef names it).
  ASSERT_EQ(a.engine->tunnel_count(), 1u);
  ASSERT_EQ(b.engine->tunnel_count(), 1u);
  auto wt = winner.engine->snapshot_tunnels()[0];
  auto lt = loser.engine->snapshot_tunnels()[0];
  EXPECT_TRUE(wt.is_lac);
  EXPECT_FALSE(lt.is_lac);
  EXPECT_EQ(wt.state, TunnelState::established);
  EXPECT_EQ(lt.state, TunnelState::established);
  for (const SessionRef& r : loser_calls.up) EXPECT_EQ(r.tunnel, lt.local_id);
  EXPECT_EQ(a.engine->session_count(), 4u);
  EXPECT_EQ(b.engine->session_count(), 4u);

  // On the wire: two SCCRQs, one handshake, four ICRQs, all on the winning tunnel, the
  // loser's only once that tunnel is up (after the winner's SCCCN).
  EXPECT_EQ(w.net.count(MessageType::sccrq), 2u);
  EXPECT_EQ(w.net.count(MessageType::sccrp), 1u);
  EXPECT_EQ(w.net.count(MessageType::scccn), 1u);
  EXPECT_EQ(w.net.count(MessageType::stopccn), 0u);
  auto loser_icrqs = w.net.sent(MessageType::icrq, loser.self_ep, "secret");
  auto winner_icrqs = w.net.sent(MessageType::icrq, winner.self_ep, "secret");
  ASSERT_EQ(loser_icrqs.size(), 2u);
  ASSERT_EQ(winner_icrqs.size(), 2u);
  for (auto& m : loser_icrqs) EXPECT_EQ(m.tunnel_id, wt.local_id);
  for (auto& m : winner_icrqs) EXPECT_EQ(m.tunnel_id, lt.local_id);
  std::size_t scccn_at = 0, first_loser_icrq_at = 0;
  for (std::size_t i = 0; i < w.net.wire.size(); ++i) {
    const Packet& p = w.net.wire[i];
    if (p.is(MessageType::scccn)) scccn_at = i;
    if (!first_loser_icrq_at && p.from == loser.self_ep && p.is(MessageType::icrq))
      first_loser_icrq_at = i;
  }
  EXPECT_GT(first_loser_icrq_at, scccn_at);

  // A later call of either box shares the tunnel: no new SCCRQ. With `tunnel avp-hidden`
  // in the loser's LAC group its proxy AVPs are hidden, though the tunnel is the LNS group's.
  loser.config.l2tp_groups[1].avp_hidden = true;
  auto late = call_request(1, "late");
  const ppp::ProxyData proxy = chap_proxy("late", 0x42, 7, 0x24);
  late.proxy = proxy;
  ASSERT_TRUE(loser.engine->place_call(late, loser_calls.callbacks()).has_value());
  w.settle();
  ASSERT_EQ(winner.handler.incoming.size(), 3u);
  ASSERT_TRUE(winner.handler.incoming[2].proxy.has_value());
  EXPECT_EQ(*winner.handler.incoming[2].proxy, proxy);
  auto iccns = w.net.sent(MessageType::iccn, loser.self_ep, "secret");
  ASSERT_EQ(iccns.size(), 3u);
  const Avp* hidden = iccns[2].find(AvpType::proxy_authen_response);
  ASSERT_NE(hidden, nullptr);
  EXPECT_TRUE(hidden->hidden);
  EXPECT_EQ(loser_calls.up.size(), 3u);
  EXPECT_EQ(w.net.count(MessageType::sccrq), 2u);
  EXPECT_EQ(loser.engine->tunnel_count(), 1u);
}

TEST_F(Crossing, ALaterCallOfTheLoserSharesTheWinningTunnel) {
  dial(a, a_calls, 1, "a1");
  dial(b, b_calls, 1, "b1");
  w.settle();
  const bool a_won = a.engine->statistics().drops["tie breaker lost by peer"] == 1;
  Node& loser = a_won ? b : a;
  CallLog& loser_calls = a_won ? b_calls : a_calls;
  ASSERT_EQ(loser_calls.up.size(), 1u);
  dial(loser, loser_calls, 1, "late");
  w.settle();
  ASSERT_EQ(loser_calls.up.size(), 2u);
  EXPECT_EQ(loser_calls.up[1].tunnel, loser_calls.up[0].tunnel);
  EXPECT_TRUE(loser_calls.down.empty());
  EXPECT_EQ(w.net.count(MessageType::sccrq), 2u);
  EXPECT_EQ(loser.engine->tunnel_count(), 1u);
}

// ---- a scripted peer that wins the tie breaker ----

const Endpoint kBox{ip("127.0.0.2"), 1701};
const Endpoint kPeer{ip("127.0.0.9"), 1701};
constexpr std::uint16_t kPeerTid = 300;

struct TieLost : ::testing::Test {
  World w;
  Node box{w.net, w.timers, kBox, 11};
  CallLog calls;
  std::vector<Packet> got;
  SeededRandom random{5};
  std::uint16_t ns = 0;
  std::uint16_t nr_base = 0;  // messages of the box's on its tunnel before tunnel ids (SCCRQ)

  void SetUp() override {
    // Group 1 is the default LNS group (no remote name), group 2 dials the peer.
    box.config.l2tp_groups[1] = lns_group(1, 1, "", "BOX", "");
    box.config.l2tp_groups[2] = lac_group(2, {kPeer.address}, "BOX", "");
    w.net.add(kPeer, [this](const Endpoint& from, ByteView d) {
      got.push_back(Packet{from, kPeer, Bytes(d.begin(), d.end())});
    });
  }
  // Messages the box sent on the peer's tunnel (header tunnel id = ours), in order.
  std::vector<ControlMessage> on_our_tunnel(std::optional<MessageType> type = {}) const {
    std::vector<ControlMessage> out;
    for (auto& p : got)
      if (auto m = p.decode();
          m && !m->zlb && m->tunnel_id == kPeerTid && (!type || m->type == *type))
        out.push_back(*m);
    return out;
  }
  std::vector<ControlMessage> box_sccrqs() const {
    std::vector<ControlMessage> out;
    for (auto& p : got)
      if (auto m = p.decode(); m && !m->zlb && m->type == MessageType::sccrq) out.push_back(*m);
    return out;
  }
  void send(ControlMessage m) {
    m.ns = ns++;
    m.nr = static_cast<std::uint16_t>(nr_base + on_our_tunnel().size());
    auto b = encode_control(m, nullptr, random);
    ASSERT_TRUE(b.has_value());
    box.engine->on_datagram(kPeer, *b);
    w.net.pump();
  }
  void place(std::uint16_t group, const std::string& user) {
    auto h = box.engine->place_call(call_request(group, user), calls.callbacks());
    ASSERT_TRUE(h.has_value()) << h.error();
    w.net.pump();
  }
  // The peer's SCCRQ, crossing the box's one, with a tie breaker `below` lower (it wins).
  std::uint16_t cross_sccrq(std::uint64_t below = 1) {
    auto ours = box_sccrqs();
    EXPECT_EQ(ours.size(), 1u);
    if (ours.empty()) return 0;
    const std::uint64_t tb = *ours[0].u64(AvpType::tie_breaker);
    auto m = ControlMessage::make(MessageType::sccrq, 0);
    m.add_protocol_version()
        .add_string(AvpType::host_name, "PEER")
        .add_u32(AvpType::framing_capabilities, 3)
        .add_u16(AvpType::assigned_tunnel_id, kPeerTid)
        .add_u64(AvpType::tie_breaker, tb - below);
    send(m);
    auto rp = on_our_tunnel(MessageType::sccrp);
    return rp.empty() ? 0 : *rp[0].u16(AvpType::assigned_tunnel_id);
  }
};

TEST_F(TieLost, WaitingCallsGoOutAsIcrqsOnThePeersTunnelOnceItIsUp) {
  place(2, "u1");
  place(2, "u2");
  place(2, "u3");
  ASSERT_EQ(box_sccrqs().size(), 1u);
  const std::uint16_t box_tid = cross_sccrq();
  ASSERT_NE(box_tid, 0);
  // The box's own tunnel is gone; the calls wait on the peer's, which is not up yet.
  EXPECT_TRUE(calls.down.empty());
  EXPECT_EQ(box.engine->tunnel_count(), 1u);
  EXPECT_EQ(box.engine->session_count(), 3u);
  EXPECT_TRUE(on_our_tunnel(MessageType::icrq).empty());
  for (auto& s : box.engine->snapshot_sessions()) {
    EXPECT_EQ(s.tunnel_local_id, box_tid);
    EXPECT_EQ(s.state, SessionState::wait_tunnel);
  }
  // A call placed now waits on the same tunnel instead of dialling again.
  place(2, "u4");
  EXPECT_EQ(box_sccrqs().size(), 1u);
  EXPECT_EQ(box.engine->session_count(), 4u);

  send(ControlMessage::make(MessageType::scccn, box_tid));
  // The peer answers each ICRQ as it comes (the box's send window opens with the acks).
  std::set<std::uint16_t> sids;
  std::uint16_t peer_sid = 1000;
  for (int round = 0; round < 8 && sids.size() < 4; ++round) {
    for (auto& q : on_our_tunnel(MessageType::icrq)) {
      const std::uint16_t sid = *q.u16(AvpType::assigned_session_id);
      if (!sids.insert(sid).second) continue;
      auto rp = ControlMessage::make(MessageType::icrp, box_tid, sid);
      rp.add_u16(AvpType::assigned_session_id, peer_sid++);
      send(rp);
    }
  }
  auto icrqs = on_our_tunnel(MessageType::icrq);
  ASSERT_EQ(icrqs.size(), 4u);
  EXPECT_EQ(sids.size(), 4u);
  for (std::size_t i = 0; i < icrqs.size(); ++i) {
    EXPECT_EQ(icrqs[i].tunnel_id, kPeerTid);
    EXPECT_EQ(*icrqs[i].u32(AvpType::call_serial_number), i + 1);
    EXPECT_EQ(*icrqs[i].string(AvpType::calling_number), "u" + std::to_string(i + 1));  // in order
  }
  // ICCN followed each ICRP: every call is up exactly once, on the peer's tunnel.
  EXPECT_EQ(on_our_tunnel(MessageType::iccn).size(), 4u);
  ASSERT_EQ(calls.up.size(), 4u);
  EXPECT_TRUE(calls.down.empty());
  std::set<SessionRef> refs(calls.up.begin(), calls.up.end());
  EXPECT_EQ(refs.size(), 4u);
  for (const SessionRef& r : calls.up) EXPECT_EQ(r.tunnel, box_tid);
  EXPECT_EQ(box.engine->session_count(), 4u);
  w.settle();
  EXPECT_EQ(on_our_tunnel(MessageType::icrq).size(), 4u);  // nothing sent twice
  EXPECT_EQ(box_sccrqs().size(), 1u);
}

TEST_F(TieLost, AMovedCallCanBeCancelledBeforeThePeersTunnelIsUp) {
  auto h1 = box.engine->place_call(call_request(2, "u1"), calls.callbacks());
  ASSERT_TRUE(h1.has_value());
  place(2, "u2");
  const std::uint16_t box_tid = cross_sccrq();
  ASSERT_NE(box_tid, 0);
  box.engine->cancel_call(*h1);  // the handle follows the call to the peer's tunnel
  EXPECT_EQ(box.engine->session_count(), 1u);
  send(ControlMessage::make(MessageType::scccn, box_tid));
  auto icrqs = on_our_tunnel(MessageType::icrq);
  ASSERT_EQ(icrqs.size(), 1u);
  EXPECT_EQ(*icrqs[0].string(AvpType::calling_number), "u2");
  EXPECT_TRUE(calls.down.empty());                        // no callback for a cancelled call
  EXPECT_EQ(on_our_tunnel(MessageType::cdn).size(), 0u);  // its ICRQ never went out
}

TEST_F(TieLost, CallsOfAGroupWithAnotherTunnelPasswordFailWithTheReason) {
  // The call's group proves the LNS with a password; the peer's tunnel (group 1) has none,
  // so it cannot carry the call.
  box.config.l2tp_groups[2] = lac_group(2, {kPeer.address}, "BOX", "pw");
  place(2, "u1");
  ASSERT_NE(cross_sccrq(), 0);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(contains(calls.down[0].reason, "tie breaker lost")) << calls.down[0].reason;
  EXPECT_TRUE(contains(calls.down[0].reason, "l2tp-group 1) does not use the tunnel password"))
      << calls.down[0].reason;
  EXPECT_EQ(calls.down[0].result.result, stopccn_result::channel_exists);
  EXPECT_EQ(box.engine->session_count(), 0u);
  EXPECT_TRUE(calls.up.empty());
}

TEST_F(TieLost, PeerTunnelRefusedFailsTheCalls) {
  // No LNS group accepts the peer: its SCCRQ is answered with StopCCN.
  box.config.l2tp_groups[1].allow_virtual_template.reset();
  place(2, "u1");
  cross_sccrq();
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(contains(calls.down[0].reason, "peer's tunnel was refused")) << calls.down[0].reason;
  EXPECT_EQ(on_our_tunnel(MessageType::stopccn).size(), 1u);
  EXPECT_EQ(box.engine->session_count(), 0u);
}

TEST_F(TieLost, PeerTunnelEndingBeforeItIsUpFailsTheCalls) {
  place(2, "u1");
  place(2, "u2");
  const std::uint16_t box_tid = cross_sccrq();
  ASSERT_NE(box_tid, 0);
  auto stop = ControlMessage::make(MessageType::stopccn, box_tid);
  stop.add_u16(AvpType::assigned_tunnel_id, kPeerTid)
      .add_result_code(ResultCode{stopccn_result::clear, std::nullopt, {}});
  send(stop);
  ASSERT_EQ(calls.down.size(), 2u);
  for (auto& d : calls.down) {
    EXPECT_TRUE(contains(d.reason, "tie breaker lost to 127.0.0.9")) << d.reason;
    EXPECT_TRUE(contains(d.reason, "ended before it carried the call")) << d.reason;
  }
  EXPECT_TRUE(on_our_tunnel(MessageType::icrq).empty());
  EXPECT_EQ(box.engine->session_count(), 0u);
  EXPECT_EQ(box_sccrqs().size(), 1u);  // no new dial to the same peer
}

TEST_F(TieLost, PeerTunnelSilentAfterSccrpFailsTheCalls) {
  place(2, "u1");
  ASSERT_NE(cross_sccrq(), 0);
  w.run(41s, 100ms);  // no SCCCN: the tunnel's setup time (40 s) runs out
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].peer_lost);
  EXPECT_TRUE(contains(calls.down[0].reason, "ended before it carried the call"))
      << calls.down[0].reason;
  EXPECT_EQ(box.engine->tunnel_count(), 0u);
  EXPECT_EQ(box_sccrqs().size(), 1u);
}

TEST_F(TieLost, EqualTieBreakersMakeTheBoxDialAgain) {
  place(2, "u1");
  cross_sccrq(/*below=*/0);
  EXPECT_EQ(box.engine->statistics().drops["tie breaker equal"], 1u);
  EXPECT_TRUE(calls.down.empty());
  auto sccrqs = box_sccrqs();
  ASSERT_EQ(sccrqs.size(), 2u);  // a fresh SCCRQ with a new tie breaker
  EXPECT_NE(*sccrqs[0].u64(AvpType::tie_breaker), *sccrqs[1].u64(AvpType::tie_breaker));
  EXPECT_NE(*sccrqs[0].u16(AvpType::assigned_tunnel_id),
            *sccrqs[1].u16(AvpType::assigned_tunnel_id));
  EXPECT_EQ(box.engine->tunnel_count(), 1u);
  EXPECT_EQ(box.engine->session_count(), 1u);
}

// The other side: the box's SCCRQ wins, the peer moves its calls onto the box's tunnel.
struct TieWon : TieLost {
  std::uint16_t box_tid = 0;
  // The peer's SCCRQ loses; it then answers the box's SCCRQ and sends its own call (ICRQ)
  // on the box's tunnel. Returns the box's answers to that call.
  std::vector<ControlMessage> peer_call_on_box_tunnel() {
    auto ours = box_sccrqs();
    EXPECT_EQ(ours.size(), 1u);
    if (ours.empty()) return {};
    box_tid = *ours[0].u16(AvpType::assigned_tunnel_id);
    auto rq = ControlMessage::make(MessageType::sccrq, 0);
    rq.add_protocol_version()
        .add_string(AvpType::host_name, "PEER")
        .add_u32(AvpType::framing_capabilities, 3)
        .add_u16(AvpType::assigned_tunnel_id, 999)
        .add_u64(AvpType::tie_breaker, *ours[0].u64(AvpType::tie_breaker) + 1);
    send(rq);
    EXPECT_EQ(box.engine->statistics().drops["tie breaker lost by peer"], 1u);
    ns = 0;       // the peer's tunnel 999 is gone; it answers on the box's tunnel from Ns 0
    nr_base = 1;  // and acknowledges the box's SCCRQ
    auto rp = ControlMessage::make(MessageType::sccrp, box_tid);
    rp.add_protocol_version()
        .add_string(AvpType::host_name, "PEER")
        .add_u32(AvpType::framing_capabilities, 3)
        .add_u16(AvpType::assigned_tunnel_id, kPeerTid);
    send(rp);
    auto q = ControlMessage::make(MessageType::icrq, box_tid);
    q.add_u16(AvpType::assigned_session_id, 77).add_u32(AvpType::call_serial_number, 1);
    send(q);
    std::vector<ControlMessage> out;
    for (auto& m : on_our_tunnel())
      if (m.session_id == 77) out.push_back(m);
    return out;
  }
};

TEST_F(TieWon, PeerCallsAreTakenOnOurTunnelWhenAnLnsGroupAllowsThePeer) {
  place(2, "u1");
  auto answers = peer_call_on_box_tunnel();
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].type, MessageType::icrp);
  EXPECT_EQ(on_our_tunnel(MessageType::icrq).size(), 1u);  // the box's own call went too
  auto iccn = ControlMessage::make(MessageType::iccn, box_tid,
                                   *answers[0].u16(AvpType::assigned_session_id));
  iccn.add_u32(AvpType::tx_connect_speed, 1000).add_u32(AvpType::framing_type, kFramingSync);
  send(iccn);
  ASSERT_EQ(box.handler.incoming.size(), 1u);
  EXPECT_EQ(box.handler.incoming[0].group, 1);  // the LNS group, not the LAC group 2
  EXPECT_EQ(box.handler.incoming[0].virtual_template, 1);
  EXPECT_EQ(box.handler.incoming[0].ref.tunnel, box.engine->snapshot_tunnels()[0].local_id);
  EXPECT_EQ(box.engine->tunnel_count(), 1u);
}

TEST_F(TieWon, PeerCallsAreRefusedWhenTheLnsGroupHasAnotherPassword) {
  box.config.l2tp_groups[1].tunnel_password.plain = "other";
  place(2, "u1");
  auto answers = peer_call_on_box_tunnel();
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].type, MessageType::cdn);
  EXPECT_EQ(answers[0].result_code()->result, cdn_result::no_facilities_permanent);
  EXPECT_TRUE(box.handler.incoming.empty());
}

// ---- `start l2tp ip A ip B`: what a refusal by A does ----

struct TwoLns : ::testing::Test {
  World w;
  Node lac{w.net, w.timers, kLac, 21};
  Node lns1{w.net, w.timers, kLns, 22};
  Node lns2{w.net, w.timers, kLns2, 23};
  CallLog calls;
  void SetUp() override {
    lac.config.l2tp_groups[1] = lac_group(1, {kLns.address, kLns2.address}, "LAC", "aabbcc");
    lns1.config.l2tp_groups[1] = lns_group(1, 1, "LAC", "LNS1", "aabbcc");
    lns2.config.l2tp_groups[1] = lns_group(1, 2, "LAC", "LNS2", "aabbcc");
  }
  void dial(const std::string& user) {
    auto h = lac.engine->place_call(call_request(1, user), calls.callbacks());
    ASSERT_TRUE(h.has_value()) << h.error();
  }
  void expect_carried_by_lns2(std::size_t n) {
    EXPECT_TRUE(calls.down.empty()) << calls.down[0].reason;
    EXPECT_EQ(calls.up.size(), n);
    EXPECT_TRUE(lns1.handler.incoming.empty());
    EXPECT_EQ(lns2.handler.incoming.size(), n);
    auto t = lac.engine->snapshot_tunnels();
    ASSERT_EQ(t.size(), 1u);  // the refused tunnel is gone
    EXPECT_EQ(t[0].remote_address, kLns2.address);
    EXPECT_EQ(lac.engine->session_count(), n);
  }
  // `from` sent one StopCCN, result 4 (not authorized), and LNS2 carries the `n` calls.
  void expect_not_authorized_then_lns2(const Endpoint& from, std::size_t n) {
    EXPECT_EQ(w.net.stopccn_results(from), StopCcnResults{stopccn_result::not_authorized});
    expect_carried_by_lns2(n);
  }
};

TEST_F(TwoLns, StopCcnInsteadOfSccrpTriesTheNextLns) {
  lns1.config.l2tp_groups[1].allow_remote = "SOMEONE-ELSE";  // not authorised: StopCCN 4
  dial("u1");
  dial("u2");
  w.run(40s, 100ms);
  expect_not_authorized_then_lns2(kLns, 2);
  EXPECT_EQ(w.net.count(MessageType::icrq, kLac), 2u);  // none went to LNS1
}

TEST_F(TwoLns, StopCcnForOurChallengeResponseTriesTheNextLnsWithTheCallsIcrqsSent) {
  // The LAC does not check LNS1 but answers its challenge with a wrong secret: LNS1 refuses
  // the SCCCN with StopCCN 4 when the LAC's ICRQs are already on their way.
  lac.config.l2tp_groups[1].tunnel_authentication = false;
  lns1.config.l2tp_groups[1].tunnel_password.plain = "other";
  lns2.config.l2tp_groups[1].tunnel_authentication = false;
  dial("u1");
  dial("u2");
  w.run(40s, 100ms);
  expect_not_authorized_then_lns2(kLns, 2);
  EXPECT_EQ(w.net.count(MessageType::icrq, kLac), 4u);  // 2 to LNS1 (unanswered), 2 to LNS2
  EXPECT_EQ(w.net.count(MessageType::iccn, kLac), 2u);
  EXPECT_EQ(w.net.count(MessageType::cdn), 0u);
}

TEST_F(TwoLns, BadChallengeResponseFromTheLnsTriesTheNextLns) {
  lns1.config.l2tp_groups[1].tunnel_password.plain = "other";  // LAC's check of LNS1 fails
  dial("u1");
  w.run(40s, 100ms);
  expect_not_authorized_then_lns2(kLac, 1);
}

// The first user is not lost to a silent LNS: with another address configured, the SCCRQ
// is given up after 7 s (sent at 0, 1, 3 s), while the user's PPP still waits.
TEST_F(TwoLns, SilentFirstLnsIsGivenUpQuicklyWhenAnotherIsConfigured) {
  w.net.drop = [](const Packet& p) { return p.to == kLns; };
  dial("u1");
  w.run(6500ms, 100ms);
  EXPECT_TRUE(calls.up.empty());
  w.run(1500ms, 100ms);
  ASSERT_EQ(calls.up.size(), 1u);
  expect_carried_by_lns2(1);
  EXPECT_EQ(w.net.count(MessageType::sccrq, kLac), 4u);  // 3 to LNS1, 1 to LNS2
  // The tunnel to LNS2 keeps the full retransmission cycle once it is up.
  w.net.drop = [](const Packet& p) { return p.to == kLns || p.to == kLns2; };
  auto t = lac.engine->snapshot_tunnels();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(lac.engine->reset_tunnel_id(t[0].local_id), "");
  w.run(29s, 100ms);
  EXPECT_EQ(lac.engine->tunnel_count(), 1u);  // its StopCCN still retransmitted
}

// The last address (or the only one) gets the full 31 s cycle.
TEST_F(TwoLns, LastLnsAddressKeepsTheFullRetransmissionCycle) {
  w.net.drop = [](const Packet& p) { return p.to == kLns || p.to == kLns2; };
  dial("u1");
  w.run(37s, 100ms);  // 7 s on LNS1, then LNS2
  EXPECT_TRUE(calls.down.empty());
  w.run(2s, 100ms);  // 7 + 31 s
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].peer_lost);
  // A call with only LNS1 joining its pending tunnel gives it the full cycle too.
  w.run(70s, 1s);  // the marks expire
  CallLog single;
  auto r = call_request(1, "u2");
  r.lns_addresses = {kLns.address};
  auto other = call_request(1, "u3");
  ASSERT_TRUE(lac.engine->place_call(other, calls.callbacks()).has_value());
  ASSERT_TRUE(lac.engine->place_call(r, single.callbacks()).has_value());
  w.run(30s, 100ms);
  EXPECT_TRUE(single.down.empty());
  w.run(2s, 100ms);
  EXPECT_EQ(single.down.size(), 1u);
}

TEST_F(TwoLns, LnsSilentAfterSccrpTriesTheNextLns) {
  // LNS1 answers the SCCRQ, then nothing it sends arrives (not even acks).
  w.net.drop = [](const Packet& p) { return p.from == kLns && !p.is(MessageType::sccrp); };
  dial("u1");
  w.run(30s, 100ms);
  EXPECT_TRUE(calls.up.empty());
  w.run(10s, 100ms);  // the SCCCN/ICRQ retransmissions run out at 31 s
  expect_carried_by_lns2(1);
  EXPECT_EQ(w.net.count(MessageType::sccrp, kLns), 1u);
}

TEST_F(TwoLns, AllLnsRefusingFailsTheCallWithTheLastRefusal) {
  lns1.config.l2tp_groups[1].allow_remote = "SOMEONE-ELSE";
  lns2.config.l2tp_groups[1].allow_remote = "SOMEONE-ELSE";
  dial("u1");
  w.run(40s, 100ms);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.up.empty());
  EXPECT_TRUE(calls.down[0].by_peer);
  EXPECT_EQ(calls.down[0].result.result, stopccn_result::not_authorized);
  EXPECT_TRUE(contains(calls.down[0].reason, "all LNS addresses failed")) << calls.down[0].reason;
  EXPECT_EQ(w.net.count(MessageType::sccrq, kLac), 2u);
  EXPECT_EQ(lac.engine->session_count(), 0u);
}

TEST_F(TwoLns, CdnToTheCallFailsItWithoutFailOver) {
  lns1.config.l2tp.session_limit = 0;  // LNS1 takes the tunnel but refuses every call
  dial("u1");
  w.run(5s, 100ms);  // within `tunnel timer idle`: the refused call's tunnel is still there
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.up.empty());
  EXPECT_TRUE(calls.down[0].by_peer);
  EXPECT_FALSE(calls.down[0].stopccn);
  EXPECT_EQ(calls.down[0].result.result, cdn_result::no_facilities_temporary);
  EXPECT_EQ(w.net.count(MessageType::sccrq, kLac), 1u);  // LNS2 never dialled
  EXPECT_TRUE(lns2.handler.incoming.empty());
  auto t = lac.engine->snapshot_tunnels();
  ASSERT_EQ(t.size(), 1u);  // the tunnel to LNS1 stays
  EXPECT_EQ(t[0].remote_address, kLns.address);
  EXPECT_EQ(t[0].state, TunnelState::established);
}

TEST_F(TwoLns, StopCcnAfterTheLnsTookTheTunnelDoesNotFailOver) {
  dial("u1");
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  auto nt = lns1.engine->snapshot_tunnels();
  ASSERT_EQ(nt.size(), 1u);
  EXPECT_EQ(lns1.engine->reset_tunnel_id(nt[0].local_id), "");
  w.run(40s, 100ms);
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_TRUE(calls.down[0].stopccn);
  EXPECT_EQ(w.net.count(MessageType::sccrq, kLac), 1u);
  EXPECT_TRUE(lns2.handler.incoming.empty());
}

// ---- an LNS that failed is marked down: later calls go to the next address first ----

// SCCRQs the LAC sent from wire position `from` on, by destination.
std::vector<Ipv4> sccrq_targets(const Net& net, std::size_t from) {
  std::vector<Ipv4> out;
  for (std::size_t i = from; i < net.wire.size(); ++i)
    if (net.wire[i].from == kLac && net.wire[i].is(MessageType::sccrq))
      out.push_back(net.wire[i].to.address);
  return out;
}

struct LnsDown : TwoLns {
  std::vector<LogRecord> logs;
  LogBus::SinkId sink = 0;
  void SetUp() override {
    TwoLns::SetUp();
    sink = LogBus::instance().subscribe([this](const LogRecord& r) {
      if (!r.is_debug) logs.push_back(r);
    });
  }
  void TearDown() override { LogBus::instance().unsubscribe(sink); }
  void lns1_dead() {
    w.net.drop = [](const Packet& p) { return p.to == kLns; };
  }
  void lns1_back() { w.net.drop = nullptr; }
  std::size_t warnings_containing(const std::string& text) const {
    return static_cast<std::size_t>(
        std::count_if(logs.begin(), logs.end(), [&](const LogRecord& r) {
          return r.level == LogLevel::warning && contains(r.text, text);
        }));
  }
  // The first call waits out LNS1's SCCRQ retransmissions (7 s: LNS2 is configured too)
  // and lands on LNS2.
  void first_call_fails_over() {
    dial("u1");
    w.run(40s, 100ms);
    ASSERT_EQ(calls.up.size(), 1u);
    ASSERT_TRUE(calls.down.empty()) << calls.down[0].reason;
    ASSERT_EQ(lns2.handler.incoming.size(), 1u);
    ASSERT_EQ(sccrq_targets(w.net, 0).front(), kLns.address);
  }
};

TEST_F(LnsDown, SecondCallReusesTheEstablishedTunnelToTheBackupWhileTheFirstLnsIsDown) {
  lns1_dead();
  first_call_fails_over();
  EXPECT_EQ(warnings_containing("LNS 127.0.0.2 marked down for 60 s: no answer from peer"), 1u);
  const std::size_t mark = w.net.wire.size();
  dial("u2");
  w.settle();  // no 31 s wait: the call is up within half a second
  EXPECT_EQ(calls.up.size(), 2u);
  EXPECT_TRUE(calls.down.empty());
  EXPECT_EQ(lns2.handler.incoming.size(), 2u);
  EXPECT_TRUE(sccrq_targets(w.net, mark).empty()) << "no SCCRQ: LNS2's tunnel carries it";
  auto t = lac.engine->snapshot_tunnels();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].remote_address, kLns2.address);
  EXPECT_EQ(t[0].state, TunnelState::established);
}

TEST_F(LnsDown, SecondCallDialsTheBackupFirstWhenNoTunnelIsUp) {
  lns1_dead();
  first_call_fails_over();
  // The user hangs up: LNS2's tunnel stays, so take it down to see the dial order.
  auto t = lac.engine->snapshot_tunnels();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(lac.engine->reset_tunnel_id(t[0].local_id), "");
  w.run(1s, 100ms);
  const std::size_t mark = w.net.wire.size();
  dial("u2");
  w.settle();
  EXPECT_EQ(calls.up.size(), 2u);
  EXPECT_EQ(lns2.handler.incoming.size(), 2u);
  auto dialled = sccrq_targets(w.net, mark);
  ASSERT_EQ(dialled.size(), 1u);
  EXPECT_EQ(dialled[0], kLns2.address);
}

TEST_F(LnsDown, AfterTheHoldTimeTheFirstLnsIsTriedFirstAgain) {
  lns1_dead();
  first_call_fails_over();
  // Still down shortly before 60 s after the failure (at ~7 s): no SCCRQ to LNS1.
  w.run(20s, 100ms);  // now ~60 s, LNS1 down until ~67 s
  std::size_t mark = w.net.wire.size();
  dial("u2");
  w.settle();
  EXPECT_TRUE(sccrq_targets(w.net, mark).empty());
  EXPECT_EQ(calls.up.size(), 2u);
  w.run(10s, 100ms);  // past the hold time
  lns1_back();
  mark = w.net.wire.size();
  dial("u3");
  w.settle();
  auto dialled = sccrq_targets(w.net, mark);
  ASSERT_EQ(dialled.size(), 1u);
  EXPECT_EQ(dialled[0], kLns.address);
  EXPECT_EQ(calls.up.size(), 3u);
  EXPECT_EQ(lns1.handler.incoming.size(), 1u);  // the configured first choice again
  EXPECT_EQ(lns2.handler.incoming.size(), 2u);
}

TEST_F(LnsDown, AllDownTriesThemInConfiguredOrder) {
  w.net.drop = [](const Packet& p) { return p.to == kLns || p.to == kLns2; };
  dial("u1");
  w.run(40s, 100ms);  // 7 s for LNS1 (LNS2 is next), 31 s for LNS2 (the last)
  ASSERT_EQ(calls.down.size(), 1u);
  EXPECT_EQ(warnings_containing("LNS 127.0.0.2 marked down"), 1u);
  EXPECT_EQ(warnings_containing("LNS 127.0.0.3 marked down"), 1u);
  // Both down now: the next call dials LNS1 first, and LNS2 only when LNS1 fails again.
  const std::size_t mark = w.net.wire.size();
  dial("u2");
  w.run(6s, 100ms);
  auto dialled = sccrq_targets(w.net, mark);
  ASSERT_FALSE(dialled.empty());
  EXPECT_TRUE(
      std::all_of(dialled.begin(), dialled.end(), [](Ipv4 a) { return a == kLns.address; }));
  w.net.drop = [](const Packet& p) { return p.to == kLns; };  // LNS2 answers again
  w.run(20s, 100ms);
  EXPECT_EQ(calls.up.size(), 1u);
  EXPECT_EQ(lns2.handler.incoming.size(), 1u);
  EXPECT_EQ(calls.down.size(), 1u);
  // LNS2 answering ended its mark while LNS1 was marked down again (~107 s): the next
  // call takes LNS2's tunnel instead of dialling LNS1 in configured order.
  const std::size_t later = w.net.wire.size();
  dial("u3");
  w.settle();
  EXPECT_EQ(calls.up.size(), 2u);
  EXPECT_TRUE(sccrq_targets(w.net, later).empty());
}

TEST_F(LnsDown, ARefusingLnsIsMarkedDownForTheHoldTime) {
  lns1.config.l2tp_groups[1].allow_remote = "SOMEONE-ELSE";  // StopCCN 4 instead of SCCRP
  dial("u1");
  w.run(5s, 100ms);
  ASSERT_EQ(calls.up.size(), 1u);
  EXPECT_EQ(warnings_containing("LNS 127.0.0.2 marked down for 60 s: peer sent StopCCN result 4"),
            1u);
  // LNS1 is fixed, but the mark holds: the next call stays on LNS2's tunnel.
  lns1.config.l2tp_groups[1].allow_remote = "LAC";
  std::size_t mark = w.net.wire.size();
  dial("u2");
  w.settle();
  EXPECT_TRUE(sccrq_targets(w.net, mark).empty());
  EXPECT_EQ(lns2.handler.incoming.size(), 2u);
  // After the hold time LNS1 is dialled and takes the call.
  w.run(60s, 100ms);
  dial("u3");
  w.settle();
  EXPECT_EQ(lns1.handler.incoming.size(), 1u);
  EXPECT_EQ(calls.up.size(), 3u);
}

TEST(LnsDownOptions, ZeroHoldKeepsTheConfiguredOrder) {
  World w;
  EngineOptions opt;
  opt.lns_down_hold = Duration::zero();
  Node lac{w.net, w.timers, kLac, 31, opt};
  Node lns2{w.net, w.timers, kLns2, 33};
  lac.config.l2tp_groups[1] = lac_group(1, {kLns.address, kLns2.address}, "LAC", "aabbcc");
  lns2.config.l2tp_groups[1] = lns_group(1, 2, "LAC", "LNS2", "aabbcc");
  CallLog calls;
  ASSERT_TRUE(lac.engine->place_call(call_request(1, "u1"), calls.callbacks()).has_value());
  w.run(40s, 100ms);
  ASSERT_EQ(calls.up.size(), 1u);
  const std::size_t mark = w.net.wire.size();
  ASSERT_TRUE(lac.engine->place_call(call_request(1, "u2"), calls.callbacks()).has_value());
  w.settle();
  auto dialled = sccrq_targets(w.net, mark);
  ASSERT_EQ(dialled.size(), 1u);
  EXPECT_EQ(dialled[0], kLns.address);  // as before this feature
  EXPECT_EQ(calls.up.size(), 1u);
}

}  // namespace
}  // namespace vpdnd::vpdn::test
