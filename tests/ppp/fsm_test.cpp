#include "ppp/core/fsm.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace vpdnd::ppp {
namespace {

Bytes hex(std::string_view s) {
  Bytes b;
  parse_hex(s, b);
  return b;
}

// A scriptable policy: requests `request`, acks everything unless told to nak/reject.
struct TestPolicy : FsmPolicy {
  Bytes request = hex("01 04 05 dc");
  Verdict verdict = Verdict::ack;
  Bytes reply_options = hex("01 04 05 d4");
  std::vector<bool> reject_if_disagree_seen;
  int naks = 0, rejects = 0;

  Bytes build_request() override { return request; }
  Check check_request(ByteView, bool reject_if_disagree) override {
    reject_if_disagree_seen.push_back(reject_if_disagree);
    if (verdict == Verdict::nak && reject_if_disagree) return {Verdict::reject, reply_options};
    return {verdict, reply_options};
  }
  bool on_ack(ByteView o) override { return Bytes(o.begin(), o.end()) == request; }
  bool on_nak(ByteView) override { return ++naks, true; }
  bool on_reject(ByteView) override { return ++rejects, true; }
};

// The owner: hands the automaton its policy and counts the layer events.
struct Captured : FsmHost {
  Captured(FsmPolicy& p, TimerService& t) : policy(p), timers(t) {}
  FsmPolicy& policy;
  TimerService& timers;
  FsmTimers cfg;
  TimerService& fsm_timer_service() override { return timers; }
  const FsmTimers& fsm_timers() const override { return cfg; }
  std::string reason;
  void fsm_keep_terminate_reason(const Fsm&, std::string_view r) override { reason = r; }
  std::string_view fsm_terminate_reason(const Fsm&) const override { return reason; }
  std::vector<Bytes> packets;
  int after_timer = 0;
  int ups = 0, downs = 0, starts = 0, finishes = 0, policy_asked = 0;
  FsmPolicy& fsm_policy(const Fsm&) override { return ++policy_asked, policy; }
  void fsm_up(const Fsm&) override { ++ups; }
  void fsm_down(const Fsm&) override { ++downs; }
  void fsm_started(const Fsm&) override { ++starts; }
  void fsm_finished(const Fsm&) override { ++finishes; }
  void fsm_send(const Fsm&, ByteView p) override { packets.emplace_back(p.begin(), p.end()); }
  void fsm_after_timer() override { ++after_timer; }
  ControlPacket at(std::size_t i) const { return *decode_control(packets.at(i)); }
  std::size_t count(Code c) const {
    std::size_t n = 0;
    for (const auto& p : packets) n += p[0] == static_cast<std::uint8_t>(c);
    return n;
  }
};

struct FsmFixture : ::testing::Test {
  ManualTimerService timers;
  TestPolicy policy;
  Captured out{policy, timers};
  Fsm fsm{proto::lcp, out};

  void peer_sends(Code code, std::uint8_t id, Bytes data) {
    fsm.receive(encode_control(static_cast<std::uint8_t>(code), id, data));
  }
};

TEST_F(FsmFixture, OpensWhenBothSidesAck) {
  fsm.open();
  EXPECT_EQ(fsm.state(), Fsm::State::starting);
  EXPECT_EQ(out.starts, 1);
  fsm.up();
  EXPECT_EQ(fsm.state(), Fsm::State::req_sent);
  ASSERT_EQ(out.packets.size(), 1u);
  auto req = out.at(0);
  EXPECT_EQ(req.code, 1);
  peer_sends(Code::configure_ack, req.id, policy.request);
  EXPECT_EQ(fsm.state(), Fsm::State::ack_rcvd);
  peer_sends(Code::configure_request, 77, {0x05, 0x06, 1, 2, 3, 4});
  EXPECT_EQ(fsm.state(), Fsm::State::opened);
  EXPECT_EQ(out.ups, 1);
  auto ack = out.at(1);
  EXPECT_EQ(ack.code, 2);
  EXPECT_EQ(ack.id, 77);
  EXPECT_EQ(Bytes(ack.data.begin(), ack.data.end()), (Bytes{0x05, 0x06, 1, 2, 3, 4}));
  EXPECT_EQ(timers.pending(), 0u);  // restart timer stops in Opened
}

TEST_F(FsmFixture, LostConfigureRequestIsRetransmittedThenGivesUp) {
  fsm.open();
  fsm.up();
  ASSERT_EQ(out.packets.size(), 1u);
  timers.advance(2999ms);
  EXPECT_EQ(out.packets.size(), 1u);
  timers.advance(1ms);
  ASSERT_EQ(out.packets.size(), 2u);
  EXPECT_EQ(out.after_timer, 1);  // the owner gets its post-timer hook
  EXPECT_EQ(out.at(1).code, 1);
  EXPECT_EQ(Bytes(out.at(1).data.begin(), out.at(1).data.end()), policy.request);
  // Max-Configure = 10 requests in all, then TO- → Stopped, tlf.
  timers.advance(3s * 8);
  EXPECT_EQ(out.count(Code::configure_request), 10u);
  EXPECT_EQ(fsm.state(), Fsm::State::req_sent);
  timers.advance(3s);
  EXPECT_EQ(out.count(Code::configure_request), 10u);
  EXPECT_EQ(fsm.state(), Fsm::State::stopped);
  EXPECT_EQ(out.finishes, 1);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(FsmFixture, RetransmittedRequestStillGetsAckedAfterLoss) {
  fsm.open();
  fsm.up();
  timers.advance(3s);  // first request lost, second sent
  auto second = out.at(1);
  peer_sends(Code::configure_ack, out.at(0).id, policy.request);  // late ack of the first: wrong id
  EXPECT_EQ(fsm.state(), Fsm::State::req_sent);
  peer_sends(Code::configure_ack, second.id, policy.request);
  EXPECT_EQ(fsm.state(), Fsm::State::ack_rcvd);
}

TEST_F(FsmFixture, NakLoopTurnsIntoRejectAtMaxFailure) {
  policy.verdict = FsmPolicy::Verdict::nak;
  fsm.open();
  fsm.up();
  for (int i = 0; i < 7; ++i)
    peer_sends(Code::configure_request, static_cast<std::uint8_t>(10 + i),
               {0x01, 0x04, 0x00, 0x10});
  EXPECT_EQ(out.count(Code::configure_nak), 5u);  // Max-Failure
  EXPECT_EQ(out.count(Code::configure_reject), 2u);
  ASSERT_EQ(policy.reject_if_disagree_seen.size(), 7u);
  EXPECT_FALSE(policy.reject_if_disagree_seen[4]);
  EXPECT_TRUE(policy.reject_if_disagree_seen[5]);
  // An Ack resets the count (RFC 1661 §4.6: Naks "sent without sending a Configure-Ack").
  policy.verdict = FsmPolicy::Verdict::ack;
  peer_sends(Code::configure_request, 30, {});
  EXPECT_EQ(fsm.naks_sent(), 0u);
  EXPECT_EQ(fsm.state(), Fsm::State::ack_sent);
}

TEST_F(FsmFixture, NakOfOurRequestSendsNewRequest) {
  fsm.open();
  fsm.up();
  peer_sends(Code::configure_nak, out.at(0).id, {0x01, 0x04, 0x05, 0xd4});
  EXPECT_EQ(policy.naks, 1);
  EXPECT_EQ(out.count(Code::configure_request), 2u);
  EXPECT_NE(out.at(1).id, out.at(0).id);
  peer_sends(Code::configure_reject, out.at(1).id, {0x01, 0x04, 0x05, 0xd4});
  EXPECT_EQ(policy.rejects, 1);
  EXPECT_EQ(out.count(Code::configure_request), 3u);
}

TEST_F(FsmFixture, EndlessNaksOfOurRequestGiveUpAfterMaxConfigure) {
  fsm.open();
  fsm.up();
  for (int i = 0; i < 10; ++i)
    peer_sends(Code::configure_nak, out.packets.back()[1], hex("01 04 05 d4"));
  EXPECT_EQ(fsm.state(), Fsm::State::req_sent);
  EXPECT_EQ(out.count(Code::configure_request), 11u);
  peer_sends(Code::configure_nak, out.packets.back()[1], hex("01 04 05 d4"));
  EXPECT_EQ(fsm.state(), Fsm::State::stopped);
  EXPECT_EQ(out.finishes, 1);
  EXPECT_EQ(timers.pending(), 0u);
}

void open_fsm(FsmFixture& f) {
  f.fsm.open();
  f.fsm.up();
  f.peer_sends(Code::configure_ack, f.out.at(0).id, f.policy.request);
  f.peer_sends(Code::configure_request, 1, {});
  ASSERT_EQ(f.fsm.state(), Fsm::State::opened);
  f.out.packets.clear();
}

TEST_F(FsmFixture, TerminateTimeout) {
  open_fsm(*this);
  fsm.close("bye");
  EXPECT_EQ(fsm.state(), Fsm::State::closing);
  EXPECT_EQ(out.downs, 1);
  ASSERT_EQ(out.packets.size(), 1u);
  EXPECT_EQ(out.at(0).code, 5);
  EXPECT_EQ(std::string(out.at(0).data.begin(), out.at(0).data.end()), "bye");
  timers.advance(3s);
  EXPECT_EQ(out.count(Code::terminate_request), 2u);  // Max-Terminate = 2
  EXPECT_EQ(fsm.state(), Fsm::State::closing);
  timers.advance(3s);
  EXPECT_EQ(out.count(Code::terminate_request), 2u);
  EXPECT_EQ(fsm.state(), Fsm::State::closed);
  EXPECT_EQ(out.finishes, 1);
}

TEST_F(FsmFixture, TerminateAckedFinishesAtOnce) {
  open_fsm(*this);
  fsm.close("bye");
  peer_sends(Code::terminate_ack, out.at(0).id, {});
  EXPECT_EQ(fsm.state(), Fsm::State::closed);
  EXPECT_EQ(out.finishes, 1);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(FsmFixture, PeerTerminateRequestStopsAfterOneRestartPeriod) {
  open_fsm(*this);
  peer_sends(Code::terminate_request, 9, {});
  EXPECT_EQ(fsm.state(), Fsm::State::stopping);
  EXPECT_EQ(out.at(0).code, 6);
  EXPECT_EQ(out.at(0).id, 9);
  EXPECT_EQ(out.downs, 1);
  EXPECT_EQ(out.finishes, 0);
  timers.advance(3s);
  EXPECT_EQ(fsm.state(), Fsm::State::stopped);
  EXPECT_EQ(out.finishes, 1);
  EXPECT_EQ(out.count(Code::terminate_request), 0u);
}

TEST_F(FsmFixture, UnknownCodeIsCodeRejected) {
  open_fsm(*this);
  Bytes pkt = encode_control(42, 5, Bytes{1, 2, 3});
  fsm.receive(pkt);
  ASSERT_EQ(out.packets.size(), 1u);
  auto rej = out.at(0);
  EXPECT_EQ(rej.code, 7);
  EXPECT_EQ(Bytes(rej.data.begin(), rej.data.end()), pkt);
  EXPECT_EQ(fsm.state(), Fsm::State::opened);
}

TEST_F(FsmFixture, CodeRejectOfConfigureRequestIsCatastrophic) {
  open_fsm(*this);
  peer_sends(Code::code_reject, 3, encode_control(1, 1, {}));
  EXPECT_EQ(fsm.state(), Fsm::State::stopping);
  EXPECT_EQ(out.count(Code::terminate_request), 1u);
}

TEST_F(FsmFixture, CodeRejectOfEchoIsPermitted) {
  open_fsm(*this);
  peer_sends(Code::code_reject, 3, encode_control(9, 1, Bytes{0, 0, 0, 0}));
  EXPECT_EQ(fsm.state(), Fsm::State::opened);
}

TEST_F(FsmFixture, RenegotiationInOpenedGoesDownAndBackUp) {
  open_fsm(*this);
  peer_sends(Code::configure_request, 50, {});
  EXPECT_EQ(out.downs, 1);
  EXPECT_EQ(fsm.state(), Fsm::State::ack_sent);
  EXPECT_EQ(out.count(Code::configure_request), 1u);
  EXPECT_EQ(out.count(Code::configure_ack), 1u);
  peer_sends(Code::configure_ack, out.at(0).id, policy.request);
  EXPECT_EQ(fsm.state(), Fsm::State::opened);
  EXPECT_EQ(out.ups, 2);
}

TEST_F(FsmFixture, ClosedAnswersTerminateAckAndDropsBeforeUp) {
  Bytes req = encode_control(1, 1, {});
  fsm.receive(req);  // Initial: discarded
  EXPECT_TRUE(out.packets.empty());
  fsm.up();  // Closed
  fsm.receive(req);
  ASSERT_EQ(out.packets.size(), 1u);
  EXPECT_EQ(out.at(0).code, 6);
  fsm.receive(Bytes{1, 2, 0});  // malformed: dropped
  EXPECT_EQ(out.packets.size(), 1u);
}

TEST_F(FsmFixture, LowerDownInOpenedGoesToStarting) {
  open_fsm(*this);
  fsm.down();
  EXPECT_EQ(fsm.state(), Fsm::State::starting);
  EXPECT_EQ(out.downs, 1);
  fsm.close("x");
  EXPECT_EQ(fsm.state(), Fsm::State::initial);
  EXPECT_EQ(out.finishes, 1);
}

// Two automata back to back over an in-memory link converge.
TEST(FsmPair, TwoAutomataConverge) {
  ManualTimerService timers;
  TestPolicy pa, pb;
  std::deque<std::pair<int, Bytes>> wire;
  struct Port : Captured {
    using Captured::Captured;
    std::deque<std::pair<int, Bytes>>* wire;
    int to;
    void fsm_send(const Fsm&, ByteView p) override {
      wire->emplace_back(to, Bytes(p.begin(), p.end()));
    }
  } to_b{pa, timers}, to_a{pb, timers};
  to_b.wire = to_a.wire = &wire;
  to_b.to = 1;
  to_a.to = 0;
  Fsm a(proto::ipcp, to_b);
  Fsm b(proto::ipcp, to_a);
  pb.request = pa.request;
  a.open();
  b.open();
  a.up();
  b.up();
  for (int guard = 0; guard < 100 && !wire.empty(); ++guard) {
    auto [to, pkt] = wire.front();
    wire.pop_front();
    (to == 1 ? b : a).receive(pkt);
  }
  EXPECT_EQ(a.state(), Fsm::State::opened);
  EXPECT_EQ(b.state(), Fsm::State::opened);
  EXPECT_EQ(to_b.ups, 1);
  EXPECT_EQ(to_a.ups, 1);
}

// The owner may free its policy while Opened: the automaton asks for it on every use and
// never while Opened and quiet, so an Echo-like extended code or a timer does not need it.
TEST_F(FsmFixture, PolicyIsNotAskedForWhileOpenedUntilThePeerRenegotiates) {
  open_fsm(*this);
  const int asked = out.policy_asked;
  timers.advance(30s);                                    // no restart timer runs in Opened
  peer_sends(Code::echo_request, 5, hex("00 00 00 00"));  // the host's (here: Code-Reject)
  EXPECT_EQ(out.count(Code::code_reject), 1u);
  EXPECT_EQ(out.policy_asked, asked);
  EXPECT_EQ(fsm.state(), Fsm::State::opened);
  peer_sends(Code::configure_request, 2, {});  // the peer renegotiates: RCR in Opened
  EXPECT_GT(out.policy_asked, asked);
  EXPECT_EQ(out.downs, 1);
  EXPECT_EQ(fsm.state(), Fsm::State::ack_sent);
  EXPECT_EQ(out.count(Code::configure_request), 1u);
}
}  // namespace
}  // namespace vpdnd::ppp
